/**
 * A token made with sessionType USER (0) and without list:* logs in fine, but Kaltura then shows
 * the session only its own user's entries, with no error (kaltura-api.md section 4). check must
 * fail and every kind of read must refuse, before the first list request, naming the fix.
 */
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runConnector, ofType, tempDir } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { run } from '../singer/run.js';

let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 1_500, categories: 30, seed: 14 });
});
after(() => fx.close());

// The emulator's `user` token: sessionType USER, sessionUserId alice.martin@example.com, no list:*.
const cause = /^The token was created with sessionType USER \(0\) and without list:\*; this session sees only user alice\.martin@example\.com's entries\. Create the token with sessionType ADMIN \(2\), or add list:\* to its sessionPrivileges\./;

/** List requests the emulator received since the last reset (the login and the clock are not lists). */
function listRequests(): number {
  return Object.entries(fx.emulator.control.requestCounts())
    .filter(([key]) => key.endsWith('.list'))
    .reduce((sum, [, n]) => sum + n, 0);
}

test('check fails with a USER token without list:*, its first sentences naming the cause and the fix', async () => {
  const runResult = await runConnector(['check', '--config', fx.config('user')]);
  assert.equal(runResult.code, 0, 'a refused token is a FAILED status, not a crash');
  const [status] = ofType(runResult.messages, 'CONNECTION_STATUS');
  assert.equal(status?.connectionStatus.status, 'FAILED');
  assert.match(status!.connectionStatus.message, cause);
});

test('check still succeeds with a USER token that has list:*', async () => {
  const runResult = await runConnector(['check', '--config', fx.config('userList')]);
  const [status] = ofType(runResult.messages, 'CONNECTION_STATUS');
  assert.doesNotMatch(status!.connectionStatus.message, /sessionType USER \(0\) and without list/);
  assert.match(status!.connectionStatus.message, /session type USER \(0\)/);
});

test('Airbyte read refuses before any list request: one TRACE error, no RECORD, no STATE, exit non-zero', async () => {
  fx.emulator.control.resetRequestCounts();
  const runResult = await runConnector(['read', '--config', fx.config('user'), '--catalog', fx.catalog([['media', 'incremental'], ['categories', 'full_refresh']])]);
  assert.notEqual(runResult.code, 0);
  assert.equal(listRequests(), 0, 'no list request was sent');
  assert.equal(ofType(runResult.messages, 'RECORD').length, 0);
  assert.equal(ofType(runResult.messages, 'STATE').length, 0);
  const errors = ofType(runResult.messages, 'TRACE').filter((m) => m.trace.type === 'ERROR');
  assert.equal(errors.length, 1, 'one refusal, not one per stream');
  assert.equal(errors[0]!.trace.error.failure_type, 'config_error');
  assert.match(errors[0]!.trace.error.message, cause);
  assert.equal(ofType(runResult.messages, 'TRACE').filter((m) => m.trace.type === 'STREAM_STATUS').length, 0, 'no stream was started');
});

test('Singer sync refuses before any list request: no RECORD, no STATE, the message on stderr, exit non-zero', async () => {
  fx.emulator.control.resetRequestCounts();
  const runResult = await run('connector', ['--config', fx.config('user')]);
  assert.notEqual(runResult.code, 0);
  assert.equal(listRequests(), 0, 'no list request was sent');
  assert.equal(runResult.stdout, '', 'no SCHEMA, RECORD or STATE');
  assert.match(runResult.stderr, /ERROR The token was created with sessionType USER \(0\) and without list:\*/);
  assert.equal(runResult.stderr.match(/sessionType USER \(0\) and without list/g)?.length, 1, 'said once');
});

test('cron read refuses before any list request: no file, the state file untouched, exit non-zero', async () => {
  const dir = tempDir();
  const stateFile = join(dir, 'state.json');
  const saved = `${JSON.stringify({ version: 1, streams: { media: { updatedAt: '2020-01-01T00:00:00Z', state_version: 1 } } })}\n`;
  writeFileSync(stateFile, saved);
  fx.emulator.control.resetRequestCounts();
  const runResult = await run('connector', ['read', '--config', fx.config('user'), '--output', 'jsonl', '--output-dir', join(dir, 'out'), '--state-file', stateFile]);
  assert.notEqual(runResult.code, 0);
  assert.equal(listRequests(), 0, 'no list request was sent');
  assert.match(runResult.stderr, /The token was created with sessionType USER \(0\) and without list:\*; this session sees only user alice\.martin@example\.com's entries/);
  assert.deepEqual(readdirSync(join(dir, 'out')), [], 'no output file, not even an empty one');
  assert.equal(readFileSync(stateFile, 'utf8'), saved, 'the state file is untouched');
  assert.deepEqual(readdirSync(dir).sort(), ['out', 'state.json'], 'no lock or temporary file left');
});
