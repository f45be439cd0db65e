/** The shared request limit: halved once per throttling burst, raised one step per round of successes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdaptiveLimiter } from '../../connector/kaltura/limiter.js';

test('requests throttled in the same burst halve the limit once', async () => {
  const limiter = new AdaptiveLimiter(8);
  const generations: number[] = [];
  // Eight requests start under the same limit...
  await Promise.all(Array.from({ length: 8 }, () => limiter.run(async () => undefined, (g) => generations.push(g))));
  assert.deepEqual(new Set(generations), new Set([0]));
  // ...and all are throttled: one halving, not three.
  for (const g of generations) limiter.throttled(g);
  assert.equal(limiter.concurrency, 4);
  // A request started after the halving and throttled again halves it again.
  let next = -1;
  await limiter.run(async () => undefined, (g) => (next = g));
  limiter.throttled(next);
  assert.equal(limiter.concurrency, 2);
  limiter.throttled();
  limiter.throttled();
  assert.equal(limiter.concurrency, 1, 'never below one');
});

test('the limit climbs back one step per round of successes at the current limit, up to the maximum', () => {
  const limiter = new AdaptiveLimiter(8);
  for (let i = 0; i < 3; i++) limiter.throttled();
  assert.equal(limiter.concurrency, 1);
  const successesTo = (target: number): number => {
    let n = 0;
    while (limiter.concurrency < target) {
      limiter.succeeded();
      n++;
    }
    return n;
  };
  assert.equal(successesTo(2), 1);
  assert.equal(successesTo(3), 2);
  assert.equal(successesTo(8), 3 + 4 + 5 + 6 + 7);
  for (let i = 0; i < 100; i++) limiter.succeeded();
  assert.equal(limiter.concurrency, 8, 'not past the maximum');
});
