// monday.com failure paths end in the right state: a complexity-budget storm ends where an undisturbed
// run ends; the daily call cap stops a sync cleanly, says when it resumes, and the next run after the
// reset completes it with nothing duplicated; a revoked token stops the sync and keeps what was synced.
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionSummaries } from '../../activities/db/queries';
import { printSummary } from '../../cli/output';
import { SIM_DEFAULT_TOKEN } from '../../connectors/monday/simulator';
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

const live = (s: Stack) => [...s.monday!.truth.items.values()].filter((t) => t.state === 'active');

describe('monday.com resilience', () => {
  let calm: Record<string, string>;

  it('a complexity-budget storm ends in the same final state as an undisturbed run', async () => {
    const quiet = await stack({ tasks: 260, projects: 2, seed: 31, connectionId: 'mstorm', monday: {} });
    expect((await quiet.syncMonday('full')).status).toBe('succeeded');
    // Boards larger than a first page: the crawl follows a cursor.
    expect(quiet.monday!.sim.control.calls().byOperationName.StagelineNextItemsPage).toBeGreaterThan(0);
    expect(quiet.monday!.sim.control.calls().rateLimited).toBe(0);
    calm = await fingerprint(quiet);
    expect(await count(quiet, `SELECT count(*) FROM core.assets WHERE deleted_at IS NULL`)).toBe(live(quiet).length);

    // The same account; monday says the budget is spent, again and again, then that the minute's
    // requests are spent, on the boards, the items pages, the activity logs and the users. (The budget
    // faults come first: after an answer that says when the minute's window resets, an exhausted budget
    // waits for that reset, up to a minute, whatever shorter wait the injected fault names.)
    const stormy = await stack({ tasks: 260, projects: 2, seed: 31, connectionId: 'mstorm', monday: {} });
    const c = stormy.monday!.sim.control;
    c.injectFaults({ kind: 'complexity', times: 5, retryInSeconds: 1 });
    c.injectFaults({ kind: 'rate_limit', times: 2, retryInSeconds: 1, rootField: 'users' });
    c.injectFaults({ kind: 'rate_limit', times: 3, retryInSeconds: 1, rootField: 'boards' });
    const r = await stormy.syncMonday('full');
    expect(r.status).toBe('succeeded');
    const calls = c.calls();
    expect(calls.byCode.COMPLEXITY_BUDGET_EXHAUSTED).toBe(5);
    expect(calls.byCode.RATE_LIMIT_EXCEEDED).toBe(5);
    // Every wait was waited out: no request came back before monday said it could.
    expect(calls.earlyRetries).toBe(0);
    expect(await fingerprint(stormy)).toEqual(calm);
  }, 240_000);

  it('the daily call cap stops a sync cleanly, says when it resumes, and the next day completes it with nothing duplicated', async () => {
    let offset = 0;
    const clock = () => new Date(Date.now() + offset);
    const capped = await stack({ tasks: 260, projects: 2, seed: 31, connectionId: 'mstorm', clock, monday: { yaml: '    daily_call_cap: 9\n' } });
    const id = capped.monday!.connectionId;
    const first = await capped.syncMonday('full');
    expect(first.status).toBe('succeeded');
    expect(first.counts['daily_cap.reached']).toBe(1);
    const calls = Object.values(first.apiCalls).reduce((a, b) => a + b, 0);
    expect(calls).toBeLessThanOrEqual(9);
    const resumeAt = new Date(Date.UTC(clock().getUTCFullYear(), clock().getUTCMonth(), clock().getUTCDate() + 1)).toISOString();
    const note = `daily call cap reached; resumes at ${resumeAt} (`;
    const [summary] = await connectionSummaries(capped.db.pool, id);
    expect(summary!.state).toBe('ok');
    expect(summary!.stateMessage).toContain(note);
    expect(summary!.lastRun).toMatchObject({ status: 'succeeded' });
    expect(summary!.lastRun!.error).toContain(note);
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void lines.push(a.join(' '));
    try {
      printSummary(summary!);
    } finally {
      console.log = log;
    }
    expect(lines[0]).toBe(`${id} (monday): ok — ${summary!.stateMessage}`);
    // What was committed before the cap stays; the rest waits for tomorrow.
    const partial = await count(capped, `SELECT count(*) FROM core.assets WHERE connection_id = $1 AND deleted_at IS NULL`, [id]);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(live(capped).length);
    const { rows: stored } = await capped.db.pool.query(`SELECT value FROM ops.state WHERE key = $1`, [`monday:daily_calls:${id}`]);
    expect(stored[0].value).toMatchObject({ day: clock().toISOString().slice(0, 10), cap: 9 });

    // The same day: nothing is sent (the calls left are kept for write-back).
    capped.monday!.sim.control.resetCalls();
    const again = await capped.syncMonday('incremental');
    expect(again.status).toBe('succeeded');
    expect(capped.monday!.sim.control.calls().total).toBe(0);

    // The next day (UTC) the count starts over, and the sync goes on from the stored cursors.
    offset += 86_400_000;
    const cap = 200;
    capped.reconfigure((y) => y.replace('daily_call_cap: 9', `daily_call_cap: ${cap}`));
    const next = await capped.syncMonday('incremental');
    expect(next.status).toBe('succeeded');
    expect(next.counts['daily_cap.reached'] ?? 0).toBe(0);
    // The board stopped between two pages: its items cursor did not outlive the night, and its listing
    // started again from the first page, writing nothing twice.
    expect(next.counts['crawl.cursor_expired']).toBe(1);
    expect(await fingerprint(capped)).toEqual(calm);
    const [after] = await connectionSummaries(capped.db.pool, id);
    expect(after!.stateMessage).toBeNull();
  }, 240_000);

  it('a revoked token marks the connection auth_failed and keeps what was synced', async () => {
    const s = await stack({ tasks: 40, projects: 2, seed: 32, monday: {} });
    await s.syncMonday('full');
    const before = await fingerprint(s);
    s.monday!.sim.control.revokeToken(SIM_DEFAULT_TOKEN);
    s.monday!.sim.control.resetCalls();
    const err = await s.syncMonday('incremental').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const { rows } = await s.db.pool.query('SELECT state, state_message FROM ops.connections WHERE id = $1', [s.monday!.connectionId]);
    expect(rows[0].state).toBe('auth_failed');
    expect(rows[0].state_message).toMatch(/401/);
    expect(await fingerprint(s)).toEqual(before);
    // Not retried: a lost token is not a wait.
    expect(s.monday!.sim.control.calls().byStatus['401']).toBe(1);
  }, 120_000);
});
