/** Section 2 and 3 of the API page: widget session, AppToken login, KS failures. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, type Emulator } from '../../fixtures/emulator/index.js';
import { api, hashOf, login, startSession, widgetKs } from './helpers.js';

let emu: Emulator;
before(async () => {
  emu = await startEmulator({ entries: 300, categories: 12, seed: 3 });
});
after(async () => {
  await emu.close();
});

function tok(key: string) {
  const t = emu.tokens[key];
  assert.ok(t, `token ${key}`);
  return t;
}

test('startWidgetSession answers partnerId, ks, userId 0 and KalturaStartWidgetSessionResponse', async () => {
  const r = await api(emu, 'session', 'startWidgetSession', { widgetId: `_${emu.partnerId}` });
  assert.deepEqual(Object.keys(r), ['partnerId', 'ks', 'userId', 'objectType']);
  assert.equal(r.partnerId, emu.partnerId);
  assert.equal(r.userId, 0);
  assert.equal(r.objectType, 'KalturaStartWidgetSessionResponse');
});

test('an unknown widget is INVALID_WIDGET_ID "Unknown widget [@WIDGET_ID@]"', async () => {
  const r = await api(emu, 'session', 'startWidgetSession', { widgetId: '_999' });
  assert.deepEqual(r, { code: 'INVALID_WIDGET_ID', message: 'Unknown widget [_999]', objectType: 'KalturaAPIException', args: { WIDGET_ID: '_999' } });
});

test('KS strings are opaque and long, not structured ids', async () => {
  const ks = await login(emu, 'admin');
  assert.ok(ks.length > 100);
  assert.match(ks, /^[A-Za-z0-9_-]+$/);
});

for (const key of ['adminMd5', 'adminSha1', 'admin', 'adminSha512']) {
  test(`apptoken login works with hash type of token ${key} and answers KalturaSessionInfo`, async () => {
    const t = tok(key);
    const before = emu.control.now();
    const info = await startSession(emu, key);
    assert.deepEqual(Object.keys(info), ['ks', 'sessionType', 'partnerId', 'userId', 'expiry', 'privileges', 'objectType']);
    assert.equal(info.objectType, 'KalturaSessionInfo');
    assert.equal(info.sessionType, 2);
    assert.equal(info.partnerId, emu.partnerId);
    assert.equal(info.userId, '');
    assert.equal(info.privileges, `sessionid:${t.id},apptoken:${t.id},disableentitlement`);
    assert.ok(info.expiry >= before + 86400 && info.expiry <= emu.control.now() + 86400, 'expiry is absolute: now + sessionDuration');
  });
}

test('the hash is compared strictly: upper-case hex is INVALID_APP_TOKEN_HASH with args []', async () => {
  const t = tok('admin');
  const wks = await widgetKs(emu);
  const r = await api(emu, 'apptoken', 'startSession', { ks: wks, id: t.id, tokenHash: hashOf(t.hashType, wks, t.token).toUpperCase() });
  assert.deepEqual(r, { code: 'INVALID_APP_TOKEN_HASH', message: 'Invalid application token hash', objectType: 'KalturaAPIException', args: [] });
});

test('the hash covers the KS of this very request: a hash over another widget KS fails', async () => {
  const t = tok('admin');
  const first = await widgetKs(emu);
  const second = await widgetKs(emu);
  const r = await api(emu, 'apptoken', 'startSession', { ks: second, id: t.id, tokenHash: hashOf(t.hashType, first, t.token) });
  assert.equal(r.code, 'INVALID_APP_TOKEN_HASH');
});

test('the hash uses the token value, not its id', async () => {
  const t = tok('admin');
  const wks = await widgetKs(emu);
  const r = await api(emu, 'apptoken', 'startSession', { ks: wks, id: t.id, tokenHash: hashOf(t.hashType, wks, t.id) });
  assert.equal(r.code, 'INVALID_APP_TOKEN_HASH');
});

test('check order 1: an unknown token id is APP_TOKEN_ID_NOT_FOUND, whatever the hash', async () => {
  const wks = await widgetKs(emu);
  const r = await api(emu, 'apptoken', 'startSession', { ks: wks, id: '0_nosuchid', tokenHash: 'x' });
  assert.deepEqual(r, { code: 'APP_TOKEN_ID_NOT_FOUND', message: 'Application token id "0_nosuchid" not found', objectType: 'KalturaAPIException', args: { ID: '0_nosuchid' } });
});

test("check order 1: another partner's token is APP_TOKEN_ID_NOT_FOUND", async () => {
  const t = tok('entitled');
  const wks = await widgetKs(emu); // main partner widget session
  const r = await api(emu, 'apptoken', 'startSession', { ks: wks, id: t.id, tokenHash: hashOf(t.hashType, wks, t.token) });
  assert.equal(r.code, 'APP_TOKEN_ID_NOT_FOUND');
  assert.equal(r.message, `Application token id "${t.id}" not found`);
});

test('check order 2: a disabled token is APP_TOKEN_NOT_ACTIVE before the hash is checked', async () => {
  const t = tok('disabled');
  const wks = await widgetKs(emu);
  const r = await api(emu, 'apptoken', 'startSession', { ks: wks, id: t.id, tokenHash: 'wrong' });
  assert.deepEqual(r, { code: 'APP_TOKEN_NOT_ACTIVE', message: `Application token id "${t.id}" not active`, objectType: 'KalturaAPIException', args: { ID: t.id } });
});

test('check order 3 then 4: an expired token fails on a bad hash first, then APP_TOKEN_EXPIRED', async () => {
  const t = tok('expired');
  const wks = await widgetKs(emu);
  const bad = await api(emu, 'apptoken', 'startSession', { ks: wks, id: t.id, tokenHash: 'wrong' });
  assert.equal(bad.code, 'INVALID_APP_TOKEN_HASH');
  const r = await api(emu, 'apptoken', 'startSession', { ks: wks, id: t.id, tokenHash: hashOf(t.hashType, wks, t.token) });
  assert.deepEqual(r, { code: 'APP_TOKEN_EXPIRED', message: `Application token id "${t.id}" expired`, objectType: 'KalturaAPIException', args: { ID: t.id } });
});

test('session lifetime is min(requested expiry, sessionDuration, token expiry - now)', async () => {
  const asked = await startSession(emu, 'admin', { expiry: 120 });
  assert.ok(Math.abs(asked.expiry - (emu.control.now() + 120)) <= 1);
  const capped = await startSession(emu, 'admin', { expiry: 10_000_000 });
  assert.ok(Math.abs(capped.expiry - (emu.control.now() + 86400)) <= 1);
  const short = await startSession(emu, 'short');
  assert.ok(Math.abs(short.expiry - (emu.control.now() + 5)) <= 1);
});

test("the token's sessionType and sessionUserId override what the caller asks", async () => {
  const info = await startSession(emu, 'user', { type: 2, userId: 'bob_smith' });
  assert.equal(info.sessionType, 0);
  assert.equal(info.userId, 'alice.martin@example.com');
});

test("of the caller's sessionPrivileges only non-server privileges are added", async () => {
  const t = tok('user');
  const info = await startSession(emu, 'user', { sessionPrivileges: 'list:*,disableentitlement,setrole:1001,myapp:42' });
  assert.equal(info.privileges, `sessionid:${t.id},apptoken:${t.id},myapp:42`);
});

test('apptoken.startSession without a KS is MISSING_KS', async () => {
  const r = await api(emu, 'apptoken', 'startSession', { id: tok('admin').id, tokenHash: 'x' });
  assert.deepEqual(r, { code: 'MISSING_KS', message: 'Missing KS, session not established', objectType: 'KalturaAPIException', args: [] });
});

test('a missing mandatory argument is MISSING_MANDATORY_PARAMETER', async () => {
  const wks = await widgetKs(emu);
  const r = await api(emu, 'apptoken', 'startSession', { ks: wks, id: tok('admin').id });
  assert.deepEqual(r, { code: 'MISSING_MANDATORY_PARAMETER', message: 'Missing parameter "tokenHash"', objectType: 'KalturaAPIException', args: { PARAM_NAME: 'tokenHash' } });
});

test('an unparseable KS is INVALID_KS with the raw KS as KSID', async () => {
  const r = await api(emu, 'media', 'list', { ks: 'not-a-ks' });
  assert.deepEqual(r, {
    code: 'INVALID_KS',
    message: 'Invalid KS "not-a-ks", Error "-1,INVALID_STR"',
    objectType: 'KalturaAPIException',
    args: { KSID: 'not-a-ks', ERR_CODE: '-1', ERR_DESC: 'INVALID_STR' },
  });
});

test('an expired KS is INVALID_KS "EXPIRED" (there is no EXPIRED_KS)', async () => {
  const ks = await login(emu, 'short');
  assert.equal((await api(emu, 'media', 'list', { ks })).objectType, 'KalturaMediaListResponse');
  emu.control.advanceClock(6);
  const r = await api(emu, 'media', 'list', { ks });
  assert.deepEqual(r, {
    code: 'INVALID_KS',
    message: 'Invalid KS "EXPIRED", Error "-1,INVALID_STR"',
    objectType: 'KalturaAPIException',
    args: { KSID: 'EXPIRED', ERR_CODE: '-1', ERR_DESC: 'INVALID_STR' },
  });
});

test('setTokenSessionDuration changes the lifetime of the next sessions', async () => {
  emu.control.setTokenSessionDuration(tok('adminSha1').id, 7);
  try {
    const info = await startSession(emu, 'adminSha1');
    assert.ok(Math.abs(info.expiry - (emu.control.now() + 7)) <= 1);
  } finally {
    emu.control.setTokenSessionDuration(tok('adminSha1').id, 86400);
  }
});

test('deleting the token revokes its KSs: INVALID_KS "LOGOUT"; the token is then not found', async () => {
  const local = await startEmulator({ entries: 50, categories: 3, seed: 4 });
  try {
    const ks = await login(local, 'admin');
    local.control.deleteToken(local.tokens.admin?.id ?? '');
    const r = await api(local, 'media', 'list', { ks });
    assert.deepEqual(r, {
      code: 'INVALID_KS',
      message: 'Invalid KS "LOGOUT", Error "-1,INVALID_STR"',
      objectType: 'KalturaAPIException',
      args: { KSID: 'LOGOUT', ERR_CODE: '-1', ERR_DESC: 'INVALID_STR' },
    });
    assert.equal((await startSession(local, 'admin')).code, 'APP_TOKEN_ID_NOT_FOUND');
  } finally {
    await local.close();
  }
});

test('actionslimit:N allows N calls, then INVALID_KS "EXCEEDED_ACTIONS_LIMIT"', async () => {
  const ks = await login(emu, 'actionsLimit');
  for (let i = 0; i < 10; i++) assert.equal((await api(emu, 'media', 'list', { ks, pager: { pageSize: 1 } })).objectType, 'KalturaMediaListResponse');
  const r = await api(emu, 'media', 'list', { ks });
  assert.equal(r.code, 'INVALID_KS');
  assert.equal(r.message, 'Invalid KS "EXCEEDED_ACTIONS_LIMIT", Error "-1,INVALID_STR"');
});

test('a list call without KS is MISSING_KS', async () => {
  const r = await api(emu, 'media', 'list', {});
  assert.deepEqual(r, { code: 'MISSING_KS', message: 'Missing KS, session not established', objectType: 'KalturaAPIException', args: [] });
});
