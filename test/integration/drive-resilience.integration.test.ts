// Drive failure paths end in the right state: a quota storm (403 userRateLimitExceeded and 429 in turn)
// ends where an unlimited run ends; a revoked token stops the sync cleanly.
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { SIM_DEFAULT_TOKEN } from '../../connectors/drive/simulator';
import { fingerprint, startStack, type Stack } from '../support/stack';

const stacks: Stack[] = [];
afterAll(async () => {
  for (const s of stacks) await s.close();
});

async function stack(...args: Parameters<typeof startStack>): Promise<Stack> {
  const s = await startStack(...args);
  stacks.push(s);
  return s;
}

describe('Drive resilience', () => {
  it('a quota storm ends in the same final state as an unlimited run', async () => {
    const calm = await stack({ tasks: 60, projects: 2, seed: 5, connectionId: 'storm', drive: { connectionId: 'storm-drive' } });
    await calm.sync('full');
    expect((await calm.syncDrive('full')).status).toBe('succeeded');
    const calmCalls = calm.drive!.sim.control.calls();
    expect(calmCalls.rateLimited).toBe(0);

    // The same agency, with a quota well under what a full sync needs in a minute.
    const quota = Math.floor(calmCalls.total * 0.6);
    const stormy = await stack({ tasks: 60, projects: 2, seed: 5, connectionId: 'storm', drive: { connectionId: 'storm-drive', quotaPerMinute: quota, quotaError: 'alternate' } });
    await stormy.sync('full');
    const r = await stormy.syncDrive('full');
    expect(r.status).toBe('succeeded');
    const calls = stormy.drive!.sim.control.calls();
    // It was a storm: both of Drive's answers were seen, and retried, not given up on.
    expect(calls.byStatus['403'] ?? 0).toBeGreaterThan(0);
    expect(calls.byStatus['429'] ?? 0).toBeGreaterThan(0);
    expect(await fingerprint(stormy)).toEqual(await fingerprint(calm));
  }, 300_000);

  it('a revoked token marks the Drive connection auth_failed and keeps what was synced', async () => {
    const s = await stack({ tasks: 50, projects: 2, seed: 6, drive: {} });
    await s.sync('full');
    await s.syncDrive('full');
    const before = await fingerprint(s);
    s.drive!.sim.control.revokeToken(SIM_DEFAULT_TOKEN);
    s.drive!.sim.control.resetCalls();
    const err = await s.syncDrive('incremental').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const { rows } = await s.db.pool.query('SELECT state, state_message FROM ops.connections WHERE id = $1', [s.drive!.connectionId]);
    expect(rows[0].state).toBe('auth_failed');
    expect(rows[0].state_message).toMatch(/401/);
    expect(await fingerprint(s)).toEqual(before);
    expect(s.drive!.sim.control.calls().byStatus['401']).toBe(1);
  }, 120_000);
});
