/** Section 4 of the API page: ADMIN and USER sessions, list:*, entitlement, setrole, blocked accounts. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, type Emulator } from '../../fixtures/emulator/index.js';
import { isActionPermitted, stockRoles, ROLE_READ_ONLY } from '../../fixtures/emulator/permissions.js';
import { api, everything, listAll, login, pager, startSession, widgetKs } from './helpers.js';

let emu: Emulator;
let admin: string;
before(async () => {
  emu = await startEmulator({ entries: 2000, categories: 40, seed: 21 });
  admin = await login(emu, 'admin');
});
after(async () => {
  await emu.close();
});

const total = async (ks: string, service = 'media', filter: Record<string, unknown> = everything()): Promise<number> =>
  (await api(emu, service, 'list', { ks, filter, pager: pager(1) })).totalCount;

test('a USER session without list:* silently sees only its own user\'s entries', async () => {
  const ks = await login(emu, 'user');
  const rows = await listAll(emu, 'media', ks, everything());
  assert.ok(rows.length > 0);
  assert.ok(rows.every((o) => o.userId === 'alice.martin@example.com'));
  assert.equal(rows.length, await total(admin, 'media', everything('KalturaMediaEntryFilter', { userIdEqual: 'alice.martin@example.com' })));
  assert.ok(rows.length < (await total(admin)));
});

test('a USER session with list:* sees every entry', async () => {
  const ks = await login(emu, 'userList');
  assert.equal(await total(ks), await total(admin));
  assert.equal(await total(ks, 'baseentry', everything('KalturaBaseEntryFilter')), await total(admin, 'baseentry', everything('KalturaBaseEntryFilter')));
});

test('the own-entries restriction is lifted when the filter names ids (idIn), as on the server', async () => {
  const ks = await login(emu, 'user');
  const others = emu.control.truth('media').filter((t) => t.status === 2).slice(0, 40).map((t) => String(t.id));
  const r = await api(emu, 'media', 'list', { ks, filter: everything('KalturaMediaEntryFilter', { idIn: others.join(',') }), pager: pager(50) });
  assert.ok(r.objects.some((o: any) => o.userId !== 'alice.martin@example.com'));
});

test('setrole naming the read-only role: media->list is SERVICE_FORBIDDEN with the exact message and args', async () => {
  const ks = await login(emu, 'readOnly');
  const r = await api(emu, 'media', 'list', { ks });
  assert.deepEqual(r, { code: 'SERVICE_FORBIDDEN', message: 'The access to service [media->list] is forbidden', objectType: 'KalturaAPIException', args: { SERVICE: 'media->list' } });
});

test('the read-only role may call baseentry->list and category->list', async () => {
  const ks = await login(emu, 'readOnly');
  assert.equal(await total(ks, 'baseentry', everything('KalturaBaseEntryFilter')), await total(admin, 'baseentry', everything('KalturaBaseEntryFilter')));
  assert.equal((await api(emu, 'category', 'list', { ks })).objectType, 'KalturaCategoryListResponse');
});

test('the read-only role allows categoryentry->list and the list actions of the later streams, not media->list', () => {
  const role = stockRoles().find((r) => r.id === ROLE_READ_ONLY);
  assert.ok(role);
  for (const key of ['baseentry.list', 'category.list', 'categoryentry.list', 'metadata_metadata.list', 'metadata_metadataprofile.list', 'user.list', 'flavorasset.list', 'caption_captionasset.list']) {
    assert.ok(isActionPermitted([role], key), key);
  }
  assert.ok(!isActionPermitted([role], 'media.list'));
});

test('a blocked partner fails SERVICE_FORBIDDEN_CONTENT_BLOCKED when its widget KS is used to log in', async () => {
  const r = await startSession(emu, 'blockedPartner');
  assert.deepEqual(r, {
    code: 'SERVICE_FORBIDDEN_CONTENT_BLOCKED',
    message: 'The access to this service is forbidden since the specified partner is blocked',
    objectType: 'KalturaAPIException',
    args: [],
  });
});

test('a blocked partner as partnerId of a call without KS is SERVICE_FORBIDDEN_CONTENT_BLOCKED', async () => {
  const r = await api(emu, 'session', 'startWidgetSession', { widgetId: `_${emu.tokens.blockedPartner?.partnerId}`, partnerId: emu.tokens.blockedPartner?.partnerId });
  assert.equal(r.code, 'SERVICE_FORBIDDEN_CONTENT_BLOCKED');
});

test('a blocked user logs in, then every call fails USER_BLOCKED "this user is blocked"', async () => {
  const ks = await login(emu, 'blockedUser');
  const r = await api(emu, 'media', 'list', { ks });
  assert.deepEqual(r, { code: 'USER_BLOCKED', message: 'this user is blocked', objectType: 'KalturaAPIException', args: [] });
});

test('with entitlements on the partner, an ADMIN session without disableentitlement sees fewer entries and categories', async () => {
  const plain = await login(emu, 'entitled');
  const disabled = await login(emu, 'entitledDisable');
  const seenPlain = await listAll(emu, 'media', plain, everything());
  const seenAll = await listAll(emu, 'media', disabled, everything());
  assert.ok(seenAll.length > seenPlain.length && seenPlain.length > 0);
  const hiddenCats = (await listAll(emu, 'category', disabled, { objectType: 'KalturaCategoryFilter' })).filter((c) => c.privacyContexts || c.appearInList === 3);
  assert.ok(hiddenCats.length > 0);
  const catsPlain = await listAll(emu, 'category', plain, { objectType: 'KalturaCategoryFilter' });
  assert.ok(catsPlain.every((c) => !c.privacyContexts && c.appearInList !== 3));
  const hiddenIds = new Set(hiddenCats.filter((c) => c.privacyContexts).map((c) => String(c.id)));
  for (const o of seenAll) {
    const inPrivate = o.categoriesIds.split(',').some((id: string) => hiddenIds.has(id));
    assert.equal(seenPlain.some((p) => p.id === o.id), !inPrivate, o.id);
  }
});

test('entitlement switched on for the main partner: adminNoEntitlement is limited, admin (disableentitlement) is not', async () => {
  const local = await startEmulator({ entries: 600, categories: 30, seed: 22, entitlement: true });
  try {
    const full = await login(local, 'admin');
    const limited = await login(local, 'adminNoEntitlement');
    const all = (await api(local, 'media', 'list', { ks: full, filter: everything(), pager: pager(1) })).totalCount;
    const some = (await api(local, 'media', 'list', { ks: limited, filter: everything(), pager: pager(1) })).totalCount;
    assert.ok(some < all && some > 0);
    const catsAll = (await api(local, 'category', 'list', { ks: full, pager: pager(1) })).totalCount;
    const catsSome = (await api(local, 'category', 'list', { ks: limited, pager: pager(1) })).totalCount;
    assert.ok(catsSome < catsAll);
  } finally {
    await local.close();
  }
});

test('a widget KS may list but, being a USER session without list:*, sees no entries', async () => {
  const wks = await widgetKs(emu);
  const media = await api(emu, 'media', 'list', { ks: wks, filter: everything() });
  assert.equal(media.objectType, 'KalturaMediaListResponse');
  assert.equal(media.totalCount, 0);
  assert.equal((await api(emu, 'category', 'list', { ks: wks, pager: pager(1) })).objectType, 'KalturaCategoryListResponse');
});

test('a KS used with another partnerId is SERVICE_FORBIDDEN', async () => {
  const r = await api(emu, 'media', 'list', { ks: admin, partnerId: emu.tokens.entitled?.partnerId });
  assert.deepEqual(r, { code: 'SERVICE_FORBIDDEN', message: 'The access to service [media->list] is forbidden', objectType: 'KalturaAPIException', args: { SERVICE: 'media->list' } });
});
