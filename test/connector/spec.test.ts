import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runConnector, ofType, tempDir, writeJson } from '../helpers/cli.js';
import { assertValidMessages, validateConnectorSpec } from '../helpers/airbyteSchema.js';
import { startFixture } from '../helpers/setup.js';

const forbidden = ['anyOf', 'allOf', 'not', 'if', 'then', 'else', 'patternProperties', 'dependentRequired', 'dependentSchemas', 'prefixItems'];

function keysDeep(value: unknown, out = new Set<string>()): Set<string> {
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.add(k);
      keysDeep(v, out);
    }
  }
  return out;
}

test('spec prints one valid SPEC message that marks the token secret and uses only allowed keywords', async () => {
  const run = await runConnector(['spec']);
  assert.equal(run.code, 0);
  assertValidMessages(run.messages);
  const [message] = ofType(run.messages, 'SPEC');
  assert.ok(message, 'a SPEC message');
  assert.equal(validateConnectorSpec(message.spec), undefined);
  const props = message.spec.connectionSpecification.properties;
  assert.equal(props.app_token.airbyte_secret, true);
  for (const key of ['service_url', 'partner_id', 'app_token_id', 'app_token', 'hash_type', 'session_user_id', 'start_date', 'page_size', 'max_concurrency', 'request_timeout_seconds']) {
    assert.ok(props[key], `spec has ${key}`);
  }
  assert.equal(props.page_size.maximum, 500);
  assert.equal(props.service_url.default, 'https://www.kaltura.com');
  const used = keysDeep(message.spec.connectionSpecification);
  assert.deepEqual(forbidden.filter((k) => used.has(k)), []);
});

test('a config with several mistakes gets one message naming every bad field, without a stack trace', async () => {
  const dir = tempDir();
  const config = writeJson(dir, 'config.json', { partner_id: 'abc', app_token: 'x', page_size: 900, hash_type: 'SHA-1', start_date: 'yesterday', colour: 'blue' });
  const run = await runConnector(['check', '--config', config]);
  assert.equal(run.code, 0, 'check exits 0 even when it fails');
  const [status] = ofType(run.messages, 'CONNECTION_STATUS');
  assert.equal(status?.connectionStatus.status, 'FAILED');
  const text: string = status!.connectionStatus.message;
  for (const field of ['partner_id', 'app_token_id', 'page_size', 'hash_type', 'start_date', 'colour']) assert.match(text, new RegExp(field), `names ${field}`);
  assert.match(text, /must be <= 500/);
  assert.doesNotMatch(run.stdout + run.stderr, /\n\s+at /, 'no stack trace');
});

test('read with a broken config fails before any request with a config_error TRACE and a non-zero exit', async () => {
  const dir = tempDir();
  const config = writeJson(dir, 'config.json', { partner_id: 1, app_token_id: '0_abc', app_token: 'a'.repeat(32), service_url: 'http://kaltura.example.com' });
  const catalog = writeJson(dir, 'catalog.json', { streams: [] });
  const run = await runConnector(['read', '--config', config, '--catalog', catalog]);
  assert.notEqual(run.code, 0);
  assertValidMessages(run.messages);
  const [trace] = ofType(run.messages, 'TRACE');
  assert.equal(trace?.trace.error.failure_type, 'config_error');
  assert.match(trace!.trace.error.message, /plain http/);
  assert.match(trace!.trace.error.message, /allow_insecure_http/);
});

test('a start date in the future and a service_url that is not a URL are refused with the fix', async () => {
  const dir = tempDir();
  const config = writeJson(dir, 'config.json', { partner_id: 1, app_token_id: '0_abc', app_token: 'a'.repeat(32), service_url: 'https://', start_date: '2999-01-01T00:00:00Z' });
  const run = await runConnector(['check', '--config', config]);
  const text: string = ofType(run.messages, 'CONNECTION_STATUS')[0]!.connectionStatus.message;
  assert.match(text, /service_url/);
});

test('discover lists media and categories with their schemas, keys and cursor', async () => {
  // Discover asks the server which streams it serves (its plugins, its metadata profiles).
  const fx = await startFixture({ entries: 10, categories: 3, users: 2 });
  const run = await runConnector(['discover', '--config', fx.config()]).finally(() => fx.close());
  assert.equal(run.code, 0);
  assertValidMessages(run.messages);
  const [catalog] = ofType(run.messages, 'CATALOG');
  const byName = new Map<string, any>(catalog!.catalog.streams.map((s: any) => [s.name, s]));
  for (const name of ['media', 'categories']) {
    const s = byName.get(name);
    assert.ok(s, name);
    assert.deepEqual(s.supported_sync_modes, ['full_refresh', 'incremental']);
    assert.deepEqual(s.default_cursor_field, ['updatedAt']);
    assert.deepEqual(s.source_defined_primary_key, [['id']]);
    assert.equal(s.source_defined_cursor, true);
    assert.equal(s.json_schema.properties.updatedAt.format, 'date-time');
  }
  assert.equal(byName.get('media').json_schema.properties.id.type, 'string');
  assert.equal(byName.get('categories').json_schema.properties.id.type, 'integer');
});
