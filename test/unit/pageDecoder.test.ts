import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PageDecoder, recordOf, type DecodedPage } from '../../connector/engine/pageDecoder.js';
import { streamSchema } from '../../connector/engine/records.js';
import { isoSeconds } from '../../connector/engine/isoSeconds.js';
import { media } from '../../connector/streams/media.js';
import { categoryEntries } from '../../connector/streams/categoryEntries.js';
import { framed } from '../../connector/sinks/framed.js';

const ks = 'djJ8MTk4NDMxMHxzZWNyZXQtc2Vzc2lvbi10aGF0LW11c3Qtbm90LWxlYWs=';

function entry(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, name: `Entry ${id} — café 東京`, partnerId: 1984310, status: 2, createdAt: 1714564800, updatedAt: 1714568400, tags: 'a,b', objectType: 'KalturaMediaEntry', notInTheSchema: 'dropped', ...extra };
}

function answer(objects: unknown[]): Buffer {
  return Buffer.from(JSON.stringify({ objects, totalCount: 1234, objectType: 'KalturaMediaListResponse' }), 'utf8');
}

function decoded(objects: unknown[], fields?: string[]): DecodedPage {
  const page = new PageDecoder(media, { records: true, fields }).decode(answer(objects), ks) as DecodedPage | undefined;
  assert.ok(page, 'a list answer is decoded');
  return page;
}

/** A row's own named fields (the record it carries is tagged under a symbol). */
const fieldsOf = (row: Record<string, unknown>) => Object.fromEntries(Object.entries(row));
const json = (row: Record<string, unknown>) => JSON.parse(recordOf(row).json!.toString('utf8')) as Record<string, unknown>;

test('a page gives the engine only the fields it pages by, and each row its record in schema order', () => {
  const page = decoded([entry('0_a'), entry('0_b', { updatedAt: 1714568401 })]);
  assert.equal(page.totalCount, 1234);
  assert.deepEqual(page.objects.map(fieldsOf), [
    { id: '0_a', updatedAt: 1714568400, createdAt: 1714564800 },
    { id: '0_b', updatedAt: 1714568401, createdAt: 1714564800 },
  ]);
  const record = json(page.objects[0]!);
  assert.equal(record.name, 'Entry 0_a — café 東京', 'non-ASCII text survives the UTF-8 encoding');
  assert.equal(record.updatedAt, '2024-05-01T13:00:00Z');
  assert.equal(record.createdAt, '2024-05-01T12:00:00Z');
  assert.equal(record.notInTheSchema, undefined, 'fields outside the schema are left out');
  const schemaFields = Object.keys(streamSchema(media).properties);
  assert.deepEqual(Object.keys(record), schemaFields.filter((field) => field in record), 'record fields come in schema order');
  assert.equal(json(page.objects[1]!).updatedAt, '2024-05-01T13:00:01Z', 'each row gets its own record');
});

test('a selection of fields keeps only those fields in each record', () => {
  const page = decoded([entry('0_a')], ['id', 'updatedAt']);
  assert.deepEqual(json(page.objects[0]!), { id: '0_a', updatedAt: '2024-05-01T13:00:00Z' });
});

/** A decoder whose notes are kept, for the tests of values in another type. */
function decodedWithLog(objects: unknown[], fields?: string[]) {
  const notes: Array<{ level: 'info' | 'warn'; message: string }> = [];
  const log = { info: (message: string) => void notes.push({ level: 'info', message }), warn: (message: string) => void notes.push({ level: 'warn', message }) };
  const decoder = new PageDecoder(media, { records: true, fields, log });
  const pages = (rows: unknown[]) => decoder.decode(answer(rows), ks) as DecodedPage;
  return { page: pages(objects), again: pages, notes };
}

test('values sent in another type are cast when nothing is lost: same record, no change noted on it', () => {
  const { page, notes } = decodedWithLog([entry('0_a', { version: '12', plays: '7', blockAutoTranscript: 'true', name: 12345, updatedAt: 1714568400 })]);
  const record = recordOf(page.objects[0]!);
  assert.equal(record.nulled, undefined, 'nothing was nulled');
  const data = json(page.objects[0]!);
  assert.equal(data.version, 12);
  assert.equal(data.plays, 7);
  assert.equal(data.blockAutoTranscript, true);
  assert.equal(data.name, '12345');
  assert.deepEqual(notes.map((n) => n.level), ['info', 'info', 'info', 'info'], 'one note per field cast, none a warning');
  assert.match(notes[0]!.message, /^media: field "name" came as a number where schemas\/media\.json declares string \(first in record 0_a\); it was cast without loss/);
});

test('a value that cannot be cast is nulled, the record kept, and the field named once per stream without its value', () => {
  const { page, again, notes } = decodedWithLog([entry('0_a'), entry('0_bad', { plays: 'SECRET-ish 1.5', version: 1.5 }), entry('0_c')]);
  const bad = recordOf(page.objects[1]!);
  assert.deepEqual(bad.nulled, ['version', 'plays'], 'the nulled fields, in schema order');
  const data = json(page.objects[1]!);
  assert.equal(data.plays, null);
  assert.equal(data.version, null);
  assert.equal(data.id, '0_bad', 'the rest of the record is intact');
  assert.equal(data.name, 'Entry 0_bad — café 東京');
  assert.equal(recordOf(page.objects[0]!).nulled, undefined, 'its neighbours are untouched');
  assert.equal(json(page.objects[2]!).id, '0_c');
  const warnings = notes.filter((n) => n.level === 'warn').map((n) => n.message);
  assert.equal(warnings.length, 2, 'one warning per field');
  assert.match(warnings[1]!, /^media: field "plays" of record 0_bad came as a string, which is not integer and cannot be cast to it without loss; the record was kept with this field set to null/);
  assert.ok(!warnings.join('\n').includes('SECRET'), 'the value is never quoted');
  // The same fields in later pages: nulled again, not warned again.
  const later = again([entry('0_d', { plays: 'n/a' })]);
  assert.deepEqual(recordOf(later.objects[0]!).nulled, ['plays']);
  assert.equal(notes.filter((n) => n.level === 'warn').length, 2);
});

test('a nulled field the catalog did not select is neither reported nor written', () => {
  const { page, notes } = decodedWithLog([entry('0_a', { plays: 'n/a' })], ['id', 'updatedAt']);
  assert.equal(recordOf(page.objects[0]!).nulled, undefined);
  assert.deepEqual(json(page.objects[0]!), { id: '0_a', updatedAt: '2024-05-01T13:00:00Z' });
  assert.deepEqual(notes, []);
});

test('a time sent as text is still a time; a time that is no time is nulled', () => {
  const { page } = decodedWithLog([entry('0_a', { createdAt: '1714564800', lastPlayedAt: 'never' })]);
  const data = json(page.objects[0]!);
  assert.equal(data.createdAt, '2024-05-01T12:00:00Z');
  assert.deepEqual(recordOf(page.objects[0]!).nulled, ['lastPlayedAt']);
});

test('engine fields Kaltura sent as text are numbers to the engine, as in the record', () => {
  const { page } = decodedWithLog([entry('0_a', { updatedAt: '1714568400', createdAt: 1714564800 })]);
  assert.deepEqual(page.objects.map(fieldsOf), [{ id: '0_a', updatedAt: 1714568400, createdAt: 1714564800 }]);
  assert.equal(json(page.objects[0]!).updatedAt, '2024-05-01T13:00:00Z');
  const body = Buffer.from(JSON.stringify({ objects: [{ categoryId: '7', entryId: '0_a', createdAt: '1714564800', status: 2 }], totalCount: 1, objectType: 'KalturaCategoryEntryListResponse' }));
  const links = new PageDecoder(categoryEntries, { records: false }).decodePage(body, undefined)!;
  assert.deepEqual(links.objects, [{ categoryId: 7, entryId: '0_a', createdAt: 1714564800 }], 'an integer key and a time, each as a number');
  const odd = new PageDecoder(categoryEntries, { records: false }).decodePage(Buffer.from(JSON.stringify({ objects: [{ categoryId: '7.5', entryId: '12', createdAt: 1 }], totalCount: 1, objectType: 'X' })), undefined)!;
  assert.deepEqual(odd.objects, [{ categoryId: '7.5', entryId: '12', createdAt: 1 }], 'text that is no integer, and a text key, stay as they are');
});

test('a required key of no usable type leaves the row without a record, with the reason', () => {
  const page = decoded([entry('0_a'), { ...entry('x'), id: null }, entry('0_c')]);
  assert.equal(recordOf(page.objects[1]!).json, undefined);
  assert.match(recordOf(page.objects[1]!).problems!, /id/);
  assert.equal(json(page.objects[0]!).id, '0_a');
  assert.equal(json(page.objects[2]!).id, '0_c');
});

test('the session an answer was read with is scrubbed from the records', () => {
  const page = decoded([entry('0_a', { dataUrl: `https://cdn.example.com/p/1984310/ks/${ks}/flavor.mp4` })]);
  const text = recordOf(page.objects[0]!).json!.toString('utf8');
  assert.ok(!text.includes(ks), 'the KS is not in the record');
  assert.match(text, /\/ks\/\*\*\*\/flavor\.mp4/);
});

test('rows walked only for their ids carry no records', () => {
  const page = new PageDecoder(media, { records: false }).decode(answer([entry('0_a')]), ks) as DecodedPage;
  assert.deepEqual(page.objects, [{ id: '0_a', updatedAt: 1714568400, createdAt: 1714564800 }]);
  assert.throws(() => recordOf(page.objects[0]!), /without its record/);
});

test('a composite primary key is among the fields the engine gets', () => {
  const body = Buffer.from(JSON.stringify({ objects: [{ categoryId: 7, entryId: '0_a', createdAt: 1714564800, status: 2, objectType: 'KalturaCategoryEntry' }], totalCount: 1, objectType: 'KalturaCategoryEntryListResponse' }));
  const page = new PageDecoder(categoryEntries, { records: false }).decodePage(body, undefined)!;
  assert.deepEqual(page.objects, [{ categoryId: 7, entryId: '0_a', createdAt: 1714564800 }]);
});

test('anything but a plain list answer is left to the ordinary parse, which tells what it is', () => {
  const error = Buffer.from(JSON.stringify({ code: 'INVALID_KS', message: 'Invalid KS', objectType: 'KalturaAPIException', args: {} }));
  const cut = answer([entry('0_a')]).subarray(0, 100);
  const xml = Buffer.from('<?xml version="1.0"?><xml><result><objects/></result></xml>');
  const noObjects = Buffer.from(JSON.stringify({ totalCount: 0, objectType: 'KalturaMediaListResponse' }));
  for (const body of [error, cut, xml, noObjects, Buffer.from('42')]) {
    assert.equal(new PageDecoder(media, { records: true }).decodePage(body, ks), undefined, body.toString('utf8').slice(0, 40));
  }
});

test('isoSeconds writes RFC 3339 UTC without fractions for any time, as toISOString would', () => {
  const general = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
  const samples = [0, 1, 59, 60, 3599, 86399, 86400, 951782400, 1714568400, 1714568400 + 86399, 4102444800, 253402300799, -1, -86401, 1714568400.5, 253402300800];
  for (let i = 0; i < 2000; i++) samples.push(Math.floor(Math.random() * 4102444800));
  for (const s of samples) assert.equal(isoSeconds(s), general(s), String(s));
});

test('framed puts each serialized record between the head and the tail, in order', () => {
  const records = [Buffer.from('{"id":"0_a"}'), Buffer.from('{"id":"é"}')];
  assert.equal(framed(records, '{"data":', '}\n').toString('utf8'), '{"data":{"id":"0_a"}}\n{"data":{"id":"é"}}\n');
  assert.equal(framed([], 'head', 'tail').length, 0);
});
