import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runConnector, ofType, recordsOf, lastStates } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { RecordingProxy } from '../helpers/recordingProxy.js';

// A record that does not match its stream's schema is not written: it is named in a warning, the
// stream's state stops before it, the stream ends with a TRACE error and the exit code is 1, while
// the stream's other records and the other streams are delivered (README "Streams").
let fx: Fixture;
let proxy: RecordingProxy;
before(async () => {
  fx = await startFixture({ entries: 3_000, categories: 30, seed: 5 });
  proxy = await new RecordingProxy(fx.emulator.url).start();
});
after(async () => {
  await proxy.close();
  await fx.close();
});

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

test('a record of the wrong type is named, not written, holds the state back, fails its stream with a TRACE error and exit 1', async () => {
  const truth = [...fx.emulator.control.truth('media')].sort((a, b) => a.updatedAt - b.updatedAt);
  // A row in the middle of the range, so pages before it are read and checkpointed.
  const bad = truth[Math.floor(truth.length / 2)]!;
  proxy.corruptRow = { id: bad.id, field: 'status', value: 'READY' };
  const catalog = fx.catalog([['media', 'incremental'], ['categories', 'incremental']]);
  let run;
  try {
    run = await runConnector(['read', '--config', fx.config('admin', { service_url: proxy.url, page_size: 100, max_concurrency: 2 }), '--catalog', catalog]);
  } finally {
    proxy.corruptRow = undefined;
  }
  assert.ok(proxy.corrupted > 0, 'the proxy rewrote the row in a list answer');
  assert.equal(run.code, 1, run.stderr);

  const warnings = ofType(run.messages, 'LOG').filter((m) => m.log.level === 'WARN' && String(m.log.message).includes(String(bad.id)));
  assert.equal(warnings.length, 1, 'one warning names the record');
  assert.match(warnings[0]!.log.message, /^media: record .* does not match schemas\/media\.json and was not written: .*status/);

  const errors = ofType(run.messages, 'TRACE').filter((m) => m.trace.type === 'ERROR');
  assert.equal(errors.length, 1, 'one TRACE error');
  assert.equal(errors[0]!.trace.error.stream_descriptor?.name, 'media');
  assert.equal(errors[0]!.trace.error.failure_type, 'system_error');
  assert.match(errors[0]!.trace.error.message, /1 record\(s\) did not match the stream's schema/);
  const statuses = ofType(run.messages, 'TRACE').filter((m) => m.trace.type === 'STREAM_STATUS').map((m) => `${m.trace.stream_status.stream_descriptor.name} ${m.trace.stream_status.status}`);
  assert.ok(statuses.includes('media INCOMPLETE'), statuses.join(', '));
  assert.ok(statuses.includes('categories COMPLETE'), statuses.join(', '));

  // Every other media record is delivered, the bad one is not.
  const media = recordsOf(run.messages, 'media').map((r) => r.id as string);
  assert.ok(!media.includes(bad.id as string), 'the invalid record is not written');
  assert.deepEqual([...new Set(media)].sort(), truth.filter((t) => t.id !== bad.id).map((t) => t.id as string).sort());

  // No media state passes the bad row: each claims only rows updated before it.
  const mediaStates = ofType(run.messages, 'STATE').filter((m) => m.state.stream.stream_descriptor.name === 'media');
  assert.ok(mediaStates.length > 0, 'pages before the bad row were checkpointed');
  for (const m of mediaStates) assert.ok(m.state.stream.stream_state.updatedAt <= iso(bad.updatedAt), `state ${m.state.stream.stream_state.updatedAt} passes the bad row at ${iso(bad.updatedAt)}`);
  // The other stream is unaffected: complete, and checkpointed to the end.
  assert.equal(recordsOf(run.messages, 'categories').length, fx.emulator.control.truth('categories').length);

  // Once Kaltura sends the row right again, the next read from these states delivers it.
  const next = await runConnector(['read', '--config', fx.config('admin', { lookback_window_seconds: 0 }), '--catalog', catalog, '--state', fx.write('after-invalid.json', lastStates(run.messages))]);
  assert.equal(next.code, 0, next.stderr);
  assert.ok(recordsOf(next.messages, 'media').some((r) => r.id === bad.id), 'the next read delivers the row');
});
