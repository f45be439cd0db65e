/**
 * List answers are written straight from the stores (jsonText.ts, objects/entryJson.ts,
 * objects/categoryJson.ts) instead of building objects and running them through `phpJson`. The
 * two roads must give the same bytes: every page of every list service is written both ways here,
 * on an account with edited, deleted and added rows, and compared.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildAccount, serveAccount, type Emulator } from '../../fixtures/emulator/index.js';
import { dispatch } from '../../fixtures/emulator/dispatcher.js';
import { runMultiRequest } from '../../fixtures/emulator/multirequest.js';
import { phpJson } from '../../fixtures/emulator/serialize.js';
import { answerBytes, answerJson, fastPhpJson, jsonInner, recurringJsonInner } from '../../fixtures/emulator/jsonText.js';
import { entryDescription, entryDescriptionJson, entryName, entryNameJson, entryTags, entryTagsJson } from '../../fixtures/emulator/text.js';
import { ALL_DISPLAY, ALL_MODERATION, ALL_STATUSES, hashOf, post } from './helpers.js';

type Params = Record<string, unknown>;

const built = buildAccount({ entries: 2500, categories: 90, seed: 29 });
const { state, control } = built;
const info = { remoteAddress: '127.0.0.1' };
const ALL_TYPES = '1,2,5,6,7,8,10';
let ks = '';
let emu: Emulator;

/** Edits of every kind, so that names carry "(edit N)", categories are gone, rows are added. */
function mutate(): void {
  const entries = control.truth('entries').map((t) => t.id as string);
  control.updateEntries(entries.filter((_, i) => i % 7 === 0));
  control.updateEntries(entries.filter((_, i) => i % 21 === 0));
  control.deleteEntries(entries.filter((_, i) => i % 31 === 0));
  control.addEntries(40);
  const categories = control.truth('categories').map((t) => t.id as number);
  control.updateCategories(categories.slice(0, 10));
  control.deleteCategories(categories.slice(10, 14));
  const added = control.addCategories(5);
  control.addCategoryEntries(entries.slice(100, 130).map((id) => [added[0] as number, id] as [number, string]));
  const metadata = control.truth('metadata').map((t) => t.id as number);
  control.updateMetadata(metadata.slice(0, 50));
  control.deleteMetadata(metadata.slice(50, 60));
  control.addMetadata(entries.slice(0, 30), 'Rights');
  const users = control.truth('users').map((t) => t.id as string);
  control.updateUsers(users.slice(0, 5));
  control.deleteUsers(users.slice(5, 7));
  control.addUsers(3);
  const flavors = control.truth('flavor_assets').map((t) => t.id as string);
  control.updateAssets(flavors.slice(0, 20));
  control.deleteAssets(flavors.slice(20, 25));
  control.addCaptions(entries.slice(200, 220));
}

function call(service: string, action: string, params: Params): unknown {
  return dispatch(state, service, action, params, info);
}

before(async () => {
  mutate();
  const widget = call('session', 'startWidgetSession', { widgetId: `_${state.mainPartner.id}` }) as { ks: string };
  const token = built.tokens.admin!;
  const session = call('apptoken', 'startSession', { ks: widget.ks, id: token.id, tokenHash: hashOf(token.hashType, widget.ks, token.token) }) as { ks: string };
  ks = session.ks;
  emu = await serveAccount(built);
});
after(async () => {
  await emu.close();
});

/** Where two texts part, with some context (the texts are too long to print whole). */
function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at ${i}:\n  fast:      ${a.slice(Math.max(0, i - 120), i + 60)}\n  reference: ${b.slice(Math.max(0, i - 120), i + 60)}`;
}

/**
 * One list call written both ways, each from an answer of its own (so the fast writer never
 * sees built objects); returns the reference text.
 */
function compare(service: string, params: Params): string {
  const reference = phpJson(call(service, 'list', { ks, ...params }));
  const fast = answerJson(call(service, 'list', { ks, ...params }));
  if (fast !== reference) assert.fail(`${service}.list ${JSON.stringify(params)} differs ${firstDifference(fast, reference)}`);
  const bytes = answerBytes(call(service, 'list', { ks, ...params }));
  assert.equal(bytes.bytes.toString('latin1'), reference);
  bytes.release();
  return reference;
}

/** Every page of a list (500 rows a page); returns the reference texts. */
function comparePages(service: string, filter: Params, extra: Params = {}): string[] {
  const texts: string[] = [];
  for (let page = 1; page <= 40; page++) {
    const text = compare(service, { filter, pager: { objectType: 'KalturaFilterPager', pageSize: 500, pageIndex: page }, ...extra });
    const answer = JSON.parse(text) as { objects?: unknown[] };
    assert.ok(Array.isArray(answer.objects), `${service}.list answered ${text.slice(0, 200)}`);
    texts.push(text);
    if (answer.objects.length < 500) return texts;
  }
  throw new Error(`${service}.list has more pages than expected`);
}

/** Entry ids, 500 at a time (the most an IN filter takes), deleted ones included. */
function entryIdBatches(): string[] {
  const ids = control.truth('entries').map((t) => t.id as string);
  const out: string[] = [];
  for (let i = 0; i < ids.length; i += 500) out.push(ids.slice(i, i + 500).join(','));
  return out;
}

const everything = (objectType: string, extra: Params = {}): Params => ({ objectType, statusIn: ALL_STATUSES, moderationStatusIn: ALL_MODERATION, displayInSearchIn: ALL_DISPLAY, ...extra });

test('media.list and baseentry.list pages: the entry writer gives phpJson of the entry objects, byte for byte', () => {
  const media = comparePages('media', everything('KalturaMediaEntryFilter')).join('\n');
  const base = comparePages('baseentry', everything('KalturaBaseEntryFilter', { typeIn: ALL_TYPES })).join('\n');
  comparePages('media', { objectType: 'KalturaMediaEntryFilter', orderBy: '-updatedAt' });
  // The pages hold what is hard to write: escapes of every kind, every entry class, deleted and edited rows.
  const all = `${media}\n${base}`;
  for (const piece of ['\\u', '\\ud83c', '\\"', '\\n', '\\r', '\\t', '\\\\', '\\/', 'Quarterly review, Q3', '(edit ', '"status":3', '"parentEntryId"', '"operationAttributes":[{', '"streams":[{', '"creditUserName"', '"referenceId":"LMS,', '"playlistType":10', '"playlistType":3', '"dataContent"', '"primaryBroadcastingUrl"', '"redirectEntryId"']) {
    assert.ok(all.includes(piece), `no ${piece} in the pages`);
  }
  for (const type of ['KalturaMediaEntry', 'KalturaLiveStreamEntry', 'KalturaLiveChannel', 'KalturaPlaylist', 'KalturaDataEntry', 'KalturaDocumentEntry']) {
    assert.ok(base.includes(`"objectType":"${type}"}`), `no ${type} in baseentry.list pages`);
  }
});

test('category.list pages (and the 1,500-row page without a pager) are phpJson of the category objects', () => {
  const texts = comparePages('category', {}).join('\n');
  compare('category', {});
  compare('category', { filter: { objectType: 'KalturaCategoryFilter', orderBy: '-updatedAt' } });
  for (const piece of ['\\u', '\\"', '"description"', '"inheritedParentId"', '"owner"']) assert.ok(texts.includes(piece), `no ${piece} in category pages`);
});

test('categoryentry, metadata, metadata profile, user, flavor and caption asset pages are phpJson of their objects', () => {
  comparePages('categoryentry', { objectType: 'KalturaCategoryEntryFilter' });
  const batches = entryIdBatches();
  for (const ids of batches) {
    comparePages('metadata_metadata', { objectType: 'KalturaMetadataFilter', objectIdIn: ids });
    comparePages('flavorasset', { objectType: 'KalturaFlavorAssetFilter', entryIdIn: ids });
    comparePages('caption_captionasset', { objectType: 'KalturaCaptionAssetFilter', entryIdIn: ids });
  }
  const profiles = comparePages('metadata_metadataprofile', {}).join('');
  assert.ok(profiles.includes('\\/xsd:'), 'profile XSDs are in the pages');
  const users = comparePages('user', { objectType: 'KalturaUserFilter' }).join('');
  assert.ok(users.includes('\\u'), 'user names with non-ASCII characters are in the pages');
});

test('a response profile (included or excluded fields) gives the same bytes both ways', () => {
  for (const type of [1, 2]) {
    const responseProfile = { objectType: 'KalturaDetachedResponseProfile', type, fields: 'id,name,description,tags,categories,mediaType,objectType' };
    comparePages('media', everything('KalturaMediaEntryFilter'), { responseProfile });
    comparePages('category', {}, { responseProfile: { ...responseProfile, fields: 'id,name,fullName' } });
  }
});

test('over HTTP, list answers and multirequests are the bytes of phpJson', async () => {
  const url = (service: string, action: string): string => `${emu.url}/api_v3/service/${service}/action/${action}`;
  const params = { ks, filter: everything('KalturaBaseEntryFilter', { typeIn: ALL_TYPES }), pager: { objectType: 'KalturaFilterPager', pageSize: 500, pageIndex: 2 } };
  const single = await post(url('baseentry', 'list'), JSON.stringify({ format: 1, ...params }));
  assert.equal(single.text, phpJson(call('baseentry', 'list', params)));
  assert.equal(Number(single.headers.get('content-length')), single.text.length);
  const items = {
    ks,
    1: { service: 'media', action: 'list', filter: everything('KalturaMediaEntryFilter'), pager: { pageSize: 50 } },
    2: { service: 'category', action: 'list', pager: { pageSize: 50 } },
    3: { service: 'media', action: 'list', filter: { objectType: 'KalturaMediaEntryFilter', idEqual: '{1:result:objects:0:id}' } },
    4: { service: 'flavorasset', action: 'list', filter: {} },
  };
  const multi = await post(`${emu.url}/api_v3/service/multirequest`, JSON.stringify({ format: 1, ...items }));
  const reference = `[${runMultiRequest(state, items, info).map((r) => phpJson(r)).join(',')}]`;
  assert.equal(multi.text, reference);
  assert.ok(multi.text.includes('KalturaAPIException'), 'the failing item is in the answer');
});

test('fastPhpJson is phpJson for plain values, awkward strings and numbers, and hands the rest to phpJson', () => {
  class Point {
    constructor(readonly x: number) {}
  }
  const values: unknown[] = [
    'plain',
    '',
    'a/b\\c"d\n\r\t\b\f\u0000\u001f\u007f',
    'é — 東京 😀 \ud800 lone \udc00 surrogates',
    0,
    -0,
    1.5,
    -1e21,
    1e-7,
    NaN,
    Infinity,
    true,
    null,
    undefined,
    [1, undefined, () => 1, null, 'x/y'],
    { a: 1, b: undefined, c: () => 1, d: { e: [] }, 'k/é': 'v', 2: 'two', 1: 'one' },
    Object.assign(Object.create(null) as object, { a: 'b' }),
    { when: new Date(0) },
    [new Point(1)],
    new Map([[1, 2]]),
  ];
  for (const v of values) assert.equal(fastPhpJson(v), phpJson(v), `value #${values.indexOf(v)}`);
});

test('jsonInner is the inside of phpJson for every kind of character; generated texts come pre-escaped', () => {
  const all = Array.from({ length: 0x800 }, (_, c) => String.fromCharCode(c)).join('') + '\ud83d\ude00\ud83d\uffff';
  assert.equal(`"${jsonInner(all)}"`, phpJson(all));
  assert.equal(`"${recurringJsonInner(all)}"`, phpJson(all));
  for (let row = 0; row < 300; row++) {
    for (const version of [0, 3]) {
      assert.equal(entryNameJson(29, row, version), jsonInner(entryName(29, row, version)));
      const d = entryDescription(29, row, version);
      assert.equal(entryDescriptionJson(29, row, version), d === null ? null : jsonInner(d));
    }
    assert.equal(entryTagsJson(29, row), jsonInner(entryTags(29, row)));
  }
});
