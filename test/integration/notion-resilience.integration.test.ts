// Notion failure paths end in the right state: a storm of 429 rate_limited and 529 service_overload
// answers (each with Retry-After) on every endpoint ends where an undisturbed sync ends, with every
// wait waited out; the simulator's own per-token limit (3 requests/s) is honoured the same way.
import { afterAll, describe, expect, it } from 'vitest';
import { count, fingerprint, startStack, type Stack } from '../support/stack';

const stacks: Stack[] = [];
afterAll(async () => {
  for (const s of stacks) await s.close();
});

async function stack(...args: Parameters<typeof startStack>): Promise<Stack> {
  const s = await startStack(...args);
  stacks.push(s);
  return s;
}

const livePages = (s: Stack) => [...s.notion!.sim.control.truth().pages.values()].filter((p) => !p.inTrash && s.notion!.dataSourceIds.includes(p.dataSourceId)).length;

describe('Notion resilience', () => {
  let calm: Record<string, string>;

  it('a storm of 429 and 529 answers ends in the same final state as an undisturbed sync', async () => {
    const quiet = await stack({ tasks: 150, projects: 2, seed: 41, connectionId: 'nstorm', notion: {} });
    expect((await quiet.syncNotion('full')).status).toBe('succeeded');
    expect(quiet.notion!.sim.control.calls().rateLimited).toBe(0);
    calm = await fingerprint(quiet);
    expect(await count(quiet, 'SELECT count(*) FROM core.assets WHERE deleted_at IS NULL')).toBe(livePages(quiet));

    // The same workspace; Notion answers about a tenth of the comment reads with 529 service_overload and
    // three in ten of every other request (the plan, the queries, the users) with 429 rate_limited, each with
    // Retry-After, until the sync is over. One request at a time, so that every wait is observable: a
    // request already on its way when a 429 comes back would arrive early through no fault of the client.
    const stormy = await stack({ tasks: 150, projects: 2, seed: 41, connectionId: 'nstorm', notion: { maxConcurrency: 1 } });
    const c = stormy.notion!.sim.control;
    c.injectFaults({ code: 'service_overload', rate: 0.1, retryAfterSeconds: 1, endpoint: 'GET /v1/comments' });
    c.injectFaults({ code: 'rate_limited', rate: 0.3, retryAfterSeconds: 1 });
    const r = await stormy.syncNotion('full');
    c.clearFaults();
    expect(r.status).toBe('succeeded');
    const calls = c.calls();
    expect(calls.byCode.rate_limited).toBeGreaterThan(0);
    expect(calls.byCode.service_overload).toBeGreaterThan(5);
    // Every wait was waited out: no request of the token came back before Notion said it could.
    expect(calls.earlyRetries).toBe(0);
    expect(await fingerprint(stormy)).toEqual(calm);
    // Pages committed before a failure are not read again: each page was normalized once.
    expect(r.counts.tasks).toBe(livePages(stormy));
  }, 300_000);

  it("the simulator's own limit of 3 requests/s per token is waited out, and the sync lands every page", async () => {
    // The connection asks for 10 requests/s, one at a time; the token bucket refuses the excess with Retry-After.
    const paced = await stack({ tasks: 40, projects: 1, seed: 42, connectionId: 'npaced', notion: { rateLimit: { perSecond: 3, burst: 3 }, clientRatePerMinute: 600, maxConcurrency: 1 } });
    const r = await paced.syncNotion('full');
    expect(r.status).toBe('succeeded');
    const calls = paced.notion!.sim.control.calls();
    expect(calls.rateLimited).toBeGreaterThan(0);
    expect(calls.earlyRetries).toBe(0);
    expect(await count(paced, 'SELECT count(*) FROM core.assets WHERE deleted_at IS NULL')).toBe(livePages(paced));
    expect(r.counts.tasks).toBe(livePages(paced));
  }, 300_000);
});
