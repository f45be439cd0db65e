/** The later list services: categoryentry, metadata, metadata profiles, users, flavor and caption assets. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildAccount, startEmulator, type Emulator } from '../../fixtures/emulator/index.js';
import { CATEGORY_SLOTS } from '../../fixtures/emulator/store/entries.js';
import { api, login, pager } from './helpers.js';

let emu: Emulator;
let admin: string;
let readOnly: string;
before(async () => {
  emu = await startEmulator({ entries: 1500, categories: 40, seed: 13 });
  admin = await login(emu, 'admin');
  readOnly = await login(emu, 'readOnly');
});
after(async () => {
  await emu.close();
});

const list = (service: string, filter: Record<string, unknown>, ks = admin, extra: Record<string, unknown> = {}): Promise<any> => api(emu, service, 'list', { ks, filter, ...extra });
const liveEntry = (): string => emu.control.truth('entries').find((t) => t.status !== 3)!.id as string;

test('categoryentry.list without an entry or category filter: MUST_FILTER_ON_ENTRY_OR_CATEGORY for non-admin sessions, allowed for admins', async () => {
  const refused = await list('categoryentry', { objectType: 'KalturaCategoryEntryFilter' }, await login(emu, 'userList'));
  assert.deepEqual(refused, { code: 'MUST_FILTER_ON_ENTRY_OR_CATEGORY', message: 'Must filter on entry id or category', objectType: 'KalturaAPIException', args: [] });
  const adminList = await list('categoryentry', { objectType: 'KalturaCategoryEntryFilter' });
  assert.equal(adminList.totalCount, emu.control.truth('category_entries').length);
  assert.equal(adminList.objectType, 'KalturaCategoryEntryListResponse');
});

test('categoryentry.list by categoryIdIn, ordered by createdAt, has no cap and no deleted links', async () => {
  const truth = emu.control.truth('category_entries');
  const cats = [...new Set(truth.map((t) => t.categoryId))].slice(0, 5);
  const r = await list('categoryentry', { objectType: 'KalturaCategoryEntryFilter', categoryIdIn: cats.join(','), orderBy: '+createdAt' }, readOnly, { pager: pager(500) });
  const expected = truth.filter((t) => cats.includes(t.categoryId));
  assert.equal(r.totalCount, expected.length);
  const o = r.objects[0];
  assert.deepEqual(Object.keys(o), ['categoryId', 'entryId', 'createdAt', 'categoryFullIds', 'status', 'creatorUserId', 'objectType'].filter((k) => k in o));
  for (let i = 1; i < r.objects.length; i++) assert.ok(r.objects[i].createdAt >= r.objects[i - 1].createdAt);
  const [a] = expected;
  emu.control.removeCategoryEntries([[a!.categoryId!, a!.entryId!]]);
  const after = await list('categoryentry', { objectType: 'KalturaCategoryEntryFilter', entryIdEqual: a!.entryId });
  assert.ok(!after.objects.some((x: any) => x.categoryId === a!.categoryId), 'a removed link is never listed');
});

test('metadata_metadata.list for entries must name objects: MUST_FILTER_ON_OBJECT_ID', async () => {
  const r = await list('metadata_metadata', { objectType: 'KalturaMetadataFilter', metadataObjectTypeEqual: 1 });
  assert.deepEqual(r, { code: 'MUST_FILTER_ON_OBJECT_ID', message: 'Must filter on object id', objectType: 'KalturaAPIException', args: [] });
  const noType = await list('metadata_metadata', { objectType: 'KalturaMetadataFilter', metadataObjectTypeEqual: '' });
  assert.equal(noType.code, 'MUST_FILTER_ON_OBJECT_TYPE');
});

test('metadata_metadata.list by objectIdIn: valid objects only, XML with repeated elements, updatedAt filter and order', async () => {
  const truth = emu.control.truth('metadata');
  const ids = [...new Set(truth.map((t) => t.objectId!))].slice(0, 300);
  const r = await list('metadata_metadata', { objectType: 'KalturaMetadataFilter', objectIdIn: ids.join(','), orderBy: '+updatedAt' }, readOnly, { pager: pager(500) });
  assert.equal(r.totalCount, truth.filter((t) => ids.includes(t.objectId!)).length);
  const m = r.objects[0];
  assert.equal(m.objectType, 'KalturaMetadata');
  assert.equal(m.metadataObjectType, '1', 'a dynamic enum is a string');
  assert.match(m.xml, /^<\?xml version="1.0"\?>\n<metadata>.*<\/metadata>\n$/s);
  assert.ok(r.objects.some((o: any) => /<(Instructor|Keywords|Territory)>[^<]*<\/\1><\1>/.test(o.xml)), 'a field with several values repeats its element');
  const since = r.objects[Math.floor(r.objects.length / 2)].updatedAt;
  const later = await list('metadata_metadata', { objectType: 'KalturaMetadataFilter', objectIdIn: ids.join(','), updatedAtGreaterThanOrEqual: since }, admin, { pager: pager(500) });
  assert.ok(later.objects.every((o: any) => o.updatedAt >= since));
  emu.control.deleteMetadata([m.id]);
  const gone = await list('metadata_metadata', { objectType: 'KalturaMetadataFilter', objectIdEqual: m.objectId, statusIn: '1,2,3' });
  assert.ok(!gone.objects.some((o: any) => o.id === m.id), 'a deleted object is never listed');
});

test('metadata_metadataprofile.list: deprecated profiles hidden, XSD included', async () => {
  const r = await list('metadata_metadataprofile', { objectType: 'KalturaMetadataProfileFilter' }, readOnly);
  assert.equal(r.totalCount, emu.control.truth('metadata_profiles').length);
  assert.ok(r.objects.every((p: any) => p.status !== 2 && p.xsd.includes('<xsd:schema')));
  const entryOnly = await list('metadata_metadataprofile', { objectType: 'KalturaMetadataProfileFilter', metadataObjectTypeEqual: '1' });
  assert.ok(entryOnly.objects.every((p: any) => p.metadataObjectType === '1'));
});

test('user.list: deleted users hidden, blocked ones status 0, the 10,000 cap, orderBy +id', async () => {
  const r = await list('user', { objectType: 'KalturaUserFilter', orderBy: '+id' }, readOnly, { pager: pager(500) });
  assert.equal(r.totalCount, emu.control.truth('users').length);
  assert.ok(r.objects.some((u: any) => u.status === 0), 'blocked users are listed with status 0');
  const ids = r.objects.map((u: any) => u.id);
  assert.deepEqual(ids, [...ids].sort(), '+id orders by user id');
  const capped = await list('user', { objectType: 'KalturaUserFilter' }, admin, { pager: pager(500, 21) });
  assert.equal(capped.code, 'QUERY_EXCEEDED_MAX_MATCHES_ALLOWED');
  const forbidden = await list('user', { objectType: 'KalturaUserFilter' }, await login(emu, 'userList'));
  assert.equal(forbidden.code, 'SERVICE_FORBIDDEN');
  assert.equal(forbidden.message, 'The access to service [user->list] is forbidden');
});

test('flavorasset.list and caption_captionasset.list must name entries: PROPERTY_VALIDATION_CANNOT_BE_NULL', async () => {
  const f = await list('flavorasset', { objectType: 'KalturaFlavorAssetFilter' });
  assert.deepEqual(f, {
    code: 'PROPERTY_VALIDATION_CANNOT_BE_NULL',
    message: 'The property "KalturaFlavorAssetFilter::entryIdEqual/KalturaFlavorAssetFilter::entryIdIn" cannot be null',
    objectType: 'KalturaAPIException',
    args: { PROP_NAME: 'KalturaFlavorAssetFilter::entryIdEqual/KalturaFlavorAssetFilter::entryIdIn' },
  });
  const c = await list('caption_captionasset', { objectType: 'KalturaCaptionAssetFilter' });
  assert.equal(c.code, 'PROPERTY_VALIDATION_CANNOT_BE_NULL');
});

test('assets by entryIdIn: deleted assets and assets of deleted entries are not listed; caption formats are strings', async () => {
  const flavors = emu.control.truth('flavor_assets');
  const entries = [...new Set(flavors.map((t) => t.entryId!))].slice(0, 100);
  const deletedEntry = emu.control.truth('entries').find((t) => t.status === 3)!.id as string;
  const r = await list('flavorasset', { objectType: 'KalturaFlavorAssetFilter', entryIdIn: [...entries, deletedEntry].join(',') }, readOnly, { pager: pager(500) });
  assert.equal(r.totalCount, flavors.filter((t) => entries.includes(t.entryId!)).length);
  assert.ok(r.objects.every((a: any) => a.objectType === 'KalturaFlavorAsset' && a.entryId !== deletedEntry));
  const victim = r.objects[0].id;
  emu.control.deleteAssets([victim]);
  const again = await list('flavorasset', { objectType: 'KalturaFlavorAssetFilter', entryIdEqual: r.objects[0].entryId, statusIn: '-1,0,1,2,3' });
  assert.ok(!again.objects.some((a: any) => a.id === victim));
  const captions = emu.control.truth('caption_assets');
  const withCaptions = [...new Set(captions.map((t) => t.entryId!))].slice(0, 50);
  const c = await list('caption_captionasset', { objectType: 'KalturaCaptionAssetFilter', entryIdIn: withCaptions.join(',') }, readOnly, { pager: pager(500) });
  assert.equal(c.totalCount, captions.filter((t) => withCaptions.includes(t.entryId!)).length);
  assert.ok(c.objects.every((a: any) => typeof a.format === 'string' && a.objectType === 'KalturaCaptionAsset'));
  assert.ok(liveEntry());
});

// Pages through every link an admin session may list (no filter needed without entitlement).
async function allLinks(target: Emulator, ks: string): Promise<any[]> {
  const out: any[] = [];
  for (let page = 1; ; page++) {
    const r = await api(target, 'categoryentry', 'list', { ks, filter: { objectType: 'KalturaCategoryEntryFilter' }, pager: pager(500, page) });
    assert.ok(Array.isArray(r.objects), JSON.stringify(r).slice(0, 300));
    out.push(...r.objects);
    if (r.objects.length < 500) return out;
  }
}

test('categoryentry.list gives each link its own status and createdAt: seeded pending and rejected links are listed, as truth() says', async () => {
  const truth = emu.control.truth('category_entries');
  const listed = new Map((await allLinks(emu, admin)).map((o) => [`${o.categoryId}:${o.entryId}`, o]));
  assert.equal(listed.size, truth.length);
  const statuses = new Set<number>();
  const entryCreated = new Map(emu.control.truth('entries').map((t) => [t.id, t.createdAt]));
  const categoryCreated = new Map(emu.control.truth('categories').map((t) => [t.id, t.createdAt]));
  for (const t of truth) {
    const o = listed.get(t.id as string);
    assert.ok(o, `${t.id} is listed`);
    assert.equal(o.status, t.status, `${t.id}: status`);
    assert.equal(o.createdAt, t.createdAt, `${t.id}: createdAt`);
    // A seeded link is made once both ends exist.
    assert.ok(t.createdAt >= Math.max(entryCreated.get(t.entryId!)!, categoryCreated.get(t.categoryId!)!) && t.createdAt > 0, `${t.id}: createdAt after both ends`);
    statuses.add(t.status);
  }
  assert.deepEqual([...statuses].sort(), [1, 2, 4], 'pending, active and rejected links are all listed');
  const pendingOnly = await list('categoryentry', { objectType: 'KalturaCategoryEntryFilter', categoryIdIn: [...new Set(truth.map((t) => t.categoryId))].join(','), statusEqual: 1 }, admin, { pager: pager(500) });
  assert.equal(pendingOnly.totalCount, truth.filter((t) => t.status === 1).length, 'statusEqual filters on the stored status');
});

test('activating or rejecting a pending link changes its status but not its createdAt, so a createdAt filter never sees it', async () => {
  const c = emu.control;
  const truth = c.truth('category_entries');
  const pending = truth.filter((t) => t.status === 1);
  const active = truth.find((t) => t.status === 2)!;
  assert.ok(pending.length >= 2, 'the seeded account has pending links');
  const [a, b] = pending;
  c.advanceClock(30);
  const since = c.now();
  const activated = c.activateCategoryEntries([[a!.categoryId!, a!.entryId!], [active.categoryId!, active.entryId!]]);
  assert.ok(activated.includes(a!.id as string), 'the pending link is activated');
  assert.ok(!activated.includes(active.id as string), 'a link that is not pending is left alone');
  assert.deepEqual(c.rejectCategoryEntries([[b!.categoryId!, b!.entryId!]]), [b!.id]);
  assert.deepEqual(c.activateCategoryEntries([[b!.categoryId!, b!.entryId!]]), [], 'a rejected link cannot be activated');
  const byEntry = async (t: typeof a) => (await list('categoryentry', { objectType: 'KalturaCategoryEntryFilter', entryIdEqual: t!.entryId })).objects.find((o: any) => o.categoryId === t!.categoryId);
  const nowA = await byEntry(a);
  const nowB = await byEntry(b);
  assert.equal(nowA.status, 2);
  assert.equal(nowA.createdAt, a!.createdAt, 'createdAt does not move on activation');
  assert.equal(nowB.status, 4, 'a rejected link is still listed, with status 4');
  assert.equal(nowB.createdAt, b!.createdAt);
  const after = new Map(c.truth('category_entries').map((t) => [t.id, t]));
  assert.equal(after.get(a!.id)!.status, 2);
  assert.equal(after.get(b!.id)!.status, 4);
  const recent = await list('categoryentry', { objectType: 'KalturaCategoryEntryFilter', categoryIdIn: `${a!.categoryId},${b!.categoryId}`, createdAtGreaterThanOrEqual: since }, admin, { pager: pager(500) });
  assert.equal(recent.totalCount, 0, 'nothing was created since: the status changes are invisible to a createdAt cursor');
});

test('activating a link also activates the same category link of the entry\'s child entries', () => {
  const built = buildAccount({ entries: 800, categories: 20, seed: 4, users: 5 });
  const { entries: e, categories } = built.state.mainPartner;
  let child = -1;
  for (let r = 0; r < e.size && child < 0; r++) if ((e.parent[r] ?? -1) >= 0 && e.status[r] !== 3 && e.status[e.parent[r]!] !== 3) child = r;
  assert.ok(child >= 0, 'the account has a child entry');
  const parent = e.parent[child]!;
  // Free every slot of both entries, then link both to one category.
  for (const r of [parent, child]) built.control.removeCategoryEntries(e.categoryRows(r).map((row) => [categories.get(row).id, e.idOf(r)]));
  const cat = built.control.truth('categories')[0]!.id as number;
  assert.equal(built.control.addCategoryEntries([[cat, e.idOf(parent)], [cat, e.idOf(child)]]).length, 2);
  // Both links wait for approval, as categoryEntry.add by a contributor of a moderated category makes them.
  const slot = (r: number): number => r * CATEGORY_SLOTS + [0, 1, 2].find((s) => e.cats[r * CATEGORY_SLOTS + s] === categories.byIdOrNull(cat)!.row + 1)!;
  for (const r of [parent, child]) e.catStatus[slot(r)] = 1;
  assert.deepEqual(built.control.activateCategoryEntries([[cat, e.idOf(parent)]]).sort(), [`${cat}:${e.idOf(parent)}`, `${cat}:${e.idOf(child)}`].sort());
  const truth = new Map(built.control.truth('category_entries').map((t) => [t.id, t.status]));
  assert.equal(truth.get(`${cat}:${e.idOf(parent)}`), 2);
  assert.equal(truth.get(`${cat}:${e.idOf(child)}`), 2, "the child's link is active too");
});

test('with entitlement enforced, categoryentry.list naming a deleted category in categoryIdIn fails the whole call: CATEGORY_NOT_FOUND', async () => {
  const local = await startEmulator({ entries: 300, categories: 20, seed: 9, entitlement: true });
  try {
    const enforced = await login(local, 'adminNoEntitlement');
    const disabled = await login(local, 'admin');
    const cats = await api(local, 'category', 'list', { ks: enforced, filter: { objectType: 'KalturaCategoryFilter' }, pager: pager(500) });
    const ids: number[] = cats.objects.map((o: any) => o.id).slice(0, 6);
    const ok = await api(local, 'categoryentry', 'list', { ks: enforced, filter: { objectType: 'KalturaCategoryEntryFilter', categoryIdIn: ids.join(',') }, pager: pager(500) });
    assert.equal(ok.objectType, 'KalturaCategoryEntryListResponse', JSON.stringify(ok).slice(0, 300));
    const leaf = cats.objects.filter((o: any) => ids.includes(o.id) && o.directSubCategoriesCount === 0).at(-1);
    assert.ok(leaf, 'a category without children to delete');
    local.control.deleteCategories([leaf.id]);
    const refused = await api(local, 'categoryentry', 'list', { ks: enforced, filter: { objectType: 'KalturaCategoryEntryFilter', categoryIdIn: ids.join(',') }, pager: pager(500) });
    assert.deepEqual(refused, { code: 'CATEGORY_NOT_FOUND', message: `Category id "${ids.join(',')}" not found`, objectType: 'KalturaAPIException', args: { ID: ids.join(',') } });
    const one = await api(local, 'categoryentry', 'list', { ks: enforced, filter: { objectType: 'KalturaCategoryEntryFilter', categoryIdEqual: leaf.id } });
    assert.equal(one.code, 'CATEGORY_NOT_FOUND');
    // disableentitlement: the deleted category's links are simply not listed.
    const rest = await api(local, 'categoryentry', 'list', { ks: disabled, filter: { objectType: 'KalturaCategoryEntryFilter', categoryIdIn: ids.join(',') }, pager: pager(500) });
    assert.equal(rest.objectType, 'KalturaCategoryEntryListResponse');
    assert.ok(!rest.objects.some((o: any) => o.categoryId === leaf.id));
    assert.equal(rest.totalCount, ok.totalCount - ok.objects.filter((o: any) => o.categoryId === leaf.id).length);
  } finally {
    await local.close();
  }
});
