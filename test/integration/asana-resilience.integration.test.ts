// Failure paths end in the right state: a 429 storm, a revoked token, a killed worker, bad input.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { SIM_DEFAULT_TOKEN } from '../../connectors/asana/simulator';
import { startSync, waitForSync } from '../../worker/orchestration';
import { temporalAddress } from '../support/env';
import { configYaml, count, fingerprint, startStack, type Stack } from '../support/stack';

const stacks: Stack[] = [];
afterAll(async () => {
  for (const s of stacks) await s.close();
});
async function stack(opts: Parameters<typeof startStack>[0]): Promise<Stack> {
  const s = await startStack(opts);
  stacks.push(s);
  return s;
}

describe('Asana sync under failure', () => {
  it('a 429 storm (limit 60/min) ends in the same final state as an unlimited run, never retrying early', async () => {
    const reference = await stack({ tasks: 18, projects: 1, seed: 5, connectionId: 'storm' });
    await reference.sync('full');
    const expected = await fingerprint(reference);
    await reference.stopWorker();

    // Same workspace, the vendor limited to 60 requests a minute, the connector paced 10× faster than that.
    const limited = await stack({ tasks: 18, projects: 1, seed: 5, connectionId: 'storm', rateLimitPerMinute: 60, clientRatePerMinute: 600 });
    const r = await limited.sync('full');
    expect(r.status).toBe('succeeded');
    const calls = limited.sim.control.calls();
    expect(calls.rateLimited).toBeGreaterThan(0);
    expect(calls.earlyRetries).toBe(0);
    expect(await fingerprint(limited)).toEqual(expected);
  });

  it('a revoked token marks the connection auth_failed with a clear message and loses nothing already synced', async () => {
    const s = await stack({ tasks: 60, projects: 2, seed: 6 });
    await s.sync('full');
    const before = await fingerprint(s);
    s.sim.control.revokeToken(SIM_DEFAULT_TOKEN);
    const err = await s.sync('incremental').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const { rows } = await s.db.pool.query('SELECT state, state_message, last_error FROM ops.connections WHERE id = $1', [s.connectionId]);
    expect(rows[0].state).toBe('auth_failed');
    expect(rows[0].state_message).toMatch(/HTTP 401.*Not Authorized/);
    expect(await fingerprint(s)).toEqual(before);
    // Non-retryable: the vendor saw one attempt, not a hot loop.
    expect(s.sim.control.calls().byStatus['401']).toBe(1);
    const run = await s.db.pool.query("SELECT status, error FROM ops.sync_runs WHERE connection_id = $1 ORDER BY started_at DESC LIMIT 1", [s.connectionId]);
    expect(run.rows[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/401/) });
  });

  it('an unknown project gid fails the sync with an error that names it and its config path', async () => {
    const s = await stack({ tasks: 50, projects: 2, seed: 8, connectionYaml: '    projects: ["999999999"]\n' });
    const err = await s.sync('full').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const message = String((err as WorkflowFailedError).cause?.message);
    expect(message).toMatch(/connections\.0\.projects: project 999999999 is not in Asana workspace \d+/);
    const { rows } = await s.db.pool.query('SELECT state FROM ops.connections WHERE id = $1', [s.connectionId]);
    expect(rows[0].state).toBe('error');
  });

  it('a malformed vendor record is rejected with a code and a path, counted, stored, and the sync goes on', async () => {
    const s = await stack({ tasks: 60, projects: 2, seed: 9 });
    const bad = s.agency.dataset.projects[0]!.tasks[3]!.gid;
    s.sim.control.corruptTask(bad, { name: 42 });
    const r = await s.sync('full');
    expect(r.status).toBe('succeeded');
    expect(r.counts.rejected).toBe(1);
    const { rows } = await s.db.pool.query('SELECT stream, external_id, code, path, raw FROM ops.rejected_records WHERE connection_id = $1', [s.connectionId]);
    expect(rows).toEqual([expect.objectContaining({ stream: 'tasks', external_id: bad, code: 'invalid_type', path: 'name' })]);
    expect(rows[0].raw.name).toBe(42);
    const live = [...s.agency.truth.tasks.values()].filter((t) => !t.deleted).length;
    expect(await count(s, 'SELECT count(*) FROM core.assets WHERE connection_id = $1', [s.connectionId])).toBe(live - 1);
    // Fixed at the vendor: the next sync accepts it and the rejection resolves.
    s.sim.control.corruptTask(bad, null);
    await s.sync('full');
    expect(await count(s, 'SELECT count(*) FROM core.assets WHERE connection_id = $1', [s.connectionId])).toBe(live);
    expect(await count(s, 'SELECT count(*) FROM ops.rejected_records WHERE connection_id = $1 AND resolved_at IS NULL', [s.connectionId])).toBe(0);
  });

  it('killing the worker mid-sync and starting another ends in the same state as an uninterrupted run', async () => {
    const reference = await stack({ tasks: 60, projects: 2, seed: 12, connectionId: 'killed' });
    await reference.sync('full');
    const expected = await fingerprint(reference);
    await reference.stopWorker();

    // The worker runs as a separate process (the real `stageline worker`), paced slowly so the kill lands mid-sync.
    const s = await stack({ tasks: 60, projects: 2, seed: 12, connectionId: 'killed', clientRatePerMinute: 1200, startWorker: false });
    const dir = mkdtempSync(join(tmpdir(), 'stageline-kill-'));
    const cfgPath = join(dir, 'stageline.yaml');
    writeFileSync(cfgPath, configYaml({ connectionId: 'killed', baseUrl: s.baseUrl, workspace: s.agency.dataset.workspace.gid, ratePerMinute: 1200 }));
    const child: ChildProcess = spawn(process.execPath, [fileURLToPath(new URL('../../cli/bin.js', import.meta.url)), 'worker'], {
      env: { ...process.env, STAGELINE_CONFIG: cfgPath, DATABASE_URL: s.db.url, TEMPORAL_ADDRESS: temporalAddress(), STAGELINE_TASK_QUEUE: s.taskQueue, ASANA_TOKEN: SIM_DEFAULT_TOKEN, STAGELINE_NO_SCHEDULES: '1' },
      stdio: 'ignore',
    });
    try {
      const handle = await startSync(s.client, { connectionId: 'killed', mode: 'full', timeouts: { heartbeat: '5 seconds' } }, s.taskQueue);
      // Wait until some pages are committed, then kill -9.
      for (let i = 0; i < 600; i++) {
        if ((await count(s, "SELECT count(*) FROM core.assets WHERE connection_id = 'killed'")) >= 20) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const landedBeforeKill = await count(s, "SELECT count(*) FROM core.assets WHERE connection_id = 'killed'");
      child.kill('SIGKILL');
      expect(landedBeforeKill).toBeGreaterThan(0);
      expect(landedBeforeKill).toBeLessThan(60);
      await s.startWorker();
      const r = await waitForSync(handle);
      expect(r.status).toBe('succeeded');
      expect(await fingerprint(s)).toEqual(expected);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
