import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runConnector, ofType, recordsOf, assertSameRecords } from '../helpers/cli.js';
import { assertValidMessages, assertValidConfiguredCatalog } from '../helpers/airbyteSchema.js';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { readFileSync } from 'node:fs';
import { createAjv } from '../../connector/util/ajv.js';

let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 50_000, categories: 300, seed: 7 });
});
after(() => fx.close());

function sorted<T>(values: T[]): T[] {
  return [...values].sort((a, b) => String(a).localeCompare(String(b)));
}

test('a full read of a 50,000-entry account yields every entry of every status exactly once, past the 10,000 cap', async () => {
  const catalog = fx.catalog([['media', 'full_refresh'], ['categories', 'full_refresh']]);
  assertValidConfiguredCatalog(JSON.parse(readFileSync(catalog, 'utf8')));
  const run = await runConnector(['read', '--config', fx.config(), '--catalog', catalog]);
  assert.equal(run.code, 0, run.stderr);
  // runConnector validated every line against the Airbyte protocol schema already; say so.
  assert.equal(run.validated, run.messages.length);
  assertValidMessages(run.messages);

  const media = recordsOf(run.messages, 'media');
  const truth = fx.emulator.control.truth('media');
  assert.ok(truth.length > 10_000, 'the account is past the cap');
  const ids = media.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length, 'no entry twice');
  assert.deepEqual(sorted(ids), sorted(truth.map((t) => t.id)));

  const statuses = new Set(media.map((r) => r.status));
  for (const status of [-2, -1, 0, 1, 2, 3, 4, 5, 6, 7]) assert.ok(statuses.has(status), `status ${status} is read`);
  assert.ok(media.some((r) => r.moderationStatus === 1), 'pending moderation is read');
  assert.ok(media.some((r) => r.displayInSearch === -1 || r.displayInSearch === -2), 'recycled or system entries are read');

  const categories = recordsOf(run.messages, 'categories');
  assert.deepEqual(sorted(categories.map((c) => c.id)), sorted(fx.emulator.control.truth('categories').map((t) => t.id)));
  assert.equal(ofType(run.messages, 'STATE').length, 0, 'full refresh keeps no state');
});

test('records are RFC 3339-timed, match the stream schemas, and no record arrives after a state that covers it', async () => {
  const run = await runConnector(['read', '--config', fx.config('admin', { max_concurrency: 4 }), '--catalog', fx.catalog([['media', 'incremental'], ['categories', 'incremental']])]);
  assert.equal(run.code, 0, run.stderr);
  const ajv = createAjv();
  for (const stream of ['media', 'categories']) {
    const validate = ajv.compile(JSON.parse(readFileSync(new URL(`../../../schemas/${stream}.json`, import.meta.url), 'utf8')));
    for (const r of recordsOf(run.messages, stream)) {
      assert.ok(validate(r), `${stream} ${r.id}: ${JSON.stringify(validate.errors)}`);
      assert.match(r.updatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    // Windows are read side by side, so records interleave; what must hold is that a state never
    // claims a record that has not been written yet (a sync killed right after it would lose it).
    let claimed = '';
    let states = 0;
    for (const m of run.messages) {
      if (m.type === 'STATE' && m.state.stream.stream_descriptor.name === stream) {
        claimed = m.state.stream.stream_state.updatedAt;
        states += 1;
      }
      if (m.type === 'RECORD' && m.record.stream === stream) assert.ok(m.record.data.updatedAt >= claimed, `${stream} ${m.record.data.id} (${m.record.data.updatedAt}) came after a state at ${claimed}`);
    }
    assert.ok(states > 1, `${stream} checkpoints as it goes`);
  }
});

test('two full reads in a row return the same records', async () => {
  const catalog = fx.catalog([['categories', 'full_refresh'], ['media', 'full_refresh']]);
  const first = await runConnector(['read', '--config', fx.config(), '--catalog', catalog]);
  assert.equal(first.code, 0, first.stderr);
  const second = await runConnector(['read', '--config', fx.config(), '--catalog', catalog]);
  assert.equal(second.code, 0, second.stderr);
  // Each stream has records, the same keys both times (no duplicates, none missing) and the same content.
  assertSameRecords(['media', 'categories'], second.messages, first.messages, 'the second full read has the first one\'s records');
  assert.equal(recordsOf(first.messages, 'media').length, fx.emulator.control.truth('media').length);
  for (const stream of ['media', 'categories']) {
    const key = (r: Record<string, unknown>) => JSON.stringify(r);
    assert.deepEqual(sorted(recordsOf(second.messages, stream).map(key)), sorted(recordsOf(first.messages, stream).map(key)));
  }
});

test('progress is logged and each stream reports STARTED then COMPLETE', async () => {
  const run = await runConnector(['read', '--config', fx.config(), '--catalog', fx.catalog([['media', 'full_refresh']])]);
  assert.equal(run.code, 0, run.stderr);
  const statuses = ofType(run.messages, 'TRACE').filter((m) => m.trace.type === 'STREAM_STATUS').map((m) => m.trace.stream_status.status);
  assert.deepEqual(statuses, ['STARTED', 'COMPLETE']);
  const logs = ofType(run.messages, 'LOG').map((m) => m.log.message as string);
  assert.ok(logs.some((l) => /media: [\d,]+ records/.test(l)), 'a progress line');
  assert.ok(logs.some((l) => /Logged in to Kaltura partner/.test(l)));
});

test('check succeeds with a good token and lists one row of each stream', async () => {
  const before = fx.emulator.control.requestCounts();
  const run = await runConnector(['check', '--config', fx.config()]);
  assert.equal(run.code, 0);
  assertValidMessages(run.messages);
  const [status] = ofType(run.messages, 'CONNECTION_STATUS');
  assert.equal(status?.connectionStatus.status, 'SUCCEEDED', status?.connectionStatus.message);
  assert.match(status!.connectionStatus.message, /media/);
  assert.match(status!.connectionStatus.message, /categories/);
  const after = fx.emulator.control.requestCounts();
  assert.ok((after['apptoken.startsession'] ?? 0) > (before['apptoken.startsession'] ?? 0), 'logged in with the app token');
});

test('an unknown stream in the catalog is refused before any request', async () => {
  fx.emulator.control.resetRequestCounts();
  const catalog = fx.write('unknown-stream.json', { streams: [{ stream: { name: 'playlists' }, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' }] });
  const run = await runConnector(['read', '--config', fx.config(), '--catalog', catalog]);
  assert.notEqual(run.code, 0);
  const [trace] = ofType(run.messages, 'TRACE');
  assert.equal(trace?.trace.error.failure_type, 'config_error');
  assert.match(trace!.trace.error.message, /"playlists"/);
  assert.match(trace!.trace.error.message, /media, categories/);
  assert.equal(Object.values(fx.emulator.control.requestCounts()).reduce((a, b) => a + b, 0), 0, 'no request reached Kaltura');
});
