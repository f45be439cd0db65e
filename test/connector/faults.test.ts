import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runConnector, ofType, recordsOf } from '../helpers/cli.js';
import { assertValidMessages } from '../helpers/airbyteSchema.js';
import { startFixture, type Fixture } from '../helpers/setup.js';

let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 50_000, categories: 200, seed: 21 });
});
after(() => fx.close());

test('a 50,000-entry read through 5xx, resets, cut bodies, throttling and 5-second sessions is complete', async () => {
  fx.emulator.control.setFaults({
    httpErrorRate: 0.1,
    httpErrorStatuses: [500, 502, 503, 429],
    resetRate: 0.03,
    truncateRate: 0.03,
    actionBlockedRate: 0.03,
    internalErrorRate: 0.02,
    latencyMs: 5,
    seed: 1,
  });
  fx.emulator.control.resetRequestCounts();
  try {
    const run = await runConnector(['read', '--config', fx.config('short'), '--catalog', fx.catalog([['media', 'incremental'], ['categories', 'full_refresh']])], { timeoutMs: 600_000 });
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    assertValidMessages(run.messages);
    const ids = new Set(recordsOf(run.messages, 'media').map((r) => r.id));
    const missing = fx.emulator.control.truth('media').filter((t) => !ids.has(t.id));
    assert.deepEqual(missing.map((t) => t.id), [], 'no entry is missing');
    const cats = new Set(recordsOf(run.messages, 'categories').map((r) => r.id));
    assert.equal(cats.size, fx.emulator.control.truth('categories').length);
    const logins = fx.emulator.control.requestCounts()['apptoken.startsession'] ?? 0;
    assert.ok(logins >= 2, `the 5-second sessions were renewed (${logins} logins)`);
    const warnings = ofType(run.messages, 'LOG').filter((m) => m.log.level === 'WARN' && /retries left/.test(m.log.message));
    assert.ok(warnings.length > 0, 'the retries are visible in the log');
  } finally {
    fx.emulator.control.clearFaults();
  }
});

test('a failure that persists becomes a transient_error TRACE for the stream, and the exit code is non-zero', async () => {
  fx.emulator.control.setFaults({ httpErrorRate: 1, httpErrorStatuses: [503], onlyServices: ['category.list'], seed: 2 });
  try {
    const run = await runConnector(['read', '--config', fx.config('admin', { max_concurrency: 2 }), '--catalog', fx.catalog([['categories', 'full_refresh']])], { timeoutMs: 600_000, env: { ...process.env, SOURCE_KALTURA_MAX_RETRY_SECONDS: '3' } });
    assert.notEqual(run.code, 0);
    const [error] = ofType(run.messages, 'TRACE').filter((m) => m.trace.type === 'ERROR');
    assert.equal(error?.trace.error.failure_type, 'transient_error');
    assert.equal(error?.trace.error.stream_descriptor.name, 'categories');
    assert.match(error!.trace.error.message, /HTTP 503/);
  } finally {
    fx.emulator.control.clearFaults();
  }
});
