import { before, after, test } from 'node:test';
import { profileStreamBaseName } from '../../connector/streams/profileStreams.js';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { assertValidSingerOutput } from './singerMessages.js';
import { jsonLines, run } from './run.js';
import { streams } from '../../connector/streams/index.js';
import type { StreamDefinition } from '../../connector/streams/definition.js';
import type { TruthStream } from '../../fixtures/emulator/control.js';

let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 2_000, categories: 120, seed: 61 });
});
after(() => fx.close());

const seconds = (iso: string) => Date.parse(iso) / 1000;
const sorted = <T>(xs: T[]) => [...xs].sort((a, b) => String(a).localeCompare(String(b)));

type Catalog = { streams: Array<{ tap_stream_id: string; metadata: Array<{ breadcrumb: string[]; metadata: Record<string, any> }> }> };

async function tap(args: string[], env?: NodeJS.ProcessEnv) {
  const r = await run('tap', args, { env: env ? { ...process.env, ...env } : undefined });
  return { ...r, messages: r.code === 2 ? [] : jsonLines(r.stdout) };
}

async function discover(config: string): Promise<Catalog> {
  const r = await run('tap', ['--config', config, '--discover']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Catalog;
}

function streamMd(catalog: Catalog, name: string): Record<string, any> {
  return catalog.streams.find((s) => s.tap_stream_id === name)!.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;
}

/** Marks these streams selected and every other one deselected, as `meltano select` does. */
function selectOnly(catalog: Catalog, names: string[]): void {
  for (const s of catalog.streams) streamMd(catalog, s.tap_stream_id).selected = names.includes(s.tap_stream_id);
}

/** A record's primary key, and a ground-truth row's, as one comparable string. */
const keyOf = (def: StreamDefinition, row: Record<string, unknown>) => def.primaryKey.map(([field]) => String(row[field!])).join(':');

/**
 * A full read of a stream that started at `startedAt` (server seconds) emitted every row of the
 * account once. Rows stamped after the start (the emulator dates a new entry's assets minutes
 * ahead, as transcoding would) are left to the next read, but if read they must be real rows.
 */
function assertReadInFull(def: StreamDefinition, records: Array<Record<string, any>>, startedAt: number) {
  const truth = fx.emulator.control.truth(def.name as TruthStream) as unknown as Array<Record<string, any>>;
  assert.ok(truth.length > 0, `the account has ${def.name}`);
  const keys = records.map((r) => keyOf(def, r));
  assert.equal(new Set(keys).size, keys.length, `${def.name}: no row twice`);
  const real = new Set(truth.map((t) => keyOf(def, t)));
  assert.deepEqual(keys.filter((k) => !real.has(k)), [], `${def.name}: only rows of the account`);
  const emitted = new Set(keys);
  const due = truth.filter((t) => t[def.cursorField] <= startedAt);
  assert.ok(due.length > truth.length / 2);
  assert.deepEqual(due.filter((t) => !emitted.has(keyOf(def, t))).map((t) => keyOf(def, t)), [], `${def.name}: every row there when the read started`);
}

/**
 * A STATE is written after the records it covers: when it appears, every row of the account
 * updated before its bookmark has already been emitted.
 */
function assertStatesFollowTheirRecords(messages: Array<Record<string, any>>, stream: string, truth: Array<{ id: string | number; updatedAt: number }>) {
  const emitted = new Set<string | number>();
  let checked = 0;
  for (const m of messages) {
    if (m.type === 'RECORD' && m.stream === stream) emitted.add(m.record.id);
    if (m.type !== 'STATE' || !m.value.bookmarks[stream]) continue;
    const bookmark = seconds(m.value.bookmarks[stream].updatedAt);
    const missing = truth.filter((t) => t.updatedAt < bookmark && !emitted.has(t.id));
    assert.deepEqual(missing.map((t) => t.id), [], `every ${stream} row before ${m.value.bookmarks[stream].updatedAt} is emitted before the STATE that says so`);
    checked += 1;
  }
  assert.ok(checked > 1, `${stream} has several STATE messages (${checked})`);
}

test('discover, select, read, then read again from the state: Singer messages in order, only what changed the second time', async () => {
  const config = fx.config('admin', { lookback_window_seconds: 0, page_size: 200 });
  const catalog = await discover(config);
  selectOnly(catalog, ['media', 'categories']);
  streamMd(catalog, 'categories')['replication-method'] = 'FULL_TABLE';
  const catalogPath = fx.write('singer-catalog.json', catalog);
  const control = fx.emulator.control;

  const first = await tap(['--config', config, '--catalog', catalogPath]);
  assert.equal(first.code, 0, first.stderr);
  const out = assertValidSingerOutput(first.messages);
  assert.deepEqual([...out.schemas.keys()].sort(), ['categories', 'media'], 'the selected streams and no other');
  assert.deepEqual([...out.records.keys()].sort(), ['categories', 'media']);
  assert.deepEqual(out.schemas.get('media')?.key_properties, ['id']);
  assert.deepEqual(out.schemas.get('media')?.bookmark_properties, ['updatedAt']);
  assert.deepEqual(out.schemas.get('categories')?.bookmark_properties, [], 'a FULL_TABLE stream has no bookmark');
  assert.equal(out.schemas.get('media')?.schema.properties.updatedAt.format, 'date-time');
  const media = out.records.get('media') ?? [];
  assert.deepEqual(sorted(media.map((r) => r.id)), sorted(control.truth('media').map((t) => t.id)), 'every entry, once');
  assert.equal(new Set(media.map((r) => r.id)).size, media.length);
  assert.deepEqual(sorted((out.records.get('categories') ?? []).map((r) => r.id)), sorted(control.truth('categories').map((t) => t.id)));
  for (const r of media) for (const field of ['createdAt', 'updatedAt']) assert.match(r[field], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, `${r.id}.${field} is RFC 3339 UTC`);
  for (const s of out.states) assert.deepEqual(Object.keys(s.value.bookmarks), ['media'], 'bookmarks for the incremental stream only');
  assertStatesFollowTheirRecords(first.messages, 'media', control.truth('media'));
  const lastState = out.states.at(-1)!;
  assert.deepEqual(Object.keys(lastState.value.bookmarks.media).sort(), ['state_version', 'updatedAt']);
  assert.ok(seconds(lastState.value.bookmarks.media.updatedAt) <= control.now(), 'the bookmark never passes the moment the read started');

  const updated = control.updateEntries(media.slice(40, 45).map((r) => r.id));
  const added = control.addEntries(3);
  // A read ends with the last whole second before it starts: let the changes' second pass.
  control.advanceClock(2);
  // Meltano hands the state back as {"bookmarks": ...}; a bookmark of a stream not read stays.
  const statePath = fx.write('singer-state.json', { bookmarks: { ...lastState.value.bookmarks, legacy_stream: { cursor: 'kept' } } });
  const second = await tap(['--config', config, '--catalog', catalogPath, '--state', statePath]);
  assert.equal(second.code, 0, second.stderr);
  const out2 = assertValidSingerOutput(second.messages);
  assert.deepEqual([...out2.schemas.keys()].sort(), ['categories', 'media'], 'the catalog still selects them alone');
  const media2 = out2.records.get('media') ?? [];
  const changed = new Set<string | number>([...updated, ...added]);
  for (const id of changed) assert.ok(media2.some((r) => r.id === id), `changed entry ${id} is read`);
  const bookmark1 = seconds(lastState.value.bookmarks.media.updatedAt);
  // Besides the changes, at most the rows of the bookmark's own second come again (at-least-once).
  for (const r of media2) assert.ok(changed.has(r.id) || seconds(r.updatedAt) >= bookmark1, `${r.id} is a change or at the bookmark`);
  assert.ok(media2.length < media.length / 10, `an incremental read, not a full one (${media2.length} records)`);
  assert.equal(out2.records.get('categories')?.length, control.truth('categories').length, 'the FULL_TABLE stream is read in full again');
  const final = out2.states.at(-1)!.value.bookmarks;
  assert.deepEqual(final.legacy_stream, { cursor: 'kept' });
  assert.ok(seconds(final.media.updatedAt) >= seconds(lastState.value.bookmarks.media.updatedAt), 'the bookmark never moves backwards');

  // A STATE message's value is accepted as --state too.
  const wrapped = fx.write('singer-state-wrapped.json', { value: out2.states.at(-1)!.value });
  const third = await tap(['--config', config, '--catalog', catalogPath, '--state', wrapped]);
  assert.equal(third.code, 0, third.stderr);
  const bookmark2 = seconds(final.media.updatedAt);
  for (const r of assertValidSingerOutput(third.messages).records.get('media') ?? []) {
    assert.ok(seconds(r.updatedAt) >= bookmark2, `nothing changed: only rows at the bookmark's second come again (${r.id})`);
  }
});

test('deselected fields are neither in the SCHEMA nor in the records; unselected streams are not read', async () => {
  const config = fx.config();
  const catalog = await discover(config);
  selectOnly(catalog, ['media']);
  for (const m of catalog.streams.find((s) => s.tap_stream_id === 'media')!.metadata) {
    if (m.breadcrumb.length === 2) m.metadata.selected = ['name', 'status'].includes(m.breadcrumb[1]!);
  }
  const r = await tap(['--config', config, '--properties', fx.write('singer-fields.json', catalog)]);
  assert.equal(r.code, 0, r.stderr);
  const out = assertValidSingerOutput(r.messages);
  assert.deepEqual([...out.schemas.keys()], ['media']);
  assert.deepEqual([...out.records.keys()], ['media']);
  assert.deepEqual(Object.keys(out.schemas.get('media')!.schema.properties), ['id', 'name', 'status', 'updatedAt']);
  for (const record of out.records.get('media')!) assert.deepEqual(Object.keys(record).filter((k) => !['id', 'name', 'status', 'updatedAt'].includes(k)), []);
});

/** The emulated account's metadata profile streams, named as the connector names them. */
function profileStreams(): Array<{ name: string; objectType: string }> {
  return fx.emulator.control.metadataProfiles().map((p) => ({ name: profileStreamBaseName({ id: p.id, metadataObjectType: p.objectType, systemName: p.systemName }), objectType: p.objectType }));
}

test('without a catalog every stream is read incrementally; a bookmark from the future reads nothing and stays', async () => {
  const future = { updatedAt: '2099-01-01T00:00:00Z', state_version: 1 };
  const startedAt = fx.emulator.control.now();
  const r = await tap(['--config', fx.config(), '--state', fx.write('singer-future.json', { bookmarks: { media: future } })]);
  assert.equal(r.code, 0, r.stderr);
  const out = assertValidSingerOutput(r.messages);
  assert.deepEqual([...out.schemas.keys()].sort(), sorted([...streams.map((s) => s.name), ...profileStreams().map((p) => p.name)]), 'every stream, and one per metadata profile');
  assert.equal(out.records.get('media'), undefined);
  const bookmarks = out.states.at(-1)!.value.bookmarks;
  // The same claim, carried on in the current state version.
  assert.deepEqual(bookmarks.media, { ...future, state_version: 2 });
  for (const def of streams) {
    assert.deepEqual(out.schemas.get(def.name)?.bookmark_properties, [def.cursorField], `${def.name} is read incrementally`);
    assert.ok(bookmarks[def.name], `${def.name} has a bookmark`);
    if (def.name === 'media') continue;
    assert.ok(seconds(bookmarks[def.name][def.cursorField]) <= fx.emulator.control.now(), `${def.name}: its bookmark is on its cursor ${def.cursorField}, never in the future`);
    assertReadInFull(def, out.records.get(def.name) ?? [], startedAt);
  }
});

test('a stream that keeps failing is named on stderr, the others finish with their state, and the exit code is 1', async () => {
  fx.emulator.control.setFaults({ httpErrorRate: 1, httpErrorStatuses: [503], onlyServices: ['category.list'], seed: 3 });
  try {
    const startedAt = fx.emulator.control.now();
    const r = await tap(['--config', fx.config('admin', { max_concurrency: 2 })], { SOURCE_KALTURA_MAX_RETRY_SECONDS: '2' });
    assert.equal(r.code, 1);
    // category_entries are read per category, so they cannot be read without the category list either.
    // So are the streams of category metadata profiles, read by batches of category ids.
    const failed = sorted(['categories', 'category_entries', ...profileStreams().filter((p) => p.objectType === '2').map((p) => p.name)]);
    for (const name of failed) assert.match(r.stderr, new RegExp(`ERROR ${name}: .*503`));
    const last = r.stderr.trimEnd().split('\n').at(-1)!;
    assert.match(last, /INFO Sync finished: .*; failed streams: /, 'the summary is the last line');
    const named = /failed streams: (.*)$/.exec(last)?.[1]?.split(', ');
    assert.deepEqual(named?.sort(), failed, 'the failed streams, and only they, are named');
    const out = assertValidSingerOutput(r.messages);
    const others = streams.filter((s) => !failed.includes(s.name));
    for (const def of others) assertReadInFull(def, out.records.get(def.name) ?? [], startedAt);
    const otherProfiles = profileStreams().filter((p) => p.objectType !== '2').map((p) => p.name);
    assert.deepEqual(Object.keys(out.states.at(-1)!.value.bookmarks).sort(), sorted([...others.map((s) => s.name), ...otherProfiles]), 'a bookmark for every other stream, none for the failed ones');
  } finally {
    fx.emulator.control.clearFaults();
  }
});
