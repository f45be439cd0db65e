/**
 * A user name and password in service_url: Kaltura never uses them, so the config is refused, and
 * in no mode does any output carry them (issue: they were printed in stderr, TRACE, LOG, the check
 * status and config errors).
 */
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { runConnector, ofType } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { run as runRaw } from '../singer/run.js';

let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 100, categories: 5, seed: 2 });
});
after(() => fx.close());

const password = 's3cr3tpw';

test('service_url with user:password@ is refused in every mode, and the password is printed nowhere', async () => {
  const host = fx.emulator.url.replace(/^http:\/\//, '');
  const urls = [`http://user:${password}@${host}`, `http://user:${password}@${host}/api_v3`, `http://user:${password}@kaltura.example.com`];
  const printed: string[] = [];
  for (const service_url of urls) {
    const config = fx.config('admin', { service_url });
    const catalog = fx.catalog([['categories', 'full_refresh']]);
    const out = join(fx.dir, 'cred-out');
    const check = await runConnector(['check', '--config', config]);
    const [status] = ofType(check.messages, 'CONNECTION_STATUS');
    assert.equal(status?.connectionStatus.status, 'FAILED', service_url);
    assert.match(status!.connectionStatus.message, /service_url: holds a user name or password/);
    printed.push(check.stdout, check.stderr);
    for (const args of [['discover', '--config', config], ['read', '--config', config, '--catalog', catalog]]) {
      const run = await runConnector(args);
      assert.notEqual(run.code, 0, args[0]);
      const [error] = ofType(run.messages, 'TRACE').filter((m) => m.trace.type === 'ERROR');
      assert.equal(error?.trace.error.failure_type, 'config_error');
      assert.match(error!.trace.error.message, /holds a user name or password/);
      printed.push(run.stdout, run.stderr);
    }
    for (const args of [['--config', config, '--discover'], ['--config', config], ['read', '--config', config, '--output', 'csv', '--output-dir', out, '--state-file', join(out, 'state.json')]]) {
      const run = await runRaw('connector', args);
      assert.notEqual(run.code, 0, args.join(' '));
      assert.match(run.stderr, /holds a user name or password/, args.join(' '));
      printed.push(run.stdout, run.stderr);
    }
    if (existsSync(out)) for (const file of readdirSync(out)) printed.push(readFileSync(join(out, file), 'utf8'));
  }
  const everything = printed.join('\n');
  assert.ok(!everything.includes(password), 'the password was printed');
  assert.ok(!everything.includes(`user:${password.slice(0, 3)}`), 'part of the user info was printed');
  assert.equal(fx.emulator.control.requestCounts()['session.startwidgetsession'] ?? 0, 0, 'nothing was sent');
});
