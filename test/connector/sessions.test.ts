import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runConnector, recordsOf, lastStates } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';

let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 100_000, categories: 50, seed: 13 });
});
after(() => fx.close());

test('a token whose sessions last 5 seconds completes a 100,000-entry incremental read, renewing mid-run', async () => {
  // A little latency keeps the read longer than several session lifetimes on any machine.
  fx.emulator.control.setFaults({ latencyMs: 40, onlyServices: ['media.list'] });
  fx.emulator.control.resetRequestCounts();
  try {
    const started = Date.now();
    const run = await runConnector(['read', '--config', fx.config('short', { max_concurrency: 4 }), '--catalog', fx.catalog([['media', 'incremental']])], { timeoutMs: 600_000 });
    const seconds = (Date.now() - started) / 1000;
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    const ids = new Set(recordsOf(run.messages, 'media').map((r) => r.id));
    const truth = fx.emulator.control.truth('media');
    assert.equal(ids.size, truth.length);
    assert.deepEqual(truth.filter((t) => !ids.has(t.id)).map((t) => t.id), [], 'no entry is missing');
    const logins = fx.emulator.control.requestCounts()['apptoken.startsession'] ?? 0;
    assert.ok(logins >= Math.floor(seconds / 5), `a read of ${seconds.toFixed(0)} s logged in ${logins} times`);
    assert.equal(lastStates(run.messages).length, 1, 'the stream checkpointed');
  } finally {
    fx.emulator.control.clearFaults();
  }
});
