/**
 * Every error of the API contract (shared/kaltura-api.md) and every transport failure, through
 * describeFailure: the Airbyte failure type, and the words a person needs to act (the cause, the
 * setting or object to change, the code to search for).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionOf, describeFailure, isTransientCode, looksUpperCased, permissionFor, refusedService, statusAction, upperCasedTokenMessage, type Action, type FailureContext } from '../../connector/kaltura/errorTable.js';
import { KalturaApiError, TransportError, kalturaCodes, type KalturaCode } from '../../connector/kaltura/errors.js';
import { ConnectorError, type FailureType } from '../../connector/util/errors.js';

const url = 'https://api.region.kaltura.example';
const ctx: FailureContext = { partnerId: 1984310, appTokenId: '0_o7l19k80', serviceUrl: url };
const exhausted: FailureContext = { ...ctx, service: 'media', action: 'list', exhausted: true };
/** An unparseable KS as Kaltura quotes it back: must never be repeated. */
const rawKs = 'djJ8MTk4NDMxMHyXv0sPZk7aZfQhJx2aN3kqQ0g5Yl9zZWNyZXRfcGFydA==';

const api = (code: string, args: Record<string, string> = {}, service = 'media', action = 'list', message = `message of ${code}`) => new KalturaApiError(code, message, args, service, action);
const ks = (reason: string) => api('INVALID_KS', { KSID: reason, ERR_CODE: '-1', ERR_DESC: 'INVALID_STR' }, 'media', 'list', `Invalid KS "${reason}", Error "-1,INVALID_STR"`);
const forbidden = (service: string) => api('SERVICE_FORBIDDEN', { SERVICE: `${service}->list` }, service, 'list', `The access to service [${service}->list] is forbidden`);

interface Row {
  name: string;
  error: unknown;
  context?: FailureContext;
  type: FailureType;
  words: RegExp[];
  /** Text that must not appear (secrets, misleading advice). */
  not?: RegExp[];
}

const rows: Row[] = [
  { name: 'INVALID_WIDGET_ID', error: api('INVALID_WIDGET_ID', { WIDGET_ID: '_1984310' }, 'session', 'startWidgetSession'), type: 'config_error', words: [/\(INVALID_WIDGET_ID\)/, /partner_id 1984310/, new RegExp(url.replace(/\./g, '\\.')), /region/] },
  { name: 'APP_TOKEN_ID_NOT_FOUND', error: api('APP_TOKEN_ID_NOT_FOUND', { ID: '0_o7l19k80' }, 'apptoken', 'startSession'), type: 'config_error', words: [/\(APP_TOKEN_ID_NOT_FOUND\)/, /"0_o7l19k80"/, /partner 1984310/, /app_token_id/, /deleted/, /create a new token/] },
  { name: 'APP_TOKEN_NOT_ACTIVE', error: api('APP_TOKEN_NOT_ACTIVE', { ID: '0_o7l19k80' }, 'apptoken', 'startSession'), type: 'config_error', words: [/\(APP_TOKEN_NOT_ACTIVE\)/, /disabled/, /status 2/, /create a new token/] },
  { name: 'APP_TOKEN_EXPIRED', error: api('APP_TOKEN_EXPIRED', { ID: '0_o7l19k80' }, 'apptoken', 'startSession'), type: 'config_error', words: [/\(APP_TOKEN_EXPIRED\)/, /expir/, /Create a new token/] },
  { name: 'INVALID_APP_TOKEN_HASH', error: api('INVALID_APP_TOKEN_HASH', {}, 'apptoken', 'startSession'), type: 'config_error', words: [/\(INVALID_APP_TOKEN_HASH\)/, /app_token/, /hash_type/, /not the token id/] },
  { name: 'SERVICE_FORBIDDEN user->list', error: forbidden('user'), type: 'config_error', words: [/\(SERVICE_FORBIDDEN\)/, /user->list/, /ADMIN_BASE/, /sessionType USER \(0\)/, /sessionType ADMIN \(2\)/, /role/, /deselect the stream/] },
  { name: 'SERVICE_FORBIDDEN flavorasset->list', error: forbidden('flavorasset'), type: 'config_error', words: [/flavorasset->list/, /PLAYBACK_BASE_PERMISSION/] },
  { name: 'SERVICE_FORBIDDEN caption_captionasset->list', error: forbidden('caption_captionasset'), type: 'config_error', words: [/caption_captionasset->list/, /PLAYBACK_BASE_PERMISSION/] },
  { name: 'SERVICE_FORBIDDEN media->list', error: forbidden('media'), type: 'config_error', words: [/media->list/, /CONTENT_MANAGE_BASE/, /KMC_READ_ONLY does not include media\.list/, /baseentry\.list/] },
  { name: 'SERVICE_FORBIDDEN baseentry->list', error: forbidden('baseentry'), type: 'config_error', words: [/baseentry->list/, /KMC_READ_ONLY/] },
  { name: 'SERVICE_FORBIDDEN category->list', error: forbidden('category'), type: 'config_error', words: [/category->list/, /KMC_READ_ONLY/] },
  { name: 'SERVICE_FORBIDDEN categoryentry->list', error: forbidden('categoryentry'), type: 'config_error', words: [/categoryentry->list/, /KMC_READ_ONLY/] },
  { name: 'SERVICE_FORBIDDEN metadata_metadata->list', error: forbidden('metadata_metadata'), type: 'config_error', words: [/metadata_metadata->list/, /KMC_READ_ONLY/] },
  { name: 'SERVICE_FORBIDDEN of an action without a known permission', error: forbidden('playlist'), type: 'config_error', words: [/playlist->list/, /a permission that allows playlist->list/, /sessionType ADMIN \(2\)/] },
  { name: 'SERVICE_FORBIDDEN_CONTENT_BLOCKED', error: api('SERVICE_FORBIDDEN_CONTENT_BLOCKED'), type: 'config_error', words: [/\(SERVICE_FORBIDDEN_CONTENT_BLOCKED\)/, /partner 1984310 is blocked/, /suspended or closed/, /Contact your Kaltura account manager/, /nothing in the connector's config/] },
  { name: 'USER_BLOCKED', error: api('USER_BLOCKED'), type: 'config_error', words: [/\(USER_BLOCKED\)/, /user .* is blocked/, /Unblock the user/, /another sessionUserId/] },
  { name: 'MISSING_KS', error: api('MISSING_KS', {}, 'media', 'list', 'Missing KS, session not established'), type: 'system_error', words: [/\(MISSING_KS\)/, /media\.list/, /without a session/, /proxy/, new RegExp(url.replace(/\./g, '\\.')), /report it/] },
  { name: 'INVALID_KS EXPIRED', error: ks('EXPIRED'), type: 'system_error', words: [/\(INVALID_KS EXPIRED\)/, /expired/, /sessionDuration/] },
  { name: 'INVALID_KS LOGOUT', error: ks('LOGOUT'), type: 'config_error', words: [/\(INVALID_KS LOGOUT\)/, /app token "0_o7l19k80" was deleted/, /create a new token/] },
  { name: 'INVALID_KS INVALID_PARTNER', error: ks('INVALID_PARTNER'), type: 'config_error', words: [/\(INVALID_KS INVALID_PARTNER\)/, /another partner/, /partner_id/] },
  { name: 'INVALID_KS INVALID_USER', error: ks('INVALID_USER'), type: 'config_error', words: [/\(INVALID_KS INVALID_USER\)/, /user/, /sessionUserId/, /session_user_id/] },
  { name: 'INVALID_KS EXCEEDED_ACTIONS_LIMIT', error: ks('EXCEEDED_ACTIONS_LIMIT'), type: 'config_error', words: [/\(INVALID_KS EXCEEDED_ACTIONS_LIMIT\)/, /actionslimit/, /remove actionslimit/] },
  { name: 'INVALID_KS EXCEEDED_RESTRICTED_IP', error: ks('EXCEEDED_RESTRICTED_IP'), type: 'config_error', words: [/\(INVALID_KS EXCEEDED_RESTRICTED_IP\)/, /iprestrict/, /this machine's address/] },
  { name: 'INVALID_KS EXCEEDED_RESTRICTED_URI', error: ks('EXCEEDED_RESTRICTED_URI'), type: 'config_error', words: [/\(INVALID_KS EXCEEDED_RESTRICTED_URI\)/, /urirestrict/] },
  { name: 'INVALID_KS with an unreadable KS', error: ks(rawKs), type: 'system_error', words: [/\(INVALID_KS, unreadable session\)/, /proxy/, /service_url/, new RegExp(url.replace(/\./g, '\\.'))], not: [new RegExp(rawKs.slice(0, 12))] },
  { name: 'QUERY_EXCEEDED_MAX_MATCHES_ALLOWED', error: api('QUERY_EXCEEDED_MAX_MATCHES_ALLOWED', {}, 'media', 'list', 'Unable to generate list. max matches value was reached'), type: 'system_error', words: [/\(QUERY_EXCEEDED_MAX_MATCHES_ALLOWED\)/, /10,000/, /defect/, /report it/] },
  { name: 'MUST_FILTER_ON_ENTRY_OR_CATEGORY', error: api('MUST_FILTER_ON_ENTRY_OR_CATEGORY', {}, 'categoryentry', 'list', 'Must filter on entry id or category'), type: 'system_error', words: [/\(MUST_FILTER_ON_ENTRY_OR_CATEGORY\)/, /categoryentry\.list/, /defect/, /report it/] },
  { name: 'ACTION_BLOCKED after the retries', error: api('ACTION_BLOCKED', { ACTION_NAME: 'list', SERVICE_NAME: 'media' }), context: exhausted, type: 'transient_error', words: [/\(ACTION_BLOCKED\)/, /throttling media\.list/, /after every retry/, /Lower max_concurrency/] },
  { name: 'INTERNAL_SERVERL_ERROR after the retries', error: api('INTERNAL_SERVERL_ERROR'), context: exhausted, type: 'transient_error', words: [/\(INTERNAL_SERVERL_ERROR\)/, /internal server error/, /after every retry/, /Try again later/, /Kaltura support/] },
  { name: 'INTERNAL_DATABASE_ERROR after the retries', error: api('INTERNAL_DATABASE_ERROR', {}, 'media', 'list', 'Internal database error'), context: exhausted, type: 'transient_error', words: [/\(INTERNAL_DATABASE_ERROR\)/, /database error/, /after every retry/, /Try again later/] },
  { name: 'SERVICE_DOES_NOT_EXISTS', error: api('SERVICE_DOES_NOT_EXISTS', { SRV_NAME: 'caption_captionasset' }, 'caption_captionasset', 'list'), type: 'config_error', words: [/\(SERVICE_DOES_NOT_EXISTS\)/, /"caption_captionasset"/, /plugin/, /Deselect the stream/, new RegExp(url.replace(/\./g, '\\.'))] },
  { name: 'an unknown Kaltura code', error: api('SOME_NEW_CODE', {}, 'media', 'list', 'Something new went wrong'), type: 'system_error', words: [/SOME_NEW_CODE/, /Something new went wrong/, /deselect that stream/, /report the code/] },
  { name: 'HTTP 429 after the retries', error: new TransportError('status', 'HTTP 429', { status: 429, retryAfterMs: 1000 }), context: exhausted, type: 'transient_error', words: [/HTTP 429/, /after every retry/, /rate-limiting/, /lower max_concurrency/] },
  { name: 'HTTP 503 after the retries', error: new TransportError('status', 'HTTP 503', { status: 503 }), context: exhausted, type: 'transient_error', words: [/media\.list kept failing \(HTTP 503\)/, /after every retry/, /try again later/, new RegExp(url.replace(/\./g, '\\.'))] },
  { name: 'a timeout after the retries', error: new TransportError('timeout', 'no answer within 60 s'), context: exhausted, type: 'transient_error', words: [/no answer within 60 s/, /request_timeout_seconds/, /reachable/, new RegExp(url.replace(/\./g, '\\.'))] },
  { name: 'a reset connection after the retries', error: new TransportError('network', 'network error ECONNRESET'), context: exhausted, type: 'transient_error', words: [/ECONNRESET/, /reachable/, /firewall|proxy/, new RegExp(url.replace(/\./g, '\\.'))] },
  { name: 'a truncated body after the retries', error: new TransportError('cut', 'the answer was cut off: not complete JSON (1234 bytes)'), context: exhausted, type: 'transient_error', words: [/cut off/, /broke in the middle of an answer/, /try again later/, new RegExp(url.replace(/\./g, '\\.'))] },
  { name: 'an unexpected exception', error: new TypeError('x is not a function'), type: 'system_error', words: [/^Unexpected failure: x is not a function/, /defect/, /report it/] },
];

for (const row of rows) {
  test(`describeFailure: ${row.name}`, () => {
    const error = describeFailure(row.error, row.context ?? ctx);
    assert.ok(error instanceof ConnectorError);
    assert.equal(error.failureType, row.type, error.message);
    for (const word of row.words) assert.match(error.message, word);
    for (const word of row.not ?? []) {
      assert.doesNotMatch(error.message, word);
      assert.doesNotMatch(error.internalMessage ?? '', word);
    }
    if (row.error instanceof KalturaApiError) assert.match(error.internalMessage ?? '', new RegExp(`answered ${row.error.code}`));
  });
}

test('every Kaltura code of the API contract has a rule of its own (not the unknown-code fallback)', () => {
  const codes = ['INVALID_WIDGET_ID', 'APP_TOKEN_ID_NOT_FOUND', 'APP_TOKEN_NOT_ACTIVE', 'INVALID_APP_TOKEN_HASH', 'APP_TOKEN_EXPIRED', 'INVALID_KS', 'MISSING_KS', 'SERVICE_FORBIDDEN', 'MUST_FILTER_ON_ENTRY_OR_CATEGORY', 'SERVICE_FORBIDDEN_CONTENT_BLOCKED', 'USER_BLOCKED', 'QUERY_EXCEEDED_MAX_MATCHES_ALLOWED', 'ACTION_BLOCKED', 'INTERNAL_SERVERL_ERROR', 'INTERNAL_DATABASE_ERROR', 'SERVICE_DOES_NOT_EXISTS'];
  for (const code of codes) {
    const message = describeFailure(api(code, { KSID: 'EXPIRED', SERVICE: 'media->list' }), ctx).message;
    assert.doesNotMatch(message, /does not know this error/, code);
    assert.match(message, new RegExp(code), `${code} is named in its message`);
  }
});

test('only throttling and Kaltura internal errors are retried as transient', () => {
  for (const code of ['ACTION_BLOCKED', 'INTERNAL_SERVERL_ERROR', 'INTERNAL_DATABASE_ERROR']) assert.equal(isTransientCode(code), true, code);
  for (const code of ['INVALID_KS', 'SERVICE_FORBIDDEN', 'MISSING_KS', 'QUERY_EXCEEDED_MAX_MATCHES_ALLOWED', 'APP_TOKEN_EXPIRED', 'SOME_NEW_CODE']) assert.equal(isTransientCode(code), false, code);
});

test('the permission that grants each action follows the emulator\'s permission table', async () => {
  const { ACTION_PERMISSIONS } = await import('../../fixtures/emulator/permissions.js');
  for (const [key, allowed] of Object.entries(ACTION_PERMISSIONS)) {
    if (key === 'apptoken.startsession') continue;
    const named = permissionFor(key.replace('.', '->'));
    assert.ok(named, `a permission is named for ${key}`);
    const first = /^[A-Z_]+/.exec(named)![0];
    assert.ok(allowed.includes(first), `${first} really grants ${key}`);
  }
  assert.equal(permissionFor('USER->LIST'), permissionFor('user->list'), 'case does not matter');
});

test('a ConnectorError passes through unchanged', () => {
  const original = new ConnectorError('config_error', 'already said');
  assert.equal(describeFailure(original, ctx), original);
});

test('the table holds the action for every known code: what the transport, the client and the source do about it', () => {
  const expected: Record<KalturaCode, Action> = {
    INVALID_WIDGET_ID: 'fail',
    APP_TOKEN_ID_NOT_FOUND: 'fail',
    APP_TOKEN_NOT_ACTIVE: 'fail',
    APP_TOKEN_EXPIRED: 'fail',
    INVALID_APP_TOKEN_HASH: 'fail',
    SERVICE_FORBIDDEN: 'fallback',
    SERVICE_FORBIDDEN_CONTENT_BLOCKED: 'fail',
    USER_BLOCKED: 'fail',
    SERVICE_DOES_NOT_EXISTS: 'fail',
    ACTION_DOES_NOT_EXISTS: 'fail',
    MISSING_KS: 'fail',
    INVALID_KS: 'relogin',
    QUERY_EXCEEDED_MAX_MATCHES_ALLOWED: 'fail',
    MUST_FILTER_ON_ENTRY_OR_CATEGORY: 'fail',
    ACTION_BLOCKED: 'throttle',
    INTERNAL_SERVERL_ERROR: 'retry',
    INTERNAL_SERVER_ERROR: 'retry',
    INTERNAL_DATABASE_ERROR: 'retry',
  };
  for (const code of kalturaCodes) assert.equal(actionOf(api(code)), expected[code], code);
  assert.equal(actionOf(api('SOME_NEW_CODE')), 'fail', 'an unknown code is reported, not retried');
  assert.equal(actionOf(new TypeError('x')), 'fail');
});

test('transport failures have their action too: overloads are retried, a server that is not Kaltura is reported at once', () => {
  const status = (n: number) => actionOf(new TransportError('status', `HTTP ${n}`, { status: n }));
  assert.equal(status(429), 'throttle');
  for (const n of [408, 500, 502, 503, 504, 599]) assert.equal(status(n), 'retry', `HTTP ${n}`);
  for (const n of [301, 400, 401, 403, 404, 405, 501, 505]) assert.equal(status(n), 'fail', `HTTP ${n}`);
  assert.equal(statusAction(501), 'fail', 'Not Implemented is a server refusing the request, never an overload');
  for (const kind of ['timeout', 'network', 'cut'] as const) assert.equal(actionOf(new TransportError(kind, kind)), 'retry', kind);
  assert.equal(actionOf(new TransportError('foreign', 'text, not JSON')), 'fail');
  assert.equal(actionOf(new TransportError('xml', 'XML')), 'fail');
});

test('a refusal that may fall back names the refused service; other errors name none', () => {
  assert.equal(refusedService(forbidden('media')), 'media->list');
  assert.equal(refusedService(api('SERVICE_FORBIDDEN', { SERVICE: 'MEDIA->LIST' })), 'media->list', 'as Kaltura spells it, in any case');
  assert.equal(refusedService(api('SERVICE_FORBIDDEN_CONTENT_BLOCKED', { SERVICE: 'media->list' })), undefined);
  assert.equal(refusedService(api('INVALID_KS')), undefined);
  assert.equal(refusedService(new Error('SERVICE_FORBIDDEN')), undefined);
});

test('a server that is not Kaltura is said so, with what it answered, and not blamed on Kaltura', () => {
  const cases = [
    new TransportError('status', 'HTTP 501', { answer: { status: 501, contentType: 'text/html', excerpt: '501 Not Implemented' } }),
    new TransportError('status', 'HTTP 405', { answer: { status: 405, contentType: 'text/plain', excerpt: 'Method Not Allowed' } }),
    new TransportError('status', 'HTTP 404', { answer: { status: 404 } }),
    new TransportError('foreign', 'text, not JSON', { answer: { status: 200, contentType: 'text/plain', excerpt: 'hello' } }),
  ];
  for (const err of cases) {
    const error = describeFailure(err, { ...ctx, service: 'session', action: 'startWidgetSession' });
    assert.equal(error.failureType, 'config_error', err.message);
    assert.match(error.message, /service_url does not point at a Kaltura API/);
    assert.match(error.message, new RegExp(`HTTP ${err.status}`));
    if (err.answer?.contentType) assert.ok(error.message.includes(`${err.answer.contentType}: ${JSON.stringify(err.answer.excerpt)}`), error.message);
    else assert.match(error.message, /no content type, empty/);
    assert.doesNotMatch(error.message, /contact Kaltura support|kept failing|cut off/);
  }
});

test('a 5xx from a host that never answered as Kaltura names both causes; after Kaltura answered, it is Kaltura failing', () => {
  const err = new TransportError('status', 'HTTP 503', { answer: { status: 503, contentType: 'text/html', excerpt: 'Service Unavailable' } });
  const never = describeFailure(err, { ...exhausted, kalturaSeen: false }).message;
  assert.match(never, /has not given one Kaltura API answer in this run; it answered HTTP 503 \(text\/html: "Service Unavailable"\)/);
  assert.match(never, /service_url does not point at a Kaltura API/);
  assert.doesNotMatch(never, /contact Kaltura support/);
  assert.match(describeFailure(err, { ...exhausted, kalturaSeen: true }).message, /Kaltura or a load balancer in front of .* is failing/);
});

test('a host that never answered is "cannot be reached", with the last failure and the limit that ended the wait', () => {
  const refused = describeFailure(new TransportError('network', 'network error ECONNREFUSED'), { ...exhausted, unreachable: true, attempts: 6, elapsedMs: 90_400, timeLimitMs: 90_000 });
  assert.equal(refused.failureType, 'config_error', 'nobody listens there: the config names the wrong host or port');
  assert.match(refused.message, /^https:\/\/api\.region\.kaltura\.example cannot be reached: media\.list got no answer \(6 attempts in 90 s\), the last attempt: network error ECONNREFUSED/);
  assert.match(refused.message, /has not answered once within 90 s/);
  const silent = describeFailure(new TransportError('timeout', 'no answer within 60 s'), { ...exhausted, unreachable: true, attempts: 2, elapsedMs: 90_000, timeLimitMs: 90_000 });
  assert.equal(silent.failureType, 'transient_error');
  assert.match(silent.message, /cannot be reached/);
  assert.match(silent.message, /request_timeout_seconds/);
});

test('a call that ran out of time says how long it tried and which setting bounds it', () => {
  const error = describeFailure(api('INTERNAL_DATABASE_ERROR'), { ...exhausted, attempts: 7, elapsedMs: 180_300, timeLimitMs: 180_000 });
  assert.match(error.message, /\(INTERNAL_DATABASE_ERROR\) after every retry \(7 attempts in 180 s, the max_retry_seconds limit of 180 s\)/);
});

test('an upper-cased token value is recognised, and the message never quotes it', () => {
  const token = '0123456789abcdef0123456789abcdef';
  assert.equal(looksUpperCased(token.toUpperCase()), true);
  assert.equal(looksUpperCased('0123456789ABCDEF0123456789abcdef'), true, 'partly upper-cased');
  assert.equal(looksUpperCased(token), false);
  assert.equal(looksUpperCased('0'.repeat(32)), false, 'no letters: nothing to say about their case');
  assert.equal(looksUpperCased('0_o7l19k80'), false);
  const message = upperCasedTokenMessage('0_o7l19k80');
  assert.match(message, /^app_token looks upper-cased/);
  assert.match(message, /Kaltura token values are 32 lower-case hex characters: paste it as Kaltura shows it/);
  assert.ok(!message.toLowerCase().includes(token.slice(0, 6)));
});
