import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runConnector, type RunResult } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { RecordingProxy } from '../helpers/recordingProxy.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let fx: Fixture;
let proxy: RecordingProxy;
before(async () => {
  fx = await startFixture({ entries: 3_000, categories: 30, seed: 9 });
  proxy = await new RecordingProxy(fx.emulator.url).start();
});
after(async () => {
  await proxy.close();
  await fx.close();
});

/** Everything the commands printed, on both streams. */
const printed: string[] = [];
async function run(args: string[]): Promise<RunResult> {
  const result = await runConnector(args);
  printed.push(result.stdout, result.stderr);
  return result;
}

test('no token, token hash or KS appears in anything the connector prints, whatever happens', async () => {
  const config = (token = 'admin', extra: Record<string, unknown> = {}) => fx.config(token, { service_url: proxy.url, ...extra });
  const both = fx.catalog([['media', 'incremental'], ['categories', 'full_refresh']]);

  await run(['spec']);
  await run(['check', '--config', config()]);
  await run(['check', '--config', config('adminSha1', { hash_type: 'MD5' })]);
  await run(['check', '--config', config('admin', { app_token: 'f'.repeat(32) })]);
  await run(['check', '--config', config('admin', { app_token_id: '0_nope0000' })]);
  await run(['check', '--config', config('disabled')]);
  await run(['check', '--config', config('user')]);
  await run(['discover', '--config', config()]);
  const full = await run(['read', '--config', config(), '--catalog', both]);
  assert.equal(full.code, 0, full.stderr);
  // Kaltura quotes an unreadable KS back in its INVALID_KS message: damage some and watch.
  proxy.mangleEvery = 3;
  const mangled = await run(['read', '--config', config('short'), '--catalog', both]);
  proxy.mangleEvery = 0;
  assert.equal(mangled.code, 0, mangled.stderr);
  assert.ok(mangled.stdout.includes('logging in again'), 'the damaged sessions were noticed');
  // Kaltura can embed the requester's session in URLs it returns: every output must drop it.
  proxy.embedSessionInUrls = true;
  const embedded = await run(['read', '--config', config(), '--catalog', both]);
  assert.ok(/\/ks\/\*\*\*/.test(embedded.stdout), 'the embedded session was replaced in the records');
  const outDir = fx.dir + '/cron-out';
  await run(['read', '--config', config(), '--output', 'csv', '--output-dir', outDir, '--state-file', `${outDir}/state.json`]);
  await run(['read', '--config', config(), '--output', 'jsonl', '--output-dir', outDir]);
  await run(['--config', config()]);
  for (const file of readdirSync(outDir)) printed.push(readFileSync(join(outDir, file), 'utf8'));
  proxy.embedSessionInUrls = false;
  fx.emulator.control.setFaults({ httpErrorRate: 0.1, internalErrorRate: 0.05, seed: 4 });
  await run(['read', '--config', config(), '--catalog', both]);
  fx.emulator.control.clearFaults();

  const known = [...proxy.secrets, ...Object.values(fx.emulator.tokens).map((t) => t.token)];
  assert.ok(proxy.secrets.size >= 10, `the proxy saw the sessions (${proxy.secrets.size})`);
  const everything = printed.join('\n');
  for (const secret of known) {
    assert.ok(!everything.includes(secret), `a secret (${secret.slice(0, 4)}…, ${secret.length} chars) leaked into the output`);
  }
});
