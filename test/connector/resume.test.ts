import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { measureKilledReads } from '../helpers/resume.js';

// The measure of issue 16 on a fresh account: 40,000 entries (a 12,000-media-row bulk second
// among them), an incremental read killed with SIGKILL after 9,000 printed lines three times,
// then run to the end. With a state that was only the lowest point every window had reached, the
// four runs delivered 1.68 records per entry; keeping every finished range, about 1.06.
let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 40_000, categories: 200, seed: 11 });
});
after(() => fx.close());

test('a read killed three times keeps what every window finished: at most 1.2 records per entry over all runs, none lost', async () => {
  const m = await measureKilledReads(fx, { killAfterLines: 9_000, kills: 3 });
  assert.equal(m.finalCode, 0);
  assert.deepEqual(m.missing, [], 'every media entry arrived');
  const ratio = m.delivered / m.distinct;
  assert.ok(ratio <= 1.2, `${m.delivered} records for ${m.distinct} entries (${ratio.toFixed(2)}); runs printed ${m.perRun.join(', ')}`);
});
