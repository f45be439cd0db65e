import pLimit, { type LimitFunction } from 'p-limit';

/**
 * All requests of a run go through one limiter so that `max_concurrency` is a true bound
 * across streams. When Kaltura throttles, the limit halves; it climbs back one step per
 * run of successes, so a throttled partner is not hammered and a brief burst costs little.
 */
export class AdaptiveLimiter {
  private readonly limit: LimitFunction;
  private successesSinceChange = 0;

  constructor(private readonly max: number, private readonly recoverAfter = 20) {
    this.limit = pLimit(max);
  }

  get concurrency(): number {
    return this.limit.concurrency;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    return this.limit(task);
  }

  throttled(): void {
    this.limit.concurrency = Math.max(1, Math.floor(this.limit.concurrency / 2));
    this.successesSinceChange = 0;
  }

  succeeded(): void {
    if (this.limit.concurrency >= this.max) return;
    if (++this.successesSinceChange >= this.recoverAfter) {
      this.limit.concurrency += 1;
      this.successesSinceChange = 0;
    }
  }
}
