/** Section 5 of the API page: pager, the 10,000 cap, defaults that hide rows, filters, ordering. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, type Emulator } from '../../fixtures/emulator/index.js';
import { ALL_DISPLAY, ALL_MODERATION, ALL_STATUSES, api, bulkUpdate, everything, listAll, login, pager } from './helpers.js';

let emu: Emulator;
let ks: string;
before(async () => {
  emu = await startEmulator({ entries: 3000, categories: 60, seed: 11 });
  ks = await login(emu, 'admin');
});
after(async () => {
  await emu.close();
});

const list = (params: Record<string, unknown>, service = 'media'): Promise<any> => api(emu, service, 'list', { ks, ...params });

test('the pager defaults to 30 rows, page 1', async () => {
  const r = await list({});
  assert.equal(r.objects.length, 30);
  const explicit = await list({ pager: pager(30, 1) });
  assert.deepEqual(r.objects.map((o: any) => o.id), explicit.objects.map((o: any) => o.id));
});

test('pageSize is clamped to 500; pageIndex below 1 is page 1', async () => {
  const big = await list({ pager: pager(5000) });
  assert.equal(big.objects.length, 500);
  const zeroIndex = await list({ pager: pager(10, 0) });
  const first = await list({ pager: pager(10, 1) });
  assert.deepEqual(zeroIndex.objects.map((o: any) => o.id), first.objects.map((o: any) => o.id));
});

test('pageSize 0 (or negative) means no limit: up to 1,000 rows from the first, with the true total', async () => {
  const r = await list({ filter: everything(), pager: pager(-5, 3) });
  assert.ok(r.totalCount > 1000);
  assert.equal(r.objects.length, 1000);
});

test('a page past the end answers objects [] with the true totalCount', async () => {
  const all = await list({ pager: pager(1) });
  const r = await list({ pager: pager(500, Math.ceil(all.totalCount / 500) + 1) });
  assert.deepEqual(r.objects, []);
  assert.equal(r.totalCount, all.totalCount);
});

test('list answers carry their objectType: KalturaMediaListResponse, KalturaBaseEntryListResponse, KalturaCategoryListResponse', async () => {
  assert.deepEqual(Object.keys(await list({ pager: pager(1) })), ['objects', 'totalCount', 'objectType']);
  assert.equal((await list({ pager: pager(1) })).objectType, 'KalturaMediaListResponse');
  assert.equal((await list({ pager: pager(1) }, 'baseentry')).objectType, 'KalturaBaseEntryListResponse');
  assert.equal((await list({ pager: pager(1) }, 'category')).objectType, 'KalturaCategoryListResponse');
});

test('without a status filter only READY (2) entries are listed', async () => {
  const rows = await listAll(emu, 'media', ks, { objectType: 'KalturaMediaEntryFilter' });
  assert.ok(rows.length > 0);
  assert.ok(rows.every((o) => o.status === 2));
  const truth = emu.control.truth('media').filter((t) => t.status === 2 && t.moderationStatus !== 1 && t.moderationStatus !== 3 && t.displayInSearch! >= 0);
  assert.equal(rows.length, truth.length);
});

test('deleted entries are listed only with a status filter that includes 3', async () => {
  const noDeleted = await listAll(emu, 'media', ks, everything('KalturaMediaEntryFilter', { statusIn: '-2,-1,0,1,2,4,5,6,7' }));
  assert.ok(noDeleted.every((o) => o.status !== 3));
  const withDeleted = await listAll(emu, 'media', ks, everything());
  const deleted = withDeleted.filter((o) => o.status === 3);
  assert.equal(deleted.length, emu.control.truth('media').filter((t) => t.status === 3).length);
  assert.ok(deleted.length > 0);
  const onlyDeleted = await list({ filter: { objectType: 'KalturaMediaEntryFilter', statusEqual: 3, moderationStatusIn: ALL_MODERATION, displayInSearchIn: ALL_DISPLAY }, pager: pager(1) });
  assert.equal(onlyDeleted.totalCount, deleted.length);
});

test('moderation status 1 (pending) and 3 (rejected) are hidden unless a moderation filter is sent', async () => {
  const base = { objectType: 'KalturaMediaEntryFilter', statusIn: ALL_STATUSES, displayInSearchIn: ALL_DISPLAY };
  const hidden = await listAll(emu, 'media', ks, base);
  assert.ok(hidden.every((o) => o.moderationStatus !== 1 && o.moderationStatus !== 3));
  const shown = await list({ filter: { ...base, moderationStatusIn: '1,3' }, pager: pager(1) });
  assert.ok(shown.totalCount > 0);
  assert.equal(shown.totalCount, emu.control.truth('media').filter((t) => t.moderationStatus === 1 || t.moderationStatus === 3).length);
});

test('displayInSearch -1 (system) and -2 (recycled) are hidden unless filtered for', async () => {
  const base = { objectType: 'KalturaMediaEntryFilter', statusIn: ALL_STATUSES, moderationStatusIn: ALL_MODERATION };
  const hidden = await listAll(emu, 'media', ks, base);
  assert.ok(hidden.every((o) => o.displayInSearch >= 0));
  const recycled = await list({ filter: { ...base, displayInSearchEqual: -2 }, pager: pager(1) });
  assert.equal(recycled.totalCount, emu.control.truth('media').filter((t) => t.displayInSearch === -2).length);
  assert.ok(recycled.totalCount > 0);
});

test('a filter asking for every status, moderation and displayInSearch lists exactly truth("media")', async () => {
  const rows = await listAll(emu, 'media', ks, everything());
  const truth = emu.control.truth('media');
  assert.deepEqual(new Set(rows.map((o) => o.id)), new Set(truth.map((t) => t.id)));
  const base = await listAll(emu, 'baseentry', ks, everything('KalturaBaseEntryFilter'));
  assert.deepEqual(new Set(base.map((o) => o.id)), new Set(emu.control.truth('entries').map((t) => t.id)));
});

test('media.list is limited to media types (1, 7, 8) and returns KalturaLiveStreamEntry among KalturaMediaEntry', async () => {
  const rows = await listAll(emu, 'media', ks, everything());
  assert.ok(rows.every((o) => [1, 7, 8].includes(o.type)));
  assert.ok(rows.some((o) => o.objectType === 'KalturaLiveStreamEntry' && o.type === 7 && o.mediaType === 201));
  assert.ok(rows.some((o) => o.objectType === 'KalturaMediaEntry'));
});

test('baseentry.list also returns playlists, data and document entries', async () => {
  const rows = await listAll(emu, 'baseentry', ks, everything('KalturaBaseEntryFilter'));
  const types = new Set(rows.map((o) => `${o.type}:${o.objectType}`));
  for (const t of ['5:KalturaPlaylist', '6:KalturaDataEntry', '10:KalturaDocumentEntry', '1:KalturaMediaEntry', '7:KalturaLiveStreamEntry']) assert.ok(types.has(t), t);
});

test('orderBy +updatedAt / -updatedAt / +createdAt / -createdAt sort the pages', async () => {
  for (const [orderBy, field, dir] of [
    ['+updatedAt', 'updatedAt', 1],
    ['-updatedAt', 'updatedAt', -1],
    ['+createdAt', 'createdAt', 1],
    ['-createdAt', 'createdAt', -1],
  ] as const) {
    const r = await list({ filter: everything('KalturaMediaEntryFilter', { orderBy }), pager: pager(500, 2) });
    for (let i = 1; i < r.objects.length; i++) assert.ok(dir * (r.objects[i][field] - r.objects[i - 1][field]) >= 0, `${orderBy} at ${i}`);
  }
});

test('an unknown orderBy (such as +id) is dropped without error', async () => {
  const none = await list({ filter: everything(), pager: pager(50) });
  const unknown = await list({ filter: everything('KalturaMediaEntryFilter', { orderBy: '+id' }), pager: pager(50) });
  assert.equal(unknown.objectType, 'KalturaMediaListResponse');
  assert.deepEqual(unknown.objects.map((o: any) => o.id), none.objects.map((o: any) => o.id));
  const ids = unknown.objects.map((o: any) => o.id);
  assert.notDeepEqual(ids, [...ids].sort(), 'not in id order');
});

test('rows with equal updatedAt come in a stable order that is not the id order', async () => {
  const r1 = await list({ filter: everything('KalturaMediaEntryFilter', { orderBy: '+updatedAt' }), pager: pager(500) });
  const r2 = await list({ filter: everything('KalturaMediaEntryFilter', { orderBy: '+updatedAt' }), pager: pager(500) });
  assert.deepEqual(r1.objects.map((o: any) => o.id), r2.objects.map((o: any) => o.id));
  const bySecond = new Map<number, string[]>();
  for (const o of r1.objects) bySecond.set(o.updatedAt, [...(bySecond.get(o.updatedAt) ?? []), o.id]);
  const groups = [...bySecond.values()].filter((g) => g.length >= 3);
  assert.ok(groups.length > 0, 'there are ties');
  assert.ok(groups.some((g) => g.join() !== [...g].sort().join()), 'ties are not sorted by id');
});

test('updatedAt and createdAt ranges filter inclusively', async () => {
  const page = await list({ filter: everything('KalturaMediaEntryFilter', { orderBy: '+updatedAt' }), pager: pager(500, 3) });
  const lo = page.objects[0].updatedAt;
  const hi = page.objects[page.objects.length - 1].updatedAt;
  const r = await listAll(emu, 'media', ks, everything('KalturaMediaEntryFilter', { updatedAtGreaterThanOrEqual: lo, updatedAtLessThanOrEqual: hi }));
  const truth = emu.control.truth('media').filter((t) => t.updatedAt >= lo && t.updatedAt <= hi);
  assert.equal(r.length, truth.length);
  const c = await listAll(emu, 'media', ks, everything('KalturaMediaEntryFilter', { createdAtGreaterThanOrEqual: lo, createdAtLessThanOrEqual: hi }));
  assert.equal(c.length, emu.control.truth('media').filter((t) => t.createdAt >= lo && t.createdAt <= hi).length);
});

test('a time value with |v| <= 315360000 is relative to now: updatedAtGreaterThanOrEqual 0 returns nothing', async () => {
  const zero = await list({ filter: everything('KalturaMediaEntryFilter', { updatedAtGreaterThanOrEqual: 0 }) });
  assert.equal(zero.totalCount, 0);
  const old = await list({ filter: everything('KalturaMediaEntryFilter', { updatedAtLessThanOrEqual: -86400 }), pager: pager(1) });
  assert.equal(old.totalCount, emu.control.truth('media').length, 'everything was updated more than a day ago');
});

test('idEqual, idIn and idNotIn select rows; IN lists are cut to 500 values', async () => {
  const truth = emu.control.truth('media');
  const ids = truth.map((t) => String(t.id));
  const one = await list({ filter: { objectType: 'KalturaMediaEntryFilter', idEqual: ids[5] } });
  assert.deepEqual(one.objects.map((o: any) => o.id), [ids[5]]);
  const in501 = ids.slice(0, 501);
  const r = await list({ filter: everything('KalturaMediaEntryFilter', { idIn: in501.join(',') }), pager: pager(500) });
  assert.equal(r.totalCount, 500);
  assert.ok(!r.objects.some((o: any) => o.id === in501[500]));
  const notIn = await list({ filter: everything('KalturaMediaEntryFilter', { idNotIn: in501.join(',') }), pager: pager(1) });
  assert.equal(notIn.totalCount, truth.length - 500, 'the 501st id of idNotIn is ignored');
});

test('typeIn, mediaTypeIn, userIdEqual and categoriesIdsMatchOr filter entries', async () => {
  const playlists = await list({ filter: everything('KalturaBaseEntryFilter', { typeIn: '5' }), pager: pager(500) }, 'baseentry');
  assert.ok(playlists.totalCount > 0 && playlists.objects.every((o: any) => o.type === 5));
  const audio = await list({ filter: everything('KalturaMediaEntryFilter', { mediaTypeIn: '5' }), pager: pager(500) });
  assert.ok(audio.totalCount > 0 && audio.objects.every((o: any) => o.mediaType === 5));
  const bob = await list({ filter: everything('KalturaMediaEntryFilter', { userIdEqual: 'bob_smith' }), pager: pager(500) });
  assert.ok(bob.totalCount > 0 && bob.objects.every((o: any) => o.userId === 'bob_smith'));
  const cats = await list({ pager: pager(5) }, 'category');
  const catId = cats.objects.find((c: any) => c.directEntriesCount > 0).id;
  const inCat = await list({ filter: everything('KalturaMediaEntryFilter', { categoriesIdsMatchOr: String(catId) }), pager: pager(500) });
  assert.ok(inCat.totalCount > 0 && inCat.objects.every((o: any) => o.categoriesIds.split(',').includes(String(catId))));
});

test('an invalid enum value is INVALID_ENUM_VALUE with its exact message', async () => {
  const r = await list({ filter: { objectType: 'KalturaMediaEntryFilter', statusEqual: 9 } });
  assert.deepEqual(r, {
    code: 'INVALID_ENUM_VALUE',
    message: 'Invalid enumeration value "9" for parameter "statusEqual", expecting enumeration type "KalturaEntryStatus"',
    objectType: 'KalturaAPIException',
    args: { ENUM_VAL: '9', PARAM_NAME: 'statusEqual', ENUM_TYPE: 'KalturaEntryStatus' },
  });
});

test('responseProfile type 1 includes only the listed fields, type 2 excludes them', async () => {
  const inc = await list({ pager: pager(3), responseProfile: { objectType: 'KalturaDetachedResponseProfile', type: 1, fields: 'id,name,updatedAt' } });
  for (const o of inc.objects) assert.deepEqual(Object.keys(o), ['id', 'name', 'updatedAt', 'objectType']);
  const exc = await list({ pager: pager(3), responseProfile: { objectType: 'KalturaDetachedResponseProfile', type: 2, fields: 'description,tags' } });
  for (const o of exc.objects) assert.ok(!('description' in o) && !('tags' in o) && 'id' in o);
});

test('objects drop null fields and use the server field types', async () => {
  const rows = await listAll(emu, 'baseentry', ks, everything('KalturaBaseEntryFilter'));
  for (const o of rows) {
    assert.ok(Object.values(o).every((v) => v !== null), o.id);
    assert.equal(typeof o.status, 'number');
    assert.equal(typeof o.type, 'number');
    assert.equal(typeof o.createdAt, 'number');
    assert.equal(typeof o.replacementStatus, 'string');
    assert.ok(Array.isArray(o.operationAttributes));
    if ('mediaType' in o) {
      assert.equal(typeof o.mediaType, 'number');
      assert.equal(typeof o.sourceType, 'string');
    }
    if ('durationType' in o) assert.equal(typeof o.durationType, 'string');
    if ('streams' in o) assert.ok(o.streams.every((s: any) => s.objectType === 'KalturaStreamContainer'));
  }
  assert.ok(rows.some((o) => o.operationAttributes.length && o.operationAttributes[0].objectType === 'KalturaClipAttributes'));
  assert.ok(rows.some((o) => Array.isArray(o.streams)));
});

test('deleted categories are never listed, not even with statusIn 3', async () => {
  const truth = emu.control.truth('categories');
  const all = await listAll(emu, 'category', ks, { objectType: 'KalturaCategoryFilter' });
  assert.equal(all.length, truth.length);
  const asked = await api(emu, 'category', 'list', { ks, filter: { objectType: 'KalturaCategoryFilter', statusIn: '3' } });
  assert.equal(asked.totalCount, 0);
  const [victim] = truth.filter((t) => t.depth === 3);
  assert.ok(victim);
  const removed = emu.control.deleteCategories([Number(victim.id)]);
  const after = await listAll(emu, 'category', ks, { objectType: 'KalturaCategoryFilter' });
  assert.equal(after.length, truth.length - removed.length);
  assert.ok(!after.some((c) => removed.includes(c.id)));
});

test('categories are ordered +depth by default; other orderBy values work', async () => {
  const rows = await listAll(emu, 'category', ks, { objectType: 'KalturaCategoryFilter' });
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i].depth >= rows[i - 1].depth);
  assert.ok(rows.some((c) => c.depth >= 4), 'a tree several levels deep');
  const byUpdated = await listAll(emu, 'category', ks, { objectType: 'KalturaCategoryFilter', orderBy: '-updatedAt' });
  for (let i = 1; i < byUpdated.length; i++) assert.ok(byUpdated[i].updatedAt <= byUpdated[i - 1].updatedAt);
  const c = rows[rows.length - 1];
  assert.equal(c.fullIds.split('>').length, c.depth + 1);
  assert.equal(c.fullName.split('>').length, c.depth + 1);
});

test('category.list without a pager answers up to 1,500 categories', async () => {
  const r = await api(emu, 'category', 'list', { ks });
  assert.equal(r.objects.length, Math.min(1500, r.totalCount));
  assert.ok(r.objects.length > 30);
});

test('category filters idIn, idNotIn and parentIdEqual', async () => {
  const rows = await listAll(emu, 'category', ks, { objectType: 'KalturaCategoryFilter' });
  const ids = rows.slice(0, 4).map((c) => c.id);
  const inR = await api(emu, 'category', 'list', { ks, filter: { objectType: 'KalturaCategoryFilter', idIn: ids.join(',') } });
  assert.deepEqual(new Set(inR.objects.map((c: any) => c.id)), new Set(ids));
  const notR = await api(emu, 'category', 'list', { ks, filter: { objectType: 'KalturaCategoryFilter', idNotIn: ids.join(',') }, pager: pager(1) });
  assert.equal(notR.totalCount, rows.length - 4);
  const root = rows[0];
  const kids = await api(emu, 'category', 'list', { ks, filter: { objectType: 'KalturaCategoryFilter', parentIdEqual: root.id }, pager: pager(500) });
  assert.ok(kids.objects.every((c: any) => c.parentId === root.id));
});

test('a crowded updatedAt second read by createdAt gives every row of the second once, in the order of the whole createdAt walk', async () => {
  const own = await startEmulator({ entries: 2000, categories: 20, seed: 5 });
  try {
    const ownKs = await login(own, 'admin');
    const second = bulkUpdate(own, 900);
    const list = (filter: Record<string, unknown>, pageIndex: number): Promise<any> =>
      api(own, 'media', 'list', { ks: ownKs, filter: everything('KalturaMediaEntryFilter', filter), pager: pager(500, pageIndex) });
    // The whole account by createdAt (the index walk), kept to the crowded second.
    const walk: any[] = [];
    for (let page = 1; page <= 5; page++) walk.push(...(await list({ orderBy: '+createdAt' }, page)).objects);
    const expected = walk.filter((o) => o.updatedAt === second).map((o) => o.id);
    assert.ok(expected.length > 500, 'the second holds more than a page');
    for (const orderBy of ['+createdAt', '-createdAt']) {
      const within = { updatedAtGreaterThanOrEqual: second, updatedAtLessThanOrEqual: second, orderBy };
      const first = await list(within, 1);
      const rest = await list(within, 2);
      assert.equal(first.totalCount, expected.length);
      const ids = [...first.objects, ...rest.objects].map((o: any) => o.id);
      assert.deepEqual(ids, orderBy === '+createdAt' ? expected : [...expected].reverse());
    }
  } finally {
    await own.close();
  }
});
