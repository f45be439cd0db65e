import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runConnector, runConnectorUntil, ofType, recordsOf, lastStates, type RunResult } from '../helpers/cli.js';
import { assertValidMessages } from '../helpers/airbyteSchema.js';
import { startFixture, type Fixture } from '../helpers/setup.js';

let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 40_000, categories: 200, seed: 11 });
});
after(() => fx.close());

const both: Array<[string, 'incremental']> = [['media', 'incremental'], ['categories', 'incremental']];
const seconds = (iso: string) => Date.parse(iso) / 1000;
const iso = (unix: number) => new Date(unix * 1000).toISOString().replace('.000Z', 'Z');

async function incremental(state?: unknown[], extra: Record<string, unknown> = {}) {
  const args = ['read', '--config', fx.config('admin', extra), '--catalog', fx.catalog(both)];
  if (state) args.push('--state', fx.write(`state-${Math.random()}.json`, state));
  const run = await runConnector(args);
  assert.equal(run.code, 0, run.stderr);
  assertValidMessages(run.messages);
  return run;
}

/** Latest version of each record across reads, as a warehouse deduplicating on the key would hold. */
function merge(...reads: Array<Array<Record<string, any>>>): Map<string | number, Record<string, any>> {
  const byId = new Map<string | number, Record<string, any>>();
  for (const records of reads) for (const r of records) byId.set(r.id, r);
  return byId;
}

test('full then incremental: the merged result equals the ground truth after changes, additions and deletions', async () => {
  const first = await incremental();
  const states = lastStates(first.messages);
  assert.equal(states.length, 2, 'one state per stream');
  for (const s of states) assert.equal(s.type, 'STREAM');

  const control = fx.emulator.control;
  control.advanceClock(60);
  const someIds = recordsOf(first.messages, 'media').slice(100, 130).map((r) => r.id as string);
  const updated = control.updateEntries(someIds.slice(0, 10));
  const deleted = control.deleteEntries(someIds.slice(10, 20));
  const added = control.addEntries(15);
  const catIds = recordsOf(first.messages, 'categories').slice(0, 6).map((r) => r.id as number);
  control.updateCategories(catIds.slice(0, 3));
  control.deleteCategories(catIds.slice(3, 6));
  const addedCats = control.addCategories(2);
  // A read ends before the second it starts in: step past the second of the changes.
  control.advanceClock(2);

  const second = await incremental(states, { lookback_window_seconds: 0 });
  const media2 = recordsOf(second.messages, 'media');
  const changed = new Set<string | number>([...updated, ...deleted, ...added]);
  for (const id of changed) assert.ok(media2.some((r) => r.id === id), `changed entry ${id} is in the second read`);
  const deletedRows = media2.filter((r) => deleted.includes(r.id));
  assert.ok(deletedRows.every((r) => r.status === 3), 'deleted entries come back with status 3');
  // The second read holds only what changed, plus rows at the previous cursor second (at-least-once).
  const cursor = seconds(states.find((s) => s.stream.stream_descriptor.name === 'media')!.stream.stream_state.updatedAt);
  for (const r of media2) assert.ok(changed.has(r.id) || seconds(r.updatedAt) >= cursor, `${r.id} is a change or at the boundary`);

  const mergedMedia = merge(recordsOf(first.messages, 'media'), media2);
  const truth = control.truth('media');
  assert.equal(mergedMedia.size, truth.length);
  for (const t of truth) assert.equal(mergedMedia.get(t.id)?.status, t.status, `entry ${t.id} has its current status`);

  const cats2 = recordsOf(second.messages, 'categories');
  for (const id of [...catIds.slice(0, 3), ...addedCats]) assert.ok(cats2.some((c) => c.id === id), `category ${id} is in the second read`);
  const catTruth = new Set(control.truth('categories').map((t) => t.id));
  const mergedCats = merge(recordsOf(first.messages, 'categories'), cats2);
  // Deleted categories are never listed again: only a full refresh removes them (documented).
  for (const id of catTruth) assert.ok(mergedCats.has(id), `category ${id} is in the warehouse`);
});

test('lookback: a row updated inside [cursor - L, cursor) comes back with lookback L and not with lookback 0', async () => {
  const control = fx.emulator.control;
  const first = await incremental(undefined, { lookback_window_seconds: 0 });
  const states = lastStates(first.messages);
  const cursorOf = (name: string) => seconds(states.find((s) => s.stream.stream_descriptor.name === name)!.stream.stream_state.updatedAt);
  const cursor = cursorOf('media');
  assert.equal(cursorOf('categories'), cursor, 'both streams end at the read\'s start');
  // An update that Kaltura's search shows late: stamped 30 s before the cursor, listed only now.
  // Turn the emulator's clock back to stamp it there, then forward again.
  const back = control.now() - (cursor - 30);
  control.advanceClock(-back);
  const someIds = recordsOf(first.messages, 'media').slice(200, 205).map((r) => r.id as string);
  const lateMedia = control.updateEntries(someIds);
  const lateCats = control.updateCategories(recordsOf(first.messages, 'categories').slice(10, 12).map((r) => r.id as number));
  control.advanceClock(back + 2);
  const lookback = 60;
  const stamped = (stream: 'media' | 'categories', ids: Array<string | number>) => control.truth(stream).filter((t) => ids.includes(t.id)).map((t) => t.updatedAt);
  for (const at of [...stamped('media', lateMedia), ...stamped('categories', lateCats)]) assert.ok(at >= cursor - lookback && at < cursor, `the late rows lie inside [cursor - ${lookback}, cursor) (${at} vs ${cursor})`);
  assert.equal(lateMedia.length, 5);
  assert.equal(lateCats.length, 2);

  const without = await incremental(states, { lookback_window_seconds: 0 });
  const withLookback = await incremental(states, { lookback_window_seconds: lookback });
  for (const [stream, late] of [['media', lateMedia], ['categories', lateCats]] as const) {
    const missed = new Set(recordsOf(without.messages, stream).map((r) => r.id));
    const caught = new Set(recordsOf(withLookback.messages, stream).map((r) => r.id));
    for (const id of late) {
      assert.ok(!missed.has(id), `${stream} ${id} is not read without a lookback`);
      assert.ok(caught.has(id), `${stream} ${id} is read again with a ${lookback} s lookback`);
    }
    for (const r of recordsOf(without.messages, stream)) assert.ok(seconds(r.updatedAt) >= cursor, `${stream} ${r.id} (${r.updatedAt}) is at or after the cursor`);
    for (const r of recordsOf(withLookback.messages, stream)) assert.ok(seconds(r.updatedAt) >= cursor - lookback, `${stream} ${r.id} (${r.updatedAt}) is inside the lookback`);
  }
  // The lookback re-reads rows but never moves a state backwards.
  for (const s of lastStates(withLookback.messages)) assert.ok(seconds(s.stream.stream_state.updatedAt) >= cursor);
});

test('start_date: a first read returns every row updated at or after it, and nothing older', async () => {
  const control = fx.emulator.control;
  const updated = control.truth('media').map((t) => t.updatedAt).sort((a, b) => a - b);
  const start = updated[Math.floor(updated.length / 2)]!;
  const run = await incremental(undefined, { start_date: iso(start) });
  for (const stream of ['media', 'categories'] as const) {
    const truth = control.truth(stream);
    const expected = truth.filter((t) => t.updatedAt >= start).map((t) => String(t.id)).sort();
    assert.ok(truth.some((t) => t.updatedAt < start), `${stream} has rows older than the start date`);
    const records = recordsOf(run.messages, stream);
    for (const r of records) assert.ok(r.updatedAt >= iso(start), `${stream} ${r.id} (${r.updatedAt}) is not older than start_date`);
    assert.deepEqual([...new Set(records.map((r) => String(r.id)))].sort(), expected, `${stream}: every row updated since start_date`);
  }
  assert.ok(recordsOf(run.messages, 'media').length > 0);
});

test('a state from the future returns no records and keeps the state', async () => {
  const future = both.map(([name]) => ({ type: 'STREAM', stream: { stream_descriptor: { name }, stream_state: { updatedAt: '2999-01-01T00:00:00Z', state_version: 1 } } }));
  const run = await incremental(future);
  assert.equal(ofType(run.messages, 'RECORD').length, 0);
  for (const s of lastStates(run.messages)) assert.equal(s.stream.stream_state.updatedAt, '2999-01-01T00:00:00Z');
});

test('a bulk update of 12,000 entries in one second comes back whole in the next incremental read', async () => {
  const first = await incremental();
  fx.emulator.control.advanceClock(60);
  const bulk = fx.emulator.control.bulkUpdateEntries(12_000);
  assert.equal(bulk.length, 12_000);
  fx.emulator.control.advanceClock(2);
  const second = await incremental(lastStates(first.messages), { lookback_window_seconds: 0 });
  // The bulk touches entries of every type; the media stream holds the media ones.
  const media = new Set(fx.emulator.control.truth('media').map((t) => t.id));
  const expected = bulk.filter((id) => media.has(id));
  assert.ok(expected.length > 10_000, `more than 10,000 media entries share the second (${expected.length})`);
  const ids = new Set(recordsOf(second.messages, 'media').map((r) => r.id));
  const missing = expected.filter((id) => !ids.has(id));
  assert.deepEqual(missing, [], 'every bulk-updated media entry is read');
});

test('a read killed with SIGKILL at several points resumes from its last state without losing any entry', async () => {
  const seen = new Set<string | number>();
  let state: unknown[] | undefined;
  for (const killAfterStates of [3, 17, 41]) {
    // No lookback: an overshooting state would otherwise be hidden by the rows read again.
    const args = ['read', '--config', fx.config('admin', { max_concurrency: 2, lookback_window_seconds: 0 }), '--catalog', fx.catalog([['media', 'incremental']])];
    if (state) args.push('--state', fx.write(`kill-${killAfterStates}.json`, state));
    let statesSeen = 0;
    const run = await runConnectorUntil(args, (m) => m.type === 'STATE' && ++statesSeen >= killAfterStates);
    assert.equal(run.signal, 'SIGKILL', 'the read was killed mid-way');
    for (const r of recordsOf(run.messages, 'media')) seen.add(r.id);
    const last = lastStates(run.messages);
    if (last.length) state = last;
  }
  const final = await runConnector(['read', '--config', fx.config('admin', { lookback_window_seconds: 0 }), '--catalog', fx.catalog([['media', 'incremental']]), '--state', fx.write('kill-final.json', state)]);
  assert.equal(final.code, 0, final.stderr);
  for (const r of recordsOf(final.messages, 'media')) seen.add(r.id);
  const missing = fx.emulator.control.truth('media').filter((t) => !seen.has(t.id));
  assert.deepEqual(missing.map((t) => t.id), []);
});

test('state messages are small and each covers only records printed before it', async () => {
  const run = await incremental(undefined, { max_concurrency: 4 });
  // A STATE claims every row updated before its updatedAt, and every row whose updatedAt lies in
  // one of its slices (start included, end not): each of them must have been printed before it.
  const truth = fx.emulator.control.truth('media');
  let sizeMax = 0;
  let states = 0;
  let slicesSeen = 0;
  let mark = '';
  let claimedBefore = new Set<string>();
  const delivered = new Set<string>();
  for (const m of run.messages) {
    if (m.type === 'RECORD' && m.record.stream === 'media') delivered.add(m.record.data.id);
    if (m.type !== 'STATE' || m.state.stream.stream_descriptor.name !== 'media') continue;
    states += 1;
    const state = m.state.stream.stream_state;
    sizeMax = Math.max(sizeMax, JSON.stringify(m.state).length);
    assert.equal(state.state_version, 2);
    if (state.updatedAt !== undefined) {
      assert.match(state.updatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.ok(state.updatedAt >= mark, `the mark never moves backwards (${state.updatedAt} after ${mark})`);
      mark = state.updatedAt;
    }
    const slices: Array<{ start: string; end: string }> = state.slices ?? [];
    slicesSeen = Math.max(slicesSeen, slices.length);
    const below = state.updatedAt === undefined ? -Infinity : seconds(state.updatedAt);
    const claimed = new Set<string>();
    for (const row of truth) {
      const at = row.updatedAt;
      if (at < below || slices.some((s) => seconds(s.start) <= at && at < seconds(s.end))) {
        claimed.add(row.id as string);
        assert.ok(delivered.has(row.id as string), `a state claims ${row.id} (updated ${iso(at)}), which was not printed before it`);
      }
    }
    for (const id of claimedBefore) assert.ok(claimed.has(id), `a later state still claims ${id}`);
    claimedBefore = claimed;
  }
  assert.ok(states > 1, `media checkpoints as it goes (${states} states)`);
  assert.equal(claimedBefore.size, truth.length, 'the last state covers every row');
  // Slices are only ranges finished above the mark: at most one per window in flight.
  assert.ok(slicesSeen <= 6, `at most one slice per reader (${slicesSeen})`);
  assert.ok(sizeMax < 300 + 70 * slicesSeen, `state stays small (${sizeMax} bytes)`);
});

test('entries created, updated or deleted while a read runs are in that read or the next one', async () => {
  const control = fx.emulator.control;
  const catalog = fx.catalog([['media', 'incremental']]);
  const atRecord = 2_000;
  let changed: { updated: string[]; deleted: string[]; added: string[] } | undefined;
  let listsAtChange = 0;
  let printedAtChange = 0;
  let mediaRecords = 0;
  // The changes are made from the hook that sees the 2,000th record, while the read is running.
  const first: RunResult = await runConnector(['read', '--config', fx.config('admin', { max_concurrency: 2, lookback_window_seconds: 0 }), '--catalog', catalog], {
    onMessage: (m, index) => {
      if (m.type !== 'RECORD' || ++mediaRecords !== atRecord) return;
      const ids = control.truth('media').filter((t) => t.status !== 3).map((t) => String(t.id));
      changed = { updated: control.updateEntries(ids.slice(0, 20)), deleted: control.deleteEntries(ids.slice(20, 30)), added: control.addEntries(10) };
      listsAtChange = control.requestCounts()['media.list'] ?? 0;
      printedAtChange = index + 1;
    },
  });
  assert.equal(first.code, 0, first.stderr);
  assert.ok(changed, `the changes were made at record ${atRecord}`);
  assert.ok((control.requestCounts()['media.list'] ?? 0) > listsAtChange, 'the read went on listing media after the changes');
  assert.ok(recordsOf(first.messages.slice(printedAtChange), 'media').length > 0, 'and printed records after them');
  // A read ends before the second it starts in: step past the second of the changes.
  control.advanceClock(2);
  const second = await runConnector(['read', '--config', fx.config('admin', { lookback_window_seconds: 0 }), '--catalog', catalog, '--state', fx.write('during.json', lastStates(first.messages))]);
  assert.equal(second.code, 0, second.stderr);
  const merged = merge(recordsOf(first.messages, 'media'), recordsOf(second.messages, 'media'));
  const truth = new Map(control.truth('media').map((t) => [t.id, t]));
  for (const id of [...changed.updated, ...changed.deleted, ...changed.added]) {
    const record = merged.get(id);
    assert.ok(record, `${id}, changed during the first read, is in one of the two reads`);
    assert.equal(record.status, truth.get(id)?.status, `${id} has its current status`);
  }
  for (const id of changed.deleted) assert.equal(merged.get(id)?.status, 3, `${id} is seen deleted`);
  assert.equal(merged.size, truth.size, 'the two reads together hold every entry');
});
