/** What `check` says about a session (its facts and warnings), and which sessions the login refuses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnoseSession, parsePrivileges } from '../../connector/kaltura/diagnosis.js';
import { narrowSessionReason, sessionLifetime, type SessionInfo } from '../../connector/kaltura/session.js';

const serverNow = 1_800_000_000;
const session = (over: Partial<SessionInfo>): SessionInfo => ({
  ks: 'djJ8c2Vzc2lvbg==',
  sessionType: 2,
  partnerId: 1984310,
  userId: '',
  expiry: serverNow + 3600,
  serverTime: serverNow,
  privileges: 'sessionid:0_o7l19k80,apptoken:0_o7l19k80,setrole:2710431,disableentitlement',
  ...over,
});

const warningsOf = (info: SessionInfo) => diagnoseSession(info, serverNow).warnings;

test('privileges are read as name:value pairs, values may hold colons', () => {
  const p = parsePrivileges('sessionid:0_x, list:*,disableentitlement,setrole:ROLE:1,');
  assert.equal(p.get('list'), '*');
  assert.equal(p.get('disableentitlement'), '');
  assert.equal(p.get('setrole'), 'ROLE:1');
  assert.equal(p.get('sessionid'), '0_x');
  assert.equal(p.size, 4);
});

test('a least-privilege ADMIN token: the facts, and no warning', () => {
  const { facts, warnings } = diagnoseSession(session({}), serverNow);
  assert.deepEqual(warnings, []);
  assert.equal(facts[0], 'session type ADMIN (2)');
  assert.equal(facts[1], 'user (none)');
  assert.equal(facts[2], 'lifetime 3600 s');
  assert.equal(facts[3], 'privileges setrole:2710431,disableentitlement', 'sessionid and apptoken are not shown');
});

test('the lifetime is measured on Kaltura\'s clock, whatever this machine\'s clock says', () => {
  const info = session({ expiry: serverNow + 300 });
  assert.equal(diagnoseSession(info, serverNow + 86_400).facts[2], 'lifetime 300 s', 'local clock a day ahead');
  assert.equal(diagnoseSession(info, serverNow - 86_400).facts[2], 'lifetime 300 s', 'local clock a day behind');
  // Without the server's time (no Date header) the local clock is all there is.
  const { serverTime: _ignored, ...withoutServerTime } = info;
  assert.equal(diagnoseSession(withoutServerTime, serverNow + 100).facts[2], 'lifetime 200 s');
  assert.equal(diagnoseSession(withoutServerTime, serverNow + 1000).facts[2], 'lifetime 0 s');
});

test('sessionLifetime: expiry less the server time (less half a second of Date precision)', () => {
  assert.equal(sessionLifetime(session({ expiry: serverNow + 5 }), serverNow + 1e6), 4.5);
  assert.equal(sessionLifetime(session({ expiry: serverNow - 5 }), 0), 0);
  const { serverTime: _ignored, ...local } = session({ expiry: serverNow + 5 });
  assert.equal(sessionLifetime(local, serverNow + 2), 3);
});

test('a USER session without list:* is refused: the reason names the user, the cause and both fixes', () => {
  const reason = narrowSessionReason(session({ sessionType: 0, userId: 'alice@example.com', privileges: 'sessionid:0_x,apptoken:0_x,disableentitlement' }));
  assert.match(reason!, /^The token was created with sessionType USER \(0\) and without list:\*; this session sees only user alice@example\.com's entries\. Create the token with sessionType ADMIN \(2\), or add list:\* to its sessionPrivileges\./);
  assert.match(narrowSessionReason(session({ sessionType: 0, userId: '', privileges: '' }))!, /this token names none/);
  assert.equal(narrowSessionReason(session({ sessionType: 0, privileges: 'list:0_abc,disableentitlement' })) !== undefined, true, 'a list of one entry is not list:*');
  const facts = diagnoseSession(session({ sessionType: 0, userId: 'alice@example.com', privileges: 'list:*' }), serverNow).facts;
  assert.equal(facts[0], 'session type USER (0)');
  assert.equal(facts[1], 'user "alice@example.com"');
});

test('a USER session with list:*, and any ADMIN session, see the whole account', () => {
  assert.equal(narrowSessionReason(session({ sessionType: 0, privileges: 'list:*,disableentitlement' })), undefined);
  assert.equal(narrowSessionReason(session({ sessionType: 2, privileges: '' })), undefined);
  assert.deepEqual(warningsOf(session({ sessionType: 0, privileges: 'list:*,disableentitlement' })), []);
});

test('no disableentitlement: warned that entitlements may hide content', () => {
  const warnings = warningsOf(session({ privileges: 'setrole:2710431' }));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /no disableentitlement privilege/);
  assert.match(warnings[0]!, /silently hidden/);
  assert.match(warnings[0]!, /Add disableentitlement/);
});

test('a full ADMIN session (no setrole) gets the least-privilege suggestion', () => {
  const warnings = warningsOf(session({ privileges: 'disableentitlement' }));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /full ADMIN session/);
  assert.match(warnings[0]!, /setrole:<id of a role with only list permissions>/);
  assert.deepEqual(warningsOf(session({ sessionType: 0, privileges: 'list:*,disableentitlement' })), [], 'a USER session is not a full ADMIN one');
});

test('the warnings at once, in order', () => {
  const warnings = warningsOf(session({ sessionType: 0, privileges: 'list:*' }));
  assert.equal(warnings.length, 1, 'USER with list:*: no disableentitlement (not ADMIN)');
  const admin = warningsOf(session({ sessionType: 2, privileges: '' }));
  assert.equal(admin.length, 2, 'ADMIN: no disableentitlement, no setrole');
  assert.match(admin[0]!, /disableentitlement/);
  assert.match(admin[1]!, /full ADMIN/);
});
