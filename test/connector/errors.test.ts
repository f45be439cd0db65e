import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
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
  assert.match(partner.message, /Contact your Kaltura account manager/);
  const user = await checkStatus(tokenConfig('blockedUser'));
  assert.equal(user.status, 'FAILED');
  assert.match(user.message, /USER_BLOCKED/);
  assert.match(user.message, /Unblock the user/);
});

test('a USER session without list:* passes check with a warning that it sees only its own entries', async () => {
  const { status, message } = await checkStatus(tokenConfig('user'));
  assert.equal(status, 'SUCCEEDED');
  assert.match(message, /USER session without list:\*/);
  assert.match(message, /sessionType ADMIN|list:\*/);
  // The USER role may not list users: check names the refused action and the permission that grants it.
  assert.match(message, /Not permitted to this session's role.*users: .*user->list \(SERVICE_FORBIDDEN\).*ADMIN_BASE/);
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

test('a token deleted mid-way is a config error naming the deleted token, and the other stream still runs to COMPLETE', async () => {
  const local = await startFixture({ entries: 3_000, categories: 20, seed: 5 });
  try {
    // media is slow, categories is not: the token is deleted once categories has completed and
    // while media is still reading, so the one fails and the other has run to its end.
    local.emulator.control.setFaults({ latencyMs: 300, onlyServices: ['media.list', 'baseentry.list'] });
    let deleted = false;
    const run = await runConnector(['read', '--config', local.config('admin', { page_size: 100 }), '--catalog', local.catalog([['media', 'full_refresh'], ['categories', 'full_refresh']])], {
      onMessage: (m) => {
        if (!deleted && m.type === 'TRACE' && m.trace.type === 'STREAM_STATUS' && m.trace.stream_status.stream_descriptor.name === 'categories' && m.trace.stream_status.status === 'COMPLETE') {
          deleted = true;
          local.emulator.control.deleteToken(local.emulator.tokens.admin!.id);
        }
      },
    });
    assert.ok(deleted, 'categories completed while media was still reading');
    assert.notEqual(run.code, 0);
    assertValidMessages(run.messages);
    const errors = ofType(run.messages, 'TRACE').filter((m) => m.trace.type === 'ERROR');
    assert.equal(errors.length, 1, 'one stream failed');
    assert.equal(errors[0]!.trace.error.stream_descriptor.name, 'media');
    assert.equal(errors[0]!.trace.error.failure_type, 'config_error');
    assert.match(errors[0]!.trace.error.message, /deleted|APP_TOKEN_ID_NOT_FOUND/);
    assert.match(errors[0]!.trace.error.message, new RegExp(local.emulator.tokens.admin!.id));
    assert.equal(statusesOf(run.messages, 'media').at(-1), 'INCOMPLETE');
    assert.equal(statusesOf(run.messages, 'categories').at(-1), 'COMPLETE');
    assert.equal(new Set(recordsOf(run.messages, 'categories').map((r) => r.id)).size, local.emulator.control.truth('categories').length, 'every category was read');
  } finally {
    await local.close();
  }
});

function statusesOf(messages: Array<Record<string, any>>, stream: string): string[] {
  return ofType(messages, 'TRACE')
    .filter((m) => m.trace.type === 'STREAM_STATUS' && m.trace.stream_status.stream_descriptor.name === stream)
    .map((m) => m.trace.stream_status.status);
}

test('a stream refused by the session fails alone; the other streams complete and the exit code is non-zero', async () => {
  // A USER session may list categories but not users (user.list needs ADMIN_BASE).
  const run = await runConnector(['read', '--config', tokenConfig('user'), '--catalog', fx.catalog([['users', 'incremental'], ['categories', 'full_refresh']])]);
  assert.notEqual(run.code, 0);
  assertValidMessages(run.messages);
  const errors = ofType(run.messages, 'TRACE').filter((m) => m.trace.type === 'ERROR');
  assert.equal(errors.length, 1, 'only the refused stream failed');
  const error = errors[0]!.trace.error;
  assert.equal(error.stream_descriptor.name, 'users');
  assert.equal(error.failure_type, 'config_error');
  assert.match(error.message, /user->list \(SERVICE_FORBIDDEN\)/);
  assert.match(error.message, /ADMIN_BASE/, 'names the permission that grants it');
  assert.equal(statusesOf(run.messages, 'users').at(-1), 'INCOMPLETE');
  assert.equal(recordsOf(run.messages, 'users').length, 0);
  assert.equal(statusesOf(run.messages, 'categories')[0], 'STARTED');
  assert.equal(statusesOf(run.messages, 'categories').at(-1), 'COMPLETE');
  assert.ok(recordsOf(run.messages, 'categories').length > 0, 'categories has records');
});

test('a saved state that is not a time is refused before any request', async () => {
  fx.emulator.control.resetRequestCounts();
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
  assert.equal(totalRequests(), 0, 'nothing was sent');
});

function totalRequests(): number {
  return Object.values(fx.emulator.control.requestCounts()).reduce((a, b) => a + b, 0);
}

test('bad input is a clear config error, exit non-zero, and nothing is sent: state version, files not JSON, a future start_date', async () => {
  const t = fx.emulator.tokens.admin!;
  const good = tokenConfig('admin');
  const catalog = fx.catalog([['media', 'incremental']]);
  const notJson = (name: string, text: string) => {
    const path = `${fx.dir}/${name}`;
    writeFileSync(path, text);
    return path;
  };
  const cases: Array<{ label: string; args: string[]; words: RegExp[] }> = [
    {
      label: 'a state of another state_version',
      args: ['read', '--config', good, '--catalog', catalog, '--state', fx.write('v2-state.json', [{ type: 'STREAM', stream: { stream_descriptor: { name: 'media' }, stream_state: { updatedAt: '2024-05-01T12:00:00Z', state_version: 2 } } }])],
      words: [/saved state of stream media/, /state_version 2/, /version 1/],
    },
    {
      label: 'a config file that is not JSON',
      args: ['read', '--config', notJson('broken-config.json', `{"service_url": "${fx.emulator.url}", "partner_id": ${t.partnerId}, "app_token_id": "${t.id}", "app_token": "${t.token}",}`), '--catalog', catalog],
      words: [/The config file .*broken-config\.json is not valid JSON/, /line 1, column \d+/],
    },
    {
      label: 'a catalog file that is not JSON',
      args: ['read', '--config', good, '--catalog', notJson('broken-catalog.json', '{"streams": [ {"stream": {"name": "media"} ]}')],
      words: [/The catalog file .*broken-catalog\.json is not valid JSON/, /line 1, column \d+/],
    },
    {
      label: 'a start_date in the future',
      args: ['read', '--config', tokenConfig('admin', { start_date: '2999-01-01T00:00:00Z' }), '--catalog', catalog],
      words: [/start_date: 2999-01-01T00:00:00Z is in the future/],
    },
    {
      label: 'several bad fields at once',
      args: ['read', '--config', tokenConfig('admin', { page_size: 900, service_url: 'http://kaltura.example.com', start_date: '2999-01-01T00:00:00Z' }), '--catalog', catalog],
      words: [/3 problems/, /page_size: must be <= 500/, /service_url: http:\/\/kaltura\.example\.com is plain http/, /start_date: .* is in the future/],
    },
  ];
  for (const c of cases) {
    fx.emulator.control.resetRequestCounts();
    const run = await runConnector(c.args);
    assert.notEqual(run.code, 0, c.label);
    assertValidMessages(run.messages);
    const [trace] = ofType(run.messages, 'TRACE').filter((m) => m.trace.type === 'ERROR');
    assert.equal(trace?.trace.error.failure_type, 'config_error', c.label);
    for (const word of c.words) assert.match(trace!.trace.error.message, word, c.label);
    assert.equal(ofType(run.messages, 'RECORD').length, 0, c.label);
    assert.equal(totalRequests(), 0, `${c.label}: nothing was sent`);
  }
});

test('a state file of another shape is refused before any request', async () => {
  fx.emulator.control.resetRequestCounts();
  const run = await runConnector(['read', '--config', tokenConfig('admin'), '--catalog', fx.catalog([['media', 'incremental']]), '--state', fx.write('legacy.json', { media: { updatedAt: 1 } })]);
  assert.notEqual(run.code, 0);
  const [trace] = ofType(run.messages, 'TRACE');
  assert.match(trace!.trace.error.message, /array of per-stream states/);
  assert.equal(Object.values(fx.emulator.control.requestCounts()).reduce((a, b) => a + b, 0), 0);
});

test('a service_url that answers JSON of another kind says it is not Kaltura and to check service_url', async () => {
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

async function loopbackSite(handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void): Promise<{ url: string; requests: () => number; close: () => void }> {
  const { createServer } = await import('node:http');
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    handler(req, res);
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests: () => requests, close: () => server.close() };
}

test('an HTML page at service_url says it is not a Kaltura API answer and names the URL', async () => {
  const site = await loopbackSite((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!DOCTYPE html>\n<html><head><title>Kaltura MediaSpace</title></head><body>Sign in</body></html>');
  });
  try {
    const { status, message } = await checkStatus(tokenConfig('admin', { service_url: site.url }));
    assert.equal(status, 'FAILED');
    assert.match(message, /not a Kaltura API answer/);
    assert.doesNotMatch(message, /XML instead of JSON/);
    assert.ok(message.includes(site.url), message);
    assert.match(message, /service_url/);
    assert.equal(site.requests(), 1, 'not retried');
  } finally {
    site.close();
  }
});

test('HTTP 404 at service_url is a config problem naming the URL, sent once', async () => {
  const site = await loopbackSite((_req, res) => {
    res.writeHead(404, { 'Content-Type': 'text/html' });
    res.end('<html><body>Not Found</body></html>');
  });
  try {
    const { status, message } = await checkStatus(tokenConfig('admin', { service_url: site.url }));
    assert.equal(status, 'FAILED');
    assert.match(message, /HTTP 404/);
    assert.ok(message.includes(site.url), message);
    assert.doesNotMatch(message, /kept failing|transient/);
    assert.equal(site.requests(), 1, 'a 404 is not retried');
  } finally {
    site.close();
  }
});

test('a token value pasted upper-cased is said to be upper-cased, and neither form of it is printed', async () => {
  const t = fx.emulator.tokens.admin!;
  const upper = t.token.toUpperCase();
  assert.notEqual(upper, t.token, 'the emulator token has letters');
  for (const hashType of [t.hashType, undefined]) {
    const run = await runConnector(['check', '--config', tokenConfig('admin', { app_token: upper, hash_type: hashType })]);
    const [status] = ofType(run.messages, 'CONNECTION_STATUS');
    assert.equal(status?.connectionStatus.status, 'FAILED');
    assert.match(status!.connectionStatus.message, /^app_token looks upper-cased/);
    assert.match(status!.connectionStatus.message, /Kaltura token values are 32 lower-case hex characters: paste it as Kaltura shows it/);
    for (const form of [upper, t.token]) assert.ok(!(run.stdout + run.stderr).toLowerCase().includes(form.toLowerCase().slice(0, 8)), 'no part of the token is printed');
  }
  const read = await runConnector(['read', '--config', tokenConfig('admin', { app_token: upper }), '--catalog', fx.catalog([['categories', 'full_refresh']])]);
  assert.notEqual(read.code, 0);
  const [error] = ofType(read.messages, 'TRACE').filter((m) => m.trace.type === 'ERROR');
  assert.equal(error?.trace.error.failure_type, 'config_error');
  assert.match(error!.trace.error.message, /looks upper-cased/);
});

test('hash_type is accepted in any letter case', async () => {
  const t = fx.emulator.tokens.admin!;
  for (const spelling of [t.hashType.toLowerCase(), t.hashType.charAt(0) + t.hashType.slice(1).toLowerCase()]) {
    const { status, logs } = await checkStatus(tokenConfig('admin', { hash_type: spelling }));
    assert.equal(status, 'SUCCEEDED', spelling);
    assert.ok(!logs.some((l) => /Set hash_type to/.test(l)), `${spelling}: the configured hash type was used, not detected`);
  }
});
