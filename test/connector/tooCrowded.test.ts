import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runConnector, ofType, recordsOf, lastStates } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';

// More than 10,000 rows sharing both updatedAt and createdAt cannot be listed completely by
// Kaltura (README "How it reads past the 10,000-row cap"): the stream stops with an error that says
// so, and its state stays before that second, so nothing is skipped for good.
let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 2_000, categories: 20, seed: 17 });
});
after(() => fx.close());

const iso = (unix: number) => new Date(unix * 1000).toISOString().replace('.000Z', 'Z');

test('11,000 entries created in one second stop the stream with a TRACE error naming the cause; the state stays before that second', async () => {
  const control = fx.emulator.control;
  const catalog = fx.catalog([['media', 'incremental'], ['categories', 'incremental']]);
  const config = fx.config('admin', { lookback_window_seconds: 0 });
  const first = await runConnector(['read', '--config', config, '--catalog', catalog]);
  assert.equal(first.code, 0, first.stderr);
  const states = lastStates(first.messages);

  control.advanceClock(60);
  // The first page of the second (500 rows) is read before the second is counted, and excluded
  // from the count by idNotIn: 11,000 leave 10,500 to count, over the cap.
  const added = control.addEntries(11_000);
  const truth = control.truth('media');
  const crowded = new Set(truth.filter((t) => added.includes(t.id as string)).map((t) => `${t.updatedAt}/${t.createdAt}`));
  assert.equal(crowded.size, 1, 'the new entries share one updatedAt and one createdAt');
  const second = Number([...crowded][0]!.split('/')[0]);
  // A few ordinary changes before that second, which the read must still deliver and checkpoint.
  control.advanceClock(-30);
  const before = control.updateEntries(recordsOf(first.messages, 'media').slice(0, 5).map((r) => r.id as string));
  control.advanceClock(32);

  const run = await runConnector(['read', '--config', config, '--catalog', catalog, '--state', fx.write('crowded.json', states)]);
  assert.equal(run.code, 1, run.stderr);
  const errors = ofType(run.messages, 'TRACE').filter((m) => m.trace.type === 'ERROR');
  assert.equal(errors.length, 1, 'one TRACE error');
  const error = errors[0]!.trace.error;
  assert.equal(error.stream_descriptor?.name, 'media');
  assert.equal(error.failure_type, 'system_error');
  const shared = /media: (\d+) rows share both updatedAt (\d+) and createdAt (\d+);/.exec(error.message);
  assert.ok(shared, error.message);
  assert.ok(Number(shared[1]) > 10_000, `the count is over the cap (${shared[1]})`);
  assert.equal(Number(shared[2]), second, 'names the second');
  assert.match(error.message, /cannot list more than 10,?000 such rows/);
  assert.match(error.message, /stopped rather than return an incomplete result/);

  // Nothing silently lost: no media state reaches the crowded second, so the next read starts at or before it.
  const mediaStates = ofType(run.messages, 'STATE').filter((m) => m.state.stream.stream_descriptor.name === 'media');
  for (const m of mediaStates) assert.ok(m.state.stream.stream_state.updatedAt <= iso(second), `state ${m.state.stream.stream_state.updatedAt} passes the crowded second ${iso(second)}`);
  const resume = lastStates(run.messages).find((s) => s.stream.stream_descriptor.name === 'media')?.stream.stream_state.updatedAt ?? states.find((s) => s.stream.stream_descriptor.name === 'media')!.stream.stream_state.updatedAt;
  assert.ok(resume <= iso(second), `the next read resumes at ${resume}, not past ${iso(second)}`);
  // The changes before the crowded second were delivered, and the other stream completed.
  const media = new Set(recordsOf(run.messages, 'media').map((r) => r.id));
  for (const id of before) assert.ok(media.has(id), `${id}, changed before the crowded second, was delivered`);
  const statuses = ofType(run.messages, 'TRACE').filter((m) => m.trace.type === 'STREAM_STATUS').map((m) => `${m.trace.stream_status.stream_descriptor.name} ${m.trace.stream_status.status}`);
  assert.ok(statuses.includes('media INCOMPLETE'), statuses.join(', '));
  assert.ok(statuses.includes('categories COMPLETE'), statuses.join(', '));
});
