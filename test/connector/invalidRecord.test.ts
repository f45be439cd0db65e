import { before, after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runConnector, ofType, recordsOf, lastStates, parseLines, tempDir } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { run } from '../singer/run.js';

// A value of another type than the schema declares never drops a record nor stops a stream: it is
// cast when nothing is lost, else nulled with one warning per stream and field (and, in Airbyte
// mode, meta.changes on the record); the run succeeds and the state moves on (docs/records.md).
// The emulator sends the drift over real HTTP (faults.valueDrift).
let fx: Fixture;
/** A read of media and categories without drift: what every drifted read must match, nulled fields aside. */
let clean: Array<Record<string, any>>;
let catalog: string;
/** Two media entries that have `plays`: the ones whose `plays` comes as text that is no number. */
let bad: string[];
before(async () => {
  fx = await startFixture({ entries: 3_000, categories: 30, seed: 5 });
  catalog = fx.catalog([['media', 'incremental'], ['categories', 'incremental']]);
  const baseline = await runConnector(['read', '--config', fx.config('admin'), '--catalog', catalog]);
  assert.equal(baseline.code, 0, baseline.stderr);
  clean = baseline.messages;
  const truth = [...fx.emulator.control.truth('media')].sort((a, b) => a.updatedAt - b.updatedAt);
  const withPlays = new Set(recordsOf(clean, 'media').filter((r) => typeof r.plays === 'number').map((r) => r.id as string));
  // Rows in the middle of the range, so pages before and after them are read and checkpointed.
  bad = truth.map((t) => t.id as string).filter((id) => withPlays.has(id)).slice(truth.length / 2, truth.length / 2 + 2);
  assert.equal(bad.length, 2);
});
afterEach(() => fx.emulator.control.clearFaults());
after(() => fx.close());

function drift(): void {
  fx.emulator.control.setFaults({
    valueDrift: [
      // Numbers as text: cast back, nothing lost, nothing nulled.
      { service: 'media', field: 'version', to: 'string' },
      { service: 'category', field: 'depth', to: 'string' },
      // The engine pages by these: the key it excludes by, the cursor its state is made of.
      { service: 'category', field: 'id', to: 'string' },
      { service: 'category', field: 'updatedAt', to: 'string' },
      // Text that is no number in an integer field of two entries: nulled.
      { service: 'media', field: 'plays', to: 'garbage', ids: bad },
    ],
  });
}

const byId = (records: Array<Record<string, any>>) => new Map(records.map((r) => [String(r.id), r]));

test('Airbyte: drifted values are cast or nulled, every record is written, the nulled ones say so in meta.changes, and the state moves on', async () => {
  drift();
  const read = await runConnector(['read', '--config', fx.config('admin'), '--catalog', catalog]);
  assert.equal(read.code, 0, read.stderr);
  assert.equal(read.validated, read.messages.length, 'every message valid against the Airbyte protocol schema');
  assert.deepEqual(ofType(read.messages, 'TRACE').filter((m) => m.trace.type === 'ERROR'), [], 'no stream failed');

  // Every record is there; each equals the clean read's but for the two nulled values.
  for (const stream of ['media', 'categories']) {
    const expected = byId(recordsOf(clean, stream));
    const actual = byId(recordsOf(read.messages, stream));
    assert.equal(actual.size, expected.size, `${stream}: every record`);
    for (const [id, record] of actual) {
      const want = { ...expected.get(id) };
      if (bad.includes(id)) want.plays = null;
      assert.deepEqual(record, want, `${stream} ${id}`);
    }
  }
  // Only the two records with a nulled field carry meta, with the protocol's words.
  const withMeta = ofType(read.messages, 'RECORD').filter((m) => m.record.meta !== undefined);
  assert.deepEqual(withMeta.map((m) => m.record.data.id).sort(), [...bad].sort());
  for (const m of withMeta) assert.deepEqual(m.record.meta, { changes: [{ field: 'plays', change: 'NULLED', reason: 'SOURCE_SERIALIZATION_ERROR' }] });

  // One warning for the nulled field, naming stream, field, a record and the type, not the value.
  const warnings = ofType(read.messages, 'LOG').filter((m) => m.log.level === 'WARN').map((m) => m.log.message as string);
  const nulledWarnings = warnings.filter((w) => w.includes('"plays"'));
  assert.equal(nulledWarnings.length, 1, warnings.join('\n'));
  assert.match(nulledWarnings[0]!, new RegExp(`^media: field "plays" of record (${bad.join('|')}) came as a string, which is not integer`));
  assert.ok(!nulledWarnings[0]!.includes('n/a'), 'the value is not quoted');
  // The casts are noted once per field, as information.
  const infos = ofType(read.messages, 'LOG').filter((m) => m.log.level === 'INFO').map((m) => m.log.message as string);
  assert.equal(infos.filter((i) => /^media: field "version" came as a string .* cast without loss/.test(i)).length, 1);
  assert.equal(infos.filter((i) => /^categories: field "depth" came as a string .* cast without loss/.test(i)).length, 1);

  // Both streams complete, and their states reach the read's end (as a clean read's do), past every row.
  const statuses = ofType(read.messages, 'TRACE').filter((m) => m.trace.type === 'STREAM_STATUS').map((m) => `${m.trace.stream_status.stream_descriptor.name} ${m.trace.stream_status.status}`);
  assert.ok(statuses.includes('media COMPLETE') && statuses.includes('categories COMPLETE'), statuses.join(', '));
  const finalStates = (messages: Array<Record<string, any>>): Record<string, string> => Object.fromEntries(lastStates(messages).map((s) => [s.stream.stream_descriptor.name, s.stream.stream_state.updatedAt]));
  const reached = finalStates(read.messages);
  for (const [stream, cleanEnd] of Object.entries(finalStates(clean))) assert.ok((reached[stream] ?? '') >= cleanEnd, `${stream}: state ${reached[stream]} reaches the clean read's ${cleanEnd}`);

  // So the next read starts after them, as after a clean read: nothing is stuck.
  const next = await runConnector(['read', '--config', fx.config('admin', { lookback_window_seconds: 0 }), '--catalog', catalog, '--state', fx.write('after-drift.json', lastStates(read.messages))]);
  assert.equal(next.code, 0, next.stderr);
  assert.ok(recordsOf(next.messages, 'media').length < recordsOf(clean, 'media').length / 10, 'the next read does not start over');
});

test('Singer: the record is written with the field nulled (no changes list: the warning is the trace), and the run succeeds', async () => {
  drift();
  const singer = await run('connector', ['--config', fx.config('admin')]);
  assert.equal(singer.code, 0, singer.stderr.slice(-2000));
  const messages = parseLines(singer.stdout);
  const media = byId(messages.filter((m) => m.type === 'RECORD' && m.stream === 'media').map((m) => m.record));
  assert.equal(media.size, recordsOf(clean, 'media').length, 'every media record');
  for (const id of bad) {
    assert.equal(media.get(id)!.plays, null);
    assert.equal(media.get(id)!.id, id);
  }
  assert.ok([...media.values()].every((r) => r.version === undefined || Number.isInteger(r.version)), 'versions cast back to integers');
  assert.equal(singer.stderr.match(/WARN media: field "plays" of record/g)?.length, 1, 'one warning');
  assert.ok(messages.some((m) => m.type === 'STATE' && m.value.bookmarks.media), 'the bookmark moved');
});

test('cron: the file holds every record, the nulled field empty, and the state file is saved', async () => {
  drift();
  const dir = tempDir();
  const stateFile = join(dir, 'state.json');
  const cron = await run('connector', ['read', '--config', fx.config('admin'), '--catalog', catalog, '--output', 'jsonl', '--output-dir', dir, '--state-file', stateFile]);
  assert.equal(cron.code, 0, cron.stderr.slice(-2000));
  const file = readdirSync(dir).find((n) => n.startsWith('media-') && n.endsWith('.jsonl'))!;
  const rows = byId(readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>));
  assert.equal(rows.size, recordsOf(clean, 'media').length, 'every media record in the file');
  for (const id of bad) assert.equal(rows.get(id)!.plays, null);
  assert.equal(cron.stderr.match(/WARN media: field "plays" of record/g)?.length, 1, 'one warning');
  const state = JSON.parse(readFileSync(stateFile, 'utf8'));
  const cleanMedia = lastStates(clean).find((s) => s.stream.stream_descriptor.name === 'media')!.stream.stream_state;
  assert.ok(state.streams.media.updatedAt >= cleanMedia.updatedAt, 'the state file moved as far as a clean read');
});
