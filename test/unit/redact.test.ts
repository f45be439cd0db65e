/** The last line of defence: every message and log line passes `redact` on its way out. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SecretRegistry, withoutUrlCredentials } from '../../connector/util/redact.js';

test('the user info of any URL in a text is replaced, whatever the scheme and wherever it stands', () => {
  assert.equal(withoutUrlCredentials('GET http://user:s3cr3tpw@host:8080/api failed'), 'GET http://***@host:8080/api failed');
  assert.equal(withoutUrlCredentials('{"url":"https://u%40x:p%3Aw@host"}'), '{"url":"https://***@host"}');
  assert.equal(withoutUrlCredentials('redirected to HTTPS://admin@proxy.example/login'), 'redirected to HTTPS://***@proxy.example/login');
  assert.equal(withoutUrlCredentials('two: http://a:b@one and ftp://c:d@two'), 'two: http://***@one and ftp://***@two');
});

test('text without user info is left as it is: an address after a URL is not user info', () => {
  for (const text of ['https://www.kaltura.com answered', 'https://host/path?to=me@example.com', 'user "admin@example.com" on https://host', 'no url here: a@b']) {
    assert.equal(withoutUrlCredentials(text), text);
  }
});

test('the registry removes URL credentials even before it knows any secret', () => {
  const registry = new SecretRegistry();
  assert.equal(registry.redact('http://user:pw@host'), 'http://***@host');
  registry.add('0123456789abcdef');
  assert.equal(registry.redact('token 0123456789abcdef at http://user:pw@host'), 'token *** at http://***@host');
});
