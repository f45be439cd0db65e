import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../connector/config/config.js';
import { ConnectorError } from '../../connector/util/errors.js';

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

test('every bad field is named in one message: schema problems and the checks after them', () => {
  const message = problemOf({ ...base, page_size: 900, service_url: 'http://kaltura.example.com', start_date: '2999-01-01T00:00:00Z' });
  assert.match(message, /^The config has 3 problems:/);
  assert.match(message, /page_size: must be <= 500/);
  assert.match(message, /service_url: http:\/\/kaltura\.example\.com is plain http/);
  assert.match(message, /start_date: 2999-01-01T00:00:00Z is in the future/);
});

test('a service_url that is not a URL is said plainly, not as a regular expression', () => {
  const notUrl = problemOf({ ...base, service_url: 'kaltura dot com' });
  assert.match(notUrl, /service_url: "kaltura dot com" is not a URL; use the API host of your Kaltura account, such as https:\/\/www\.kaltura\.com/);
  const withPath = problemOf({ ...base, service_url: 'https://www.kaltura.com/api_v3' });
  assert.match(withPath, /service_url: "https:\/\/www\.kaltura\.com\/api_v3" has a path; give only the host/);
  const ftp = problemOf({ ...base, service_url: 'ftp://www.kaltura.com' });
  assert.match(ftp, /must start with https:\/\//);
  for (const m of [notUrl, withPath, ftp]) assert.doesNotMatch(m, /pattern|\^https/);
});

test('a start_date that is not a date-time is one plain line, with the form to use', () => {
  const message = problemOf({ ...base, start_date: 'yesterday', page_size: 0 });
  assert.match(message, /2 problems/);
  assert.match(message, /start_date: "yesterday" is not a date-time; use a form like 2020-01-01T00:00:00Z/);
  assert.match(message, /page_size: must be >= 1/);
  assert.doesNotMatch(message, /pattern/);
});

test('missing required fields are all named', () => {
  const message = problemOf({ service_url: 'https://www.kaltura.com' });
  for (const field of ['partner_id', 'app_token_id', 'app_token']) assert.match(message, new RegExp(`${field}: is required`));
});
