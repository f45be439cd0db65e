/**
 * Every error of the API contract (shared/kaltura-api.md) and every transport failure, through
 * describeFailure: the Airbyte failure type, and the words a person needs to act (the cause, the
 * setting or object to change, the code to search for).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeFailure, isTransientCode, permissionFor, type FailureContext } from '../../connector/kaltura/errorTable.js';
import { KalturaApiError, TransportError } from '../../connector/kaltura/errors.js';
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
