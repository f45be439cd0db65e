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

test('a 50,000-entry read through 5xx, 429s, resets, hung requests, cut bodies, throttling bursts, Kaltura errors and 5-second sessions is exactly complete', async () => {
  const control = fx.emulator.control;
  control.setFaults({
    httpErrorRate: 0.1, // 10% HTTP 5xx...
    httpErrorStatuses: [500, 502, 503, 504],
    rateLimitRate: 0.02, // ...and 429 (Retry-After: 1) on top of them
    resetRate: 0.01,
    hangRate: 0.003, // no answer at all: the 2-second request timeout ends them
    truncateRate: 0.01,
    internalErrorRate: 0.005,
    databaseErrorRate: 0.005,
    latencyMs: 5,
    seed: 1,
  });
  control.resetRequestCounts();
  // ACTION_BLOCKED in bursts while the read is in full swing: at 5,000, 20,000 and 35,000 entries
  // the next 3 list calls are throttled.
  let media = 0;
  let bursts = 0;
  try {
    const started = Date.now();
    const run = await runConnector(['read', '--config', fx.config('short', { request_timeout_seconds: 2 }), '--catalog', fx.catalog([['media', 'incremental'], ['categories', 'full_refresh']])], {
      timeoutMs: 600_000,
      onMessage: (m) => {
        if (m.type === 'RECORD' && m.record.stream === 'media' && ++media % 15_000 === 5_000) {
          bursts++;
          control.setFaults({ actionBlockedBurst: 3 });
        }
      },
    });
    const seconds = (Date.now() - started) / 1000;
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    assertValidMessages(run.messages);

    // The set of ids is exactly the ground truth: nothing missing, nothing foreign.
    const ids = [...new Set(recordsOf(run.messages, 'media').map((r) => String(r.id)))].sort();
    const truth = control.truth('media').map((t) => String(t.id)).sort();
    assert.equal(ids.length, truth.length, 'as many distinct entries as Kaltura holds');
    assert.deepEqual(ids, truth, 'the very same entries');
    const cats = [...new Set(recordsOf(run.messages, 'categories').map((r) => String(r.id)))].sort();
    assert.deepEqual(cats, control.truth('categories').map((t) => String(t.id)).sort());

    const logins = control.requestCounts()['apptoken.startsession'] ?? 0;
    assert.ok(logins >= 2, `the 5-second sessions were renewed (${logins} logins in ${seconds.toFixed(0)} s)`);
    assert.equal(bursts, 3, 'throttled in three bursts');
    const warnings = ofType(run.messages, 'LOG').filter((m) => m.log.level === 'WARN' && /retries left/.test(m.log.message)).map((m) => m.log.message as string);
    // The faults that are sure to happen were met and retried (the rarer ones have tests of their own).
    assert.ok(warnings.some((w) => /HTTP 50[0-4]/.test(w)), 'a 5xx was retried');
    assert.ok(warnings.some((w) => /ACTION_BLOCKED/.test(w)), 'a throttled call was retried');
  } finally {
    control.clearFaults();
  }
});

test('a failure that persists becomes a transient_error TRACE for the stream, and the exit code is non-zero', async () => {
  fx.emulator.control.setFaults({ httpErrorRate: 1, httpErrorStatuses: [503], onlyServices: ['category.list'], seed: 2 });
  try {
    const run = await runConnector(['read', '--config', fx.config('admin', { max_concurrency: 2 }), '--catalog', fx.catalog([['categories', 'full_refresh']])], { timeoutMs: 600_000, env: { ...process.env, SOURCE_KALTURA_MAX_RETRY_SECONDS: '1' } });
    assert.notEqual(run.code, 0);
    const [error] = ofType(run.messages, 'TRACE').filter((m) => m.trace.type === 'ERROR');
    assert.equal(error?.trace.error.failure_type, 'transient_error');
    assert.equal(error?.trace.error.stream_descriptor.name, 'categories');
    assert.match(error!.trace.error.message, /HTTP 503/);
    assert.match(error!.trace.error.message, /after every retry/);
    assert.ok(error!.trace.error.message.includes(fx.emulator.url), 'names the configured URL');
  } finally {
    fx.emulator.control.clearFaults();
  }
});

test('requests that are never answered end at request_timeout_seconds; if none is answered the stream fails saying so', async () => {
  fx.emulator.control.setFaults({ hangRate: 1, onlyServices: ['category.list'] });
  try {
    const started = Date.now();
    const run = await runConnector(['read', '--config', fx.config('admin', { request_timeout_seconds: 1 }), '--catalog', fx.catalog([['categories', 'full_refresh']])], { timeoutMs: 120_000, env: { ...process.env, SOURCE_KALTURA_MAX_RETRY_SECONDS: '1' } });
    assert.ok(Date.now() - started >= 1_000, 'waited for the timeout');
    assert.notEqual(run.code, 0);
    const [error] = ofType(run.messages, 'TRACE').filter((m) => m.trace.type === 'ERROR');
    assert.equal(error?.trace.error.failure_type, 'transient_error');
    assert.match(error!.trace.error.message, /no answer within 1 s/);
    assert.match(error!.trace.error.message, /request_timeout_seconds/);
    assert.ok(error!.trace.error.message.includes(fx.emulator.url), 'names the configured URL');
  } finally {
    fx.emulator.control.clearFaults();
  }
});

test('INTERNAL_DATABASE_ERROR that persists is a transient_error with its code', async () => {
  fx.emulator.control.setFaults({ databaseErrorRate: 1, onlyServices: ['category.list'] });
  try {
    const run = await runConnector(['read', '--config', fx.config('admin'), '--catalog', fx.catalog([['categories', 'full_refresh']])], { timeoutMs: 120_000, env: { ...process.env, SOURCE_KALTURA_MAX_RETRY_SECONDS: '1' } });
    assert.notEqual(run.code, 0);
    const [error] = ofType(run.messages, 'TRACE').filter((m) => m.trace.type === 'ERROR');
    assert.equal(error?.trace.error.failure_type, 'transient_error');
    assert.match(error!.trace.error.message, /\(INTERNAL_DATABASE_ERROR\) after every retry/);
  } finally {
    fx.emulator.control.clearFaults();
  }
});
