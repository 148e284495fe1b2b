// Client-side pacing per (vendor, credential): requests start at most `perMinute` per rolling minute
// (evenly spaced, so a vendor's sliding window is never exceeded) with at most `concurrency` in flight.
// A vendor "wait N seconds" pauses every caller sharing the credential (engineering-facts §1.4).

export class RateLimiter {
  private nextStart = 0;
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private pausedUntil = 0;

  constructor(
    private perMinute: number,
    private concurrency: number,
    private now: () => number = Date.now,
    private sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  setRate(perMinute: number, concurrency = this.concurrency): void {
    this.perMinute = perMinute;
    this.concurrency = concurrency;
  }

  /** Every request of this credential waits until `untilMs` (epoch ms). */
  pauseUntil(untilMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, untilMs);
  }

  /**
   * Runs `fn` in its turn. With `skipPacing` returning true when its turn comes (the caller has given
   * up: another request of the same page failed), `fn` runs at once without taking a pacing slot, so a
   * queue of abandoned requests does not hold the credential idle for a slot each.
   */
  async schedule<T>(fn: () => Promise<T>, opts: { skipPacing?: () => boolean } = {}): Promise<T> {
    if (this.inFlight >= this.concurrency) await new Promise<void>((r) => this.waiters.push(r));
    this.inFlight++;
    try {
      if (opts.skipPacing?.()) return await fn();
      const interval = 60_000 / this.perMinute;
      const now = this.now();
      const start = Math.max(now, this.nextStart, this.pausedUntil);
      this.nextStart = start + interval;
      if (start > now) await this.sleep(start - now);
      // A vendor wait that arrived while this request slept still applies to it.
      for (let t = this.now(); this.pausedUntil > t; t = this.now()) await this.sleep(this.pausedUntil - t);
      return await fn();
    } finally {
      this.inFlight--;
      this.waiters.shift()?.();
    }
  }
}

/** One limiter per credential, shared by every activity of the worker that uses it (reads and writes). */
export class LimiterRegistry {
  private limiters = new Map<string, RateLimiter>();
  get(key: string, perMinute: number, concurrency: number): RateLimiter {
    let l = this.limiters.get(key);
    if (!l) {
      l = new RateLimiter(perMinute, concurrency);
      this.limiters.set(key, l);
    } else l.setRate(perMinute, concurrency);
    return l;
  }
}
