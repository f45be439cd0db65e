import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bookmarksFromSingerState, selectionsFromSingerCatalog, singerCatalog } from '../../connector/protocol/singer/catalog.js';
import { streams } from '../../connector/streams/index.js';
import { ConnectorError } from '../../connector/util/errors.js';
import { SingerOutput } from '../../connector/protocol/singer/commands.js';
import { defaultSelections } from '../../connector/protocol/selections.js';
import { LineWriter } from '../../connector/sinks/lineWriter.js';
import { Logger } from '../../connector/util/logger.js';
import { Writable } from 'node:stream';
import type { StreamDefinition } from '../../connector/streams/definition.js';

type Catalog = { streams: Array<{ tap_stream_id: string; stream: string; schema: any; metadata: Array<{ breadcrumb: string[]; metadata: Record<string, any> }> }> };

const discovered = () => structuredClone(singerCatalog()) as Catalog;

function streamMd(catalog: Catalog, name: string): Record<string, any> {
  return catalog.streams.find((s) => s.tap_stream_id === name)!.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;
}

function fieldMd(catalog: Catalog, name: string, field: string): Record<string, any> {
  return catalog.streams.find((s) => s.tap_stream_id === name)!.metadata.find((m) => m.breadcrumb[1] === field)!.metadata;
}

function keysDeep(value: unknown, out = new Set<string>()): Set<string> {
  if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) keysDeep(v, out.add(k));
  return out;
}

test('the discovered catalog describes every stream with Singer stream and field metadata', () => {
  const catalog = discovered();
  assert.deepEqual(catalog.streams.map((s) => s.tap_stream_id), streams.map((s) => s.name));
  for (const entry of catalog.streams) {
    const name = entry.tap_stream_id;
    const def = streams.find((s) => s.name === name)!;
    // What a user's table is keyed and bookmarked on, as the stream declares it.
    const key = def.primaryKey.map((path) => path.join('.'));
    const cursor = def.cursorField;
    assert.equal(entry.stream, name);
    assert.equal(entry.schema.type, 'object');
    const md = streamMd(catalog, name);
    assert.equal(md.inclusion, 'available');
    assert.equal(md['selected-by-default'], true);
    assert.deepEqual(md['table-key-properties'], key, `${name}: its primary key`);
    assert.deepEqual(md['valid-replication-keys'], [cursor], `${name}: its cursor`);
    assert.equal(md['forced-replication-method'], undefined, 'every stream has a cursor, so none is forced to FULL_TABLE');
    assert.equal(md.selected, undefined, 'selecting is the user\'s choice');
    const fields = entry.metadata.filter((m) => m.breadcrumb.length === 2).map((m) => m.breadcrumb[1]!);
    assert.deepEqual(fields, Object.keys(entry.schema.properties), 'one breadcrumb per schema field, in schema order');
    assert.ok(entry.metadata.every((m) => m.breadcrumb.length === 0 || m.breadcrumb[0] === 'properties'));
    // Every record has its key and its cursor, so a target can rely on them.
    for (const field of key) {
      assert.ok(entry.schema.properties[field], `${name}: key ${field} is a schema field`);
      assert.ok((entry.schema.required as string[]).includes(field), `${name}: key ${field} is required`);
    }
    assert.equal(entry.schema.properties[cursor]?.format, 'date-time', `${name}: the replication key ${cursor} is a date-time`);
    const automatic = new Set([...key, cursor]);
    for (const field of fields) {
      const expected = automatic.has(field) ? { inclusion: 'automatic' } : { inclusion: 'available', 'selected-by-default': true };
      assert.deepEqual(fieldMd(catalog, name, field), expected, `${name}.${field}: the key and the replication key are automatic, every other field available`);
    }
    assert.ok(fields.length > automatic.size, `${name} has fields a user may deselect`);
    assert.deepEqual([...keysDeep(entry.schema)].filter((k) => k.startsWith('airbyte_')), [], 'no Airbyte-only keywords in a Singer schema');
  }
});

test('the discovered catalog handed back unchanged reads every stream incrementally, with every field', () => {
  const selections = selectionsFromSingerCatalog(discovered(), {});
  assert.deepEqual(selections.map((s) => [s.def.name, s.mode, s.fields]), streams.map((s) => [s.name, 'incremental', undefined]));
});

test('only selected streams are read, with the replication method the catalog asks for', () => {
  const catalog = discovered();
  streamMd(catalog, 'media').selected = true;
  streamMd(catalog, 'media')['replication-method'] = 'FULL_TABLE';
  for (const s of streams) if (s.name !== 'media') streamMd(catalog, s.name).selected = false;
  const bookmarks = { media: { updatedAt: '2024-01-01T00:00:00Z', state_version: 1 } };
  const selections = selectionsFromSingerCatalog(catalog, bookmarks);
  assert.deepEqual(selections.map((s) => [s.def.name, s.mode]), [['media', 'full_refresh']]);
  assert.equal(selections[0]!.state, undefined, 'a FULL_TABLE read ignores the bookmark');

  streamMd(catalog, 'media')['replication-method'] = 'INCREMENTAL';
  streamMd(catalog, 'media')['replication-key'] = 'updatedAt';
  const incremental = selectionsFromSingerCatalog(catalog, bookmarks);
  assert.deepEqual(incremental.map((s) => [s.def.name, s.mode, s.state]), [['media', 'incremental', bookmarks.media]]);
});

test('deselected fields are left out, but the key and replication key always stay', () => {
  const catalog = discovered();
  for (const m of catalog.streams.find((s) => s.tap_stream_id === 'categories')!.metadata) {
    if (m.breadcrumb.length === 2) m.metadata.selected = ['name', 'fullName'].includes(m.breadcrumb[1]!);
  }
  // A composite key stays whole, with its own replication key.
  for (const m of catalog.streams.find((s) => s.tap_stream_id === 'category_entries')!.metadata) {
    if (m.breadcrumb.length === 2) m.metadata.selected = false;
  }
  streamMd(catalog, 'media').selected = false;
  const selections = selectionsFromSingerCatalog(catalog, {});
  assert.ok(!selections.some((s) => s.def.name === 'media'));
  assert.deepEqual(selections.find((s) => s.def.name === 'categories')!.fields, ['id', 'name', 'fullName', 'updatedAt']);
  assert.deepEqual(selections.find((s) => s.def.name === 'category_entries')!.fields, ['categoryId', 'entryId', 'createdAt']);
  assert.equal(selections.find((s) => s.def.name === 'users')!.fields, undefined, 'a stream whose fields are untouched gets every field');
});

test('a catalog asking for what the streams cannot do is refused with every problem named', () => {
  const catalog = discovered();
  streamMd(catalog, 'media')['replication-method'] = 'LOG_BASED';
  streamMd(catalog, 'categories')['replication-key'] = 'createdAt';
  catalog.streams.push({ tap_stream_id: 'playlists', stream: 'playlists', schema: {}, metadata: [{ breadcrumb: [], metadata: { selected: true } }] });
  catalog.streams.push({ tap_stream_id: 'flavors', stream: 'flavors', schema: {}, metadata: [{ breadcrumb: [], metadata: { selected: false } }] });
  assert.throws(
    () => selectionsFromSingerCatalog(catalog, {}),
    (err: unknown) => {
      assert.ok(err instanceof ConnectorError);
      assert.equal(err.failureType, 'config_error');
      assert.match(err.message, /3 problems/);
      assert.match(err.message, /LOG_BASED/);
      assert.match(err.message, /replication-key "createdAt".*only replication key is "updatedAt"/);
      assert.match(err.message, /"playlists".*media, categories/);
      assert.doesNotMatch(err.message, /flavors/, 'a stream that is not selected is not this connector\'s business');
      return true;
    },
  );
  assert.throws(() => selectionsFromSingerCatalog([], {}), /no "streams" list/);
  assert.throws(() => selectionsFromSingerCatalog({ streams: [{ tap_stream_id: 'media', metadata: {} }] }, {}), /metadata.*must be a list/);
  assert.throws(() => selectionsFromSingerCatalog({ streams: [null] }, {}), (err: unknown) => err instanceof ConnectorError && err.failureType === 'config_error' && /streams\[0\] is not an object/.test(err.message));
});

test('Singer state is read as Meltano passes it, or as the value of a STATE message', () => {
  const media = { updatedAt: '2024-05-01T12:00:00Z', state_version: 1 };
  assert.deepEqual(bookmarksFromSingerState({ bookmarks: { media } }), { media });
  assert.deepEqual(bookmarksFromSingerState({ value: { bookmarks: { media } } }), { media });
  assert.deepEqual(bookmarksFromSingerState({ type: 'STATE', value: { bookmarks: { media } } }), { media });
  assert.deepEqual(bookmarksFromSingerState({}), {});
  assert.deepEqual(bookmarksFromSingerState(undefined), {});
  assert.throws(() => bookmarksFromSingerState([{ type: 'STREAM' }]), /not a JSON object/);
  assert.throws(() => bookmarksFromSingerState({ bookmarks: [] }), /"bookmarks" is not an object/);
});

test('a stream without a cursor is offered FULL_TABLE only, and a selection of it is read in full', async () => {
  // No stream of the connector lacks a cursor today: a synthetic one (the users list, minus its cursor).
  const users = streams.find((s) => s.name === 'users')!;
  const cursorless: StreamDefinition = { ...users, name: 'audit_log', cursorField: '' };
  const available = [streams[0]!, cursorless];
  const catalog = structuredClone(singerCatalog(available)) as Catalog;
  assert.deepEqual(catalog.streams.map((s) => s.tap_stream_id), [streams[0]!.name, 'audit_log']);
  const md = streamMd(catalog, 'audit_log');
  assert.equal(md['forced-replication-method'], 'FULL_TABLE');
  assert.ok(!('valid-replication-keys' in md), 'no replication key to offer');
  assert.deepEqual(md['table-key-properties'], ['id']);
  assert.deepEqual(fieldMd(catalog, 'audit_log', 'id'), { inclusion: 'automatic' }, 'the key is always sent');
  assert.deepEqual(fieldMd(catalog, 'audit_log', 'updatedAt'), { inclusion: 'available', 'selected-by-default': true }, 'without a cursor, updatedAt is a field like any other');
  assert.equal(streamMd(catalog, streams[0]!.name)['forced-replication-method'], undefined, 'a stream with a cursor is not forced');

  // Handed back as discovered (no replication-method): read in full, bookmark or not.
  const bookmarks = { audit_log: { updatedAt: '2024-01-01T00:00:00Z', state_version: 1 } };
  streamMd(catalog, streams[0]!.name).selected = false;
  const selections = selectionsFromSingerCatalog(catalog, bookmarks, available);
  assert.deepEqual(selections.map((s) => [s.def.name, s.mode, s.state]), [['audit_log', 'full_refresh', undefined]]);
  assert.deepEqual(defaultSelections(bookmarks, [cursorless]).map((s) => [s.def.name, s.mode, s.state]), [['audit_log', 'full_refresh', undefined]], 'without a catalog too');

  // Its SCHEMA announces no bookmark.
  let text = '';
  const sink = new Writable({ write: (chunk, _enc, done) => ((text += String(chunk)), done()) });
  const output = new SingerOutput(selections, {}, new LineWriter(sink), new Logger(() => undefined));
  await output.started('audit_log');
  const schema = JSON.parse(text);
  assert.equal(schema.type, 'SCHEMA');
  assert.deepEqual([schema.key_properties, schema.bookmark_properties], [['id'], []]);

  // Asking for INCREMENTAL on it is refused, naming why.
  streamMd(catalog, 'audit_log')['replication-method'] = 'INCREMENTAL';
  assert.throws(() => selectionsFromSingerCatalog(catalog, bookmarks, available), /audit_log.*no replication key.*"FULL_TABLE"/);
  // And a stream list decides what exists: the real catalog does not know audit_log.
  streamMd(catalog, 'audit_log')['replication-method'] = 'FULL_TABLE';
  assert.throws(() => selectionsFromSingerCatalog(catalog, bookmarks), /"audit_log", which this connector does not offer/);
});
