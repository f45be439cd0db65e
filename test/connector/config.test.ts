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

test('hash_type is accepted in any letter case, and used upper-cased', () => {
  for (const spelling of ['sha256', 'Sha256', 'SHA256', 'sHa256']) assert.equal(parseConfig({ ...base, hash_type: spelling }).hash_type, 'SHA256', spelling);
  assert.equal(parseConfig({ ...base, hash_type: 'md5' }).hash_type, 'MD5');
  assert.match(problemOf({ ...base, hash_type: 'SHA-256' }), /hash_type: "SHA-256" is not a hash type; use SHA1, SHA256, SHA512 or MD5 \(in any letter case\)/);
});

test('a service_url with a user name or password is refused without printing them', () => {
  const password = 's3cr3tpw-config';
  for (const url of [`http://user:${password}@127.0.0.1:8080`, `https://user:${password}@api.kaltura.example`, `https://user:${password}@api.kaltura.example/api_v3`, `https://:${password}@api.kaltura.example`, `http://us er:${password}@host`]) {
    const message = problemOf({ ...base, service_url: url });
    assert.match(message, /service_url: holds a user name or password/, url);
    assert.match(message, /remove it and give only the host/, url);
    assert.ok(!message.includes(password), `${url}: the password is not printed`);
    assert.ok(!/@(127|api|host)/.test(message), `${url}: nor the URL`);
  }
  assert.match(problemOf({ ...base, service_url: 'https://operator@api.kaltura.example' }), /holds a user name or password/);
});

test('max_retry_seconds is optional and bounded', () => {
  assert.equal(parseConfig(base).max_retry_seconds, undefined, 'no default in the config: the environment or the built-in 180 s apply');
  assert.equal(parseConfig({ ...base, max_retry_seconds: 30 }).max_retry_seconds, 30);
  assert.match(problemOf({ ...base, max_retry_seconds: 0 }), /max_retry_seconds: must be >= 1/);
});
