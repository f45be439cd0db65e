import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runConnector, recordsOf, lastStates } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';

let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 50_000, categories: 50, seed: 13 });
});
after(() => fx.close());

test('a token whose sessions last 5 seconds completes a 50,000-entry incremental read, renewing mid-run, one login per renewal', async (t) => {
  // Latency keeps the read longer than several session lifetimes on any machine.
  fx.emulator.control.setFaults({ latencyMs: 600, onlyServices: ['media.list'] });
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
    const lifetime = 5;
    // Renewed mid-run, and more than once: the read lasts several session lifetimes.
    assert.ok(seconds >= 3 * lifetime, `the read outlasts three sessions (${seconds.toFixed(1)} s)`);
    assert.ok(logins >= 2, `renewed mid-run (${logins} logins)`);
    assert.ok(logins >= Math.floor(seconds / lifetime), `a read of ${seconds.toFixed(0)} s logged in ${logins} times: every session was replaced`);
    // ...but not per request: the four readers in flight share each login, and a session is
    // renewed about a second before it ends, so there are at most ~1.4 logins per lifetime.
    const bound = (seconds / lifetime) * 1.5 + 2;
    assert.ok(logins <= bound, `${logins} logins in ${seconds.toFixed(1)} s: more than ${bound.toFixed(1)}, so concurrent requests did not share a login`);
    const listRequests = fx.emulator.control.requestCounts()['media.list'] ?? 0;
    t.diagnostic(`${seconds.toFixed(1)} s, ${logins} logins, ${listRequests} list requests`);
    assert.ok(listRequests > 4 * logins, `${listRequests} list requests for ${logins} logins`);
    assert.equal(lastStates(run.messages).length, 1, 'the stream checkpointed');
  } finally {
    fx.emulator.control.clearFaults();
  }
});
