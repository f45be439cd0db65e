import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runConnector, ofType, recordsOf } from '../helpers/cli.js';
import { assertValidMessages } from '../helpers/airbyteSchema.js';
import { startFixture, type Fixture } from '../helpers/setup.js';

let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 2_000, categories: 40, seed: 3 });
});
after(() => fx.close());

async function checkStatus(config: string): Promise<{ status: string; message: string; logs: string[] }> {
  const run = await runConnector(['check', '--config', config]);
  assert.equal(run.code, 0, 'check exits 0 whatever it finds');
  assertValidMessages(run.messages);
  const [status] = ofType(run.messages, 'CONNECTION_STATUS');
  assert.ok(status, 'one CONNECTION_STATUS');
  return { status: status.connectionStatus.status, message: status.connectionStatus.message, logs: ofType(run.messages, 'LOG').map((m) => m.log.message) };
}

function tokenConfig(name: string, overrides: Record<string, unknown> = {}): string {
  return fx.config(name, overrides);
}

test('a wrong hash_type names the hash type the token really uses', async () => {
  const { status, message } = await checkStatus(tokenConfig('adminSha1', { hash_type: 'SHA512' }));
  assert.equal(status, 'FAILED');
  assert.match(message, /uses SHA1/);
  assert.match(message, /set hash_type to SHA1/i);
});

test('a missing hash_type is detected and the read goes on, with a warning saying which to set', async () => {
  const t = fx.emulator.tokens.admin!;
  const config = fx.write('nohash.json', { service_url: fx.emulator.url, partner_id: t.partnerId, app_token_id: t.id, app_token: t.token });
  const { status, logs } = await checkStatus(config);
  assert.equal(status, 'SUCCEEDED');
  assert.ok(logs.some((l) => l.includes(`uses ${t.hashType}`) && l.includes('hash_type')), 'the log names the hash type');
});

test('the token id pasted in place of the token value is called out', async () => {
  const t = fx.emulator.tokens.admin!;
  const { status, message } = await checkStatus(tokenConfig('admin', { app_token: t.id }));
  assert.equal(status, 'FAILED');
  assert.match(message, /token id, not the token's value/);
});

test('a wrong token value says the value is wrong and must not be the id', async () => {
  const { status, message } = await checkStatus(tokenConfig('admin', { app_token: 'f'.repeat(32) }));
  assert.equal(status, 'FAILED');
  assert.match(message, /INVALID_APP_TOKEN_HASH/);
  assert.match(message, /token id must not be used/);
});

test('an unknown token id is APP_TOKEN_ID_NOT_FOUND with the fix', async () => {
  const { status, message } = await checkStatus(tokenConfig('admin', { app_token_id: '0_zzzzzzzz' }));
  assert.equal(status, 'FAILED');
  assert.match(message, /APP_TOKEN_ID_NOT_FOUND/);
  assert.match(message, /app_token_id/);
});

test('a disabled token is APP_TOKEN_NOT_ACTIVE with the fix', async () => {
  const { status, message } = await checkStatus(tokenConfig('disabled'));
  assert.equal(status, 'FAILED');
  assert.match(message, /APP_TOKEN_NOT_ACTIVE/);
  assert.match(message, /Activate it|create a new token/);
});

test('an expired token is APP_TOKEN_EXPIRED with the fix', async () => {
  const { status, message } = await checkStatus(tokenConfig('expired'));
  assert.equal(status, 'FAILED');
  assert.match(message, /APP_TOKEN_EXPIRED/);
  assert.match(message, /Create a new token/);
});

test('a wrong partner_id is INVALID_WIDGET_ID naming partner_id', async () => {
  const { status, message } = await checkStatus(tokenConfig('admin', { partner_id: 987654 }));
  assert.equal(status, 'FAILED');
  assert.match(message, /INVALID_WIDGET_ID/);
  assert.match(message, /partner_id 987654/);
});

test('a blocked partner and a blocked user are config errors that say so', async () => {
  const partner = await checkStatus(tokenConfig('blockedPartner'));
  assert.equal(partner.status, 'FAILED');
  assert.match(partner.message, /SERVICE_FORBIDDEN_CONTENT_BLOCKED/);
  const user = await checkStatus(tokenConfig('blockedUser'));
  assert.equal(user.status, 'FAILED');
  assert.match(user.message, /USER_BLOCKED/);
});

test('a USER session without list:* passes check with a warning that it sees only its own entries', async () => {
  const { status, message } = await checkStatus(tokenConfig('user'));
  assert.equal(status, 'SUCCEEDED');
  assert.match(message, /USER session without list:\*/);
  assert.match(message, /sessionType ADMIN|list:\*/);
});

test('an ADMIN token without setrole gets a least-privilege suggestion; check reports the session', async () => {
  const { status, message } = await checkStatus(tokenConfig('admin'));
  assert.equal(status, 'SUCCEEDED');
  assert.match(message, /session type ADMIN/);
  assert.match(message, /lifetime \d+ s/);
  assert.match(message, /setrole/);
});

test('a token without disableentitlement is warned about hidden content', async () => {
  const { message } = await checkStatus(tokenConfig('adminNoEntitlement'));
  assert.match(message, /disableentitlement/);
});

test('a read-only role refused media->list reads media through baseentry.list and says so once', async () => {
  const { status } = await checkStatus(tokenConfig('readOnly'));
  assert.equal(status, 'SUCCEEDED');
  const run = await runConnector(['read', '--config', tokenConfig('readOnly'), '--catalog', fx.catalog([['media', 'full_refresh']])]);
  assert.equal(run.code, 0, run.stderr);
  const ids = new Set(recordsOf(run.messages, 'media').map((r) => r.id));
  const truth = fx.emulator.control.truth('media');
  assert.equal(ids.size, truth.length);
  for (const t of truth) assert.ok(ids.has(t.id));
  const notes = ofType(run.messages, 'LOG').filter((m) => /baseentry\.list/.test(m.log.message));
  assert.equal(notes.length, 1, 'said once');
});

test('a token deleted mid-way is a config error naming the deleted token, and the other stream still runs', async () => {
  const local = await startFixture({ entries: 3_000, categories: 20, seed: 5 });
  try {
    const config = local.config('admin');
    local.emulator.control.setFaults({ latencyMs: 20 });
    const running = runConnector(['read', '--config', config, '--catalog', local.catalog([['media', 'full_refresh'], ['categories', 'full_refresh']])]);
    await new Promise((r) => setTimeout(r, 400));
    local.emulator.control.deleteToken(local.emulator.tokens.admin!.id);
    const run = await running;
    assert.notEqual(run.code, 0);
    assertValidMessages(run.messages);
    const errors = ofType(run.messages, 'TRACE').filter((m) => m.trace.type === 'ERROR');
    assert.ok(errors.length >= 1);
    for (const e of errors) {
      assert.equal(e.trace.error.failure_type, 'config_error');
      assert.match(e.trace.error.message, /deleted|APP_TOKEN_ID_NOT_FOUND/);
    }
  } finally {
    await local.close();
  }
});

test('a stream refused by the session fails alone; the other streams complete and the exit code is non-zero', async () => {
  // The USER token without list:* may not list categories on this emulator? Use a role that lacks category->list if present.
  const run = await runConnector(['read', '--config', tokenConfig('admin'), '--catalog', fx.write('mixed.json', {
    streams: [
      { stream: { name: 'media' }, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' },
      { stream: { name: 'categories' }, sync_mode: 'incremental', destination_sync_mode: 'append' },
    ],
  }), '--state', fx.write('bad-state.json', [{ type: 'STREAM', stream: { stream_descriptor: { name: 'categories' }, stream_state: { updatedAt: 'not a date', state_version: 1 } } }])]);
  assert.notEqual(run.code, 0);
  const [trace] = ofType(run.messages, 'TRACE').filter((m) => m.trace.type === 'ERROR');
  assert.equal(trace?.trace.error.failure_type, 'config_error');
  assert.match(trace!.trace.error.message, /saved state of stream categories/);
  assert.equal(ofType(run.messages, 'RECORD').length, 0, 'bad state is refused before any read');
});

test('a state file of another shape is refused before any request', async () => {
  fx.emulator.control.resetRequestCounts();
  const run = await runConnector(['read', '--config', tokenConfig('admin'), '--catalog', fx.catalog([['media', 'incremental']]), '--state', fx.write('legacy.json', { media: { updatedAt: 1 } })]);
  assert.notEqual(run.code, 0);
  const [trace] = ofType(run.messages, 'TRACE');
  assert.match(trace!.trace.error.message, /array of per-stream states/);
  assert.equal(Object.values(fx.emulator.control.requestCounts()).reduce((a, b) => a + b, 0), 0);
});

test('a service_url that is not Kaltura gives a system error that says to check service_url', async () => {
  const { createServer } = await import('node:http');
  const server = createServer((_req, res) => res.end('{"hello":"world"}')).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const port = (server.address() as { port: number }).port;
    const { status, message } = await checkStatus(tokenConfig('admin', { service_url: `http://127.0.0.1:${port}` }));
    assert.equal(status, 'FAILED');
    assert.match(message, /not a Kaltura API answer/);
    assert.match(message, /service_url/);
  } finally {
    server.close();
  }
});

test('an XML answer (the JSON body ignored) is a clear system error', async () => {
  const { createServer } = await import('node:http');
  const server = createServer((_req, res) => res.end('<?xml version="1.0" encoding="utf-8"?><xml><result><error><code>MISSING_KS</code></error></result></xml>')).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const port = (server.address() as { port: number }).port;
    const { status, message } = await checkStatus(tokenConfig('admin', { service_url: `http://127.0.0.1:${port}` }));
    assert.equal(status, 'FAILED');
    assert.match(message, /XML instead of JSON/);
  } finally {
    server.close();
  }
});
