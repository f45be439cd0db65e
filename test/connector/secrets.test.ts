import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runConnector, type RunResult } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { RecordingProxy } from '../helpers/recordingProxy.js';
import { run as runRaw } from '../singer/run.js';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  const discovered = await runRaw('connector', ['--config', config(), '--discover']);
  printed.push(discovered.stdout, discovered.stderr);
  const singerCatalog = fx.write('singer-catalog.json', selectStreams(JSON.parse(discovered.stdout), ['media', 'categories']));

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
  // The Singer tap (logs on stderr) with renewed sessions and damaged ones.
  proxy.mangleEvery = 3;
  const singer = await run(['--config', config('short'), '--catalog', singerCatalog]);
  proxy.mangleEvery = 0;
  assert.equal(singer.code, 0, singer.stderr.slice(-2000));
  assert.match(singer.stdout, /"type":\s*"RECORD"/, 'the tap wrote records');
  assert.match(singer.stderr, /logging in again/, 'the tap noticed the damaged sessions');
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

/** A Singer catalog from --discover with only the named streams selected. */
function selectStreams(catalog: { streams: Array<Record<string, any>> }, names: string[]): unknown {
  for (const stream of catalog.streams) {
    const top = stream.metadata.find((m: Record<string, any>) => m.breadcrumb.length === 0);
    top.metadata.selected = names.includes(stream.tap_stream_id);
  }
  return catalog;
}

/** Every run of 6 characters of a secret: a message quoting part of a token shows. */
function piecesOf(secret: string): string[] {
  const pieces: string[] = [];
  for (let i = 0; i + 6 <= secret.length; i++) pieces.push(secret.slice(i, i + 6));
  return pieces;
}

test('a malformed config file holding the token: no part of the token is printed, in any mode', async () => {
  const t = fx.emulator.tokens.admin!;
  const lines = (token: string) => [`{`, `  "service_url": "${proxy.url}",`, `  "partner_id": ${t.partnerId},`, `  "app_token_id": "${t.id}",`, `  "app_token": ${token}`, `}`];
  const files = Object.entries({
    // the value pasted without quotes: V8's own message would quote the text around it
    'unquoted.json': lines(t.token),
    'unclosed.json': lines(`"${t.token}`),
    'comma.json': lines(`"${t.token}",`),
    'single.json': lines(`'${t.token}'`),
  }).map(([name, text]) => {
    const path = join(fx.dir, name);
    writeFileSync(path, text.join('\n'));
    return path;
  });
  const catalog = fx.catalog([['categories', 'full_refresh']]);
  const out: string[] = [];
  for (const file of files) {
    for (const args of [
      ['check', '--config', file],
      ['discover', '--config', file],
      ['read', '--config', file, '--catalog', catalog],
      ['--config', file],
      ['--config', file, '--discover'],
      ['read', '--config', file, '--output', 'jsonl', '--output-dir', `${fx.dir}/malformed-out`],
    ]) {
      const result = args[0] === '--config' ? await runRaw('connector', args) : await runConnector(args);
      assert.match(result.stdout + result.stderr, /is not valid JSON: .* at line \d+, column \d+/, `${args.join(' ')} says where the mistake is`);
      out.push(result.stdout, result.stderr);
    }
  }
  const everything = out.join('\n');
  for (const piece of piecesOf(t.token)) assert.ok(!everything.includes(piece), `a piece of the token (${piece}) was printed`);
});
