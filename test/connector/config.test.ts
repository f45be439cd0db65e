import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../connector/config/config.js';
import { ConnectorError } from '../../connector/kaltura/errors.js';

const base = { partner_id: 1, app_token_id: '0_abc', app_token: 'a'.repeat(32) };

function problemOf(input: unknown): string {
  try {
    parseConfig(input);
  } catch (err) {
    assert.ok(err instanceof ConnectorError);
    assert.equal(err.failureType, 'config_error');
    return err.message;
  }
  assert.fail('the config was accepted');
}

test('defaults of the spec are filled in', () => {
  const config = parseConfig(base);
  assert.equal(config.service_url, 'https://www.kaltura.com');
  assert.equal(config.page_size, 500);
  assert.equal(config.lookback_window_seconds, 300);
  assert.ok(config.max_concurrency >= 1);
});

test('plain http is refused for a remote host unless allowed, and accepted on loopback', () => {
  assert.match(problemOf({ ...base, service_url: 'http://api.kaltura.example' }), /plain http/);
  assert.equal(parseConfig({ ...base, service_url: 'http://api.kaltura.example', allow_insecure_http: true }).service_url, 'http://api.kaltura.example');
  assert.equal(parseConfig({ ...base, service_url: 'http://127.0.0.1:8080/' }).service_url, 'http://127.0.0.1:8080');
});

test('start_date is parsed to unix seconds and refused in the future', () => {
  assert.equal(parseConfig({ ...base, start_date: '2020-01-01T00:00:00Z' }).startTime, 1577836800);
  assert.match(problemOf({ ...base, start_date: '2999-01-01T00:00:00Z' }), /future/);
});

test('a config that is not an object is refused clearly', () => {
  assert.match(problemOf([]), /must be object/);
  assert.match(problemOf(null), /must be object/);
});
