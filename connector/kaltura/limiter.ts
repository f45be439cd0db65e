import pLimit, { type LimitFunction } from 'p-limit';

/**
 * All requests of a run go through one limiter so that `max_concurrency` is a true bound
 * across streams. When Kaltura throttles, the limit halves, once per burst (the requests already
 * in flight when it halved do not halve it again); it climbs back one step per run of successes,
 * so a throttled partner is not hammered and a brief burst costs little.
 */
export class AdaptiveLimiter {
  private readonly limit: LimitFunction;
  private successesSinceChange = 0;
  /**
   * Counts the halvings. A request throttled under the limit in force when it started halves the
   * limit; the other requests of the same burst, started before that halving, do not halve it again.
   */
  private generation = 0;

  constructor(private readonly max: number, private readonly recoverAfter = 20) {
    this.limit = pLimit(max);
  }

  get concurrency(): number {
    return this.limit.concurrency;
  }

  /** Runs `task` within the limit; `started` learns the generation the task started in. */
  run<T>(task: () => Promise<T>, started?: (generation: number) => void): Promise<T> {
    return this.limit(() => {
      started?.(this.generation);
      return task();
    });
  }

  /** Kaltura throttled a request that started in `generation` (default: the current one). */
  throttled(generation = this.generation): void {
    if (generation !== this.generation) return;
    this.generation += 1;
    this.limit.concurrency = Math.max(1, Math.floor(this.limit.concurrency / 2));
    this.successesSinceChange = 0;
  }

  succeeded(): void {
    if (this.limit.concurrency >= this.max) return;
    // One step up per round of successes at the current limit (additive increase, as TCP does).
    if (++this.successesSinceChange >= Math.min(this.recoverAfter, this.limit.concurrency)) {
      this.limit.concurrency += 1;
      this.successesSinceChange = 0;
    }
  }
}
