import { describe, expect, it } from 'vitest';
import { RateLimiter } from './limiter';

/** Virtual time: sleeps resolve in time order as the test drives the clock forward. */
function fakeClock() {
  let t = 0;
  const timers: { at: number; resolve: () => void }[] = [];
  return {
    now: () => t,
    sleep: (ms: number) => new Promise<void>((resolve) => timers.push({ at: t + ms, resolve })),
    async run<T>(p: Promise<T>): Promise<T> {
      let done = false;
      void p.finally(() => { done = true; });
      while (!done) {
        await new Promise((r) => setImmediate(r));
        timers.sort((a, b) => a.at - b.at);
        const next = timers.shift();
        if (next) {
          t = Math.max(t, next.at);
          next.resolve();
        }
      }
      return p;
    },
  };
}

describe('RateLimiter', () => {
  it('spaces request starts so that no rolling minute holds more than the limit', async () => {
    const c = fakeClock();
    const l = new RateLimiter(60, 100, c.now, c.sleep);
    const starts: number[] = [];
    await c.run(Promise.all(Array.from({ length: 150 }, () => l.schedule(async () => { starts.push(c.now()); }))));
    starts.sort((a, b) => a - b);
    for (let i = 0; i < starts.length; i++) {
      const inWindow = starts.filter((s) => s >= starts[i]! && s < starts[i]! + 60_000).length;
      expect(inWindow).toBeLessThanOrEqual(60);
    }
    // …and no slower than needed: 150 requests at 60/min take ~149 s.
    expect(starts[149]).toBe(149_000);
  });

  it('holds every caller until a vendor-given wait has passed', async () => {
    const c = fakeClock();
    const l = new RateLimiter(6000, 4, c.now, c.sleep);
    l.pauseUntil(30_000);
    let at = -1;
    await c.run(l.schedule(async () => { at = c.now(); }));
    expect(at).toBe(30_000);
  });

  it('lets abandoned requests through without a pacing slot, so they do not hold the credential idle', async () => {
    const c = fakeClock();
    const limiter = new RateLimiter(60, 2, c.now, c.sleep); // one start per second
    let aborted = false;
    const starts: number[] = [];
    const run = (i: number) => limiter.schedule(async () => {
      if (aborted) return 'skipped';
      starts.push(c.now());
      if (i === 2) aborted = true; // the third request fails: the page gives up
      return 'sent';
    }, { skipPacing: () => aborted });
    const results = await c.run(Promise.all(Array.from({ length: 50 }, (_, i) => run(i))));
    expect(results.filter((r) => r === 'sent')).toHaveLength(3);
    expect(starts).toEqual([0, 1000, 2000]);
    // The 47 abandoned requests took no slots; only the one already asleep in its slot when the page gave
    // up kept it (at most concurrency − 1 of them). Without skipPacing the next request would start at 50 s.
    const next = await c.run(limiter.schedule(async () => c.now()));
    expect(next).toBe(4000);
  });

  it('never runs more than its concurrency at once', async () => {
    const l = new RateLimiter(1_000_000, 3);
    let running = 0;
    let peak = 0;
    await Promise.all(Array.from({ length: 20 }, () => l.schedule(async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    })));
    expect(peak).toBe(3);
  });
});
