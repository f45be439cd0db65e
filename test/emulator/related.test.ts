/** The later list services: categoryentry, metadata, metadata profiles, users, flavor and caption assets. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, type Emulator } from '../../fixtures/emulator/index.js';
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
