// The Temporal side: schedules, continue-as-new on long syncs, deterministic replay, and the HTTP API.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createApi } from '../../api/server';
import { ensureSchedule, scheduleId, startSync, syncWorkflowId, waitForSync } from '../../worker/orchestration';
import { workflowsPath } from '../../worker';
import { configYaml, count, startStack, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ tasks: 80, projects: 2, seed: 31 });
});
afterAll(async () => stack?.close());

describe('Temporal orchestration', () => {
  it('a long sync continues as new before its history grows, and ends with every task synced', async () => {
    const handle = await startSync(stack.client, { connectionId: stack.connectionId, mode: 'full', historyLimit: 12 }, stack.taskQueue);
    const r = await waitForSync(handle);
    expect(r.status).toBe('succeeded');
    const runs = [];
    for await (const w of stack.client.workflow.list({ query: `WorkflowId = '${syncWorkflowId(stack.connectionId)}'` })) runs.push(w);
    expect(runs.length).toBeGreaterThan(1);
    expect(await count(stack, 'SELECT count(*) FROM core.assets WHERE connection_id = $1', [stack.connectionId])).toBe(stack.agency.truth.tasks.size);
  });

  it('replays its own recorded history deterministically', async () => {
    const handle = stack.client.workflow.getHandle(syncWorkflowId(stack.connectionId));
    const history = await handle.fetchHistory();
    await expect(Worker.runReplayHistory({ workflowsPath }, history, syncWorkflowId(stack.connectionId))).resolves.toBeUndefined();
  });

  it('keeps one Schedule per connection with overlap SKIP and an explicit catch-up window, whose runs sync the connection', async () => {
    const cfg = stack.config.connections[0]!;
    await ensureSchedule(stack.client, { ...cfg, schedule: { ...cfg.schedule, every: '1h', catchup_window: '2m' } }, stack.taskQueue);
    // Idempotent: a second call updates, it does not fail or duplicate.
    await ensureSchedule(stack.client, { ...cfg, schedule: { ...cfg.schedule, every: '1h', catchup_window: '2m' } }, stack.taskQueue);
    const schedule = stack.client.schedule.getHandle(scheduleId(stack.connectionId));
    const d = await schedule.describe();
    expect(d.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(d.policies.catchupWindow).toBe(120_000);
    expect(d.policies.pauseOnFailure).toBe(true);
    stack.sim.control.addComment(stack.agency.dataset.projects[0]!.tasks[0]!.gid, 'Scheduled pick-up, please.');
    await schedule.trigger();
    for (let i = 0; i < 300; i++) {
      if ((await count(stack, "SELECT count(*) FROM core.comments WHERE body = 'Scheduled pick-up, please.'")) === 1) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const runs = (await schedule.describe()).info.recentActions.map((a) => a.action.workflow.workflowId);
    expect(runs.length, 'the schedule started a run').toBeGreaterThan(0);
    const result = await stack.client.workflow.getHandle(runs[0]!).result();
    expect(result).toMatchObject({ status: 'succeeded' });
    expect(await count(stack, "SELECT count(*) FROM core.comments WHERE body = 'Scheduled pick-up, please.'")).toBe(1);
    await schedule.delete();
  });

  it('serves health, connection status and sync requests over HTTP, with validated input', async () => {
    const app = createApi({ db: stack.db.pool, config: () => stack.config, temporal: () => stack.client });
    const health = await app.request('/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', checks: { postgres: { ok: true }, temporal: { ok: true } } });

    const list = (await (await app.request('/connections')).json()) as { data: Record<string, unknown>[] };
    expect(list.data[0]).toMatchObject({ connectionId: stack.connectionId, state: 'ok', assets: stack.agency.truth.tasks.size });

    const bad = await app.request(`/connections/${stack.connectionId}/sync`, { method: 'POST', body: JSON.stringify({ mode: 'sometimes' }), headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { issues: unknown[] } }).error.issues[0]).toMatchObject({ path: ['mode'] });
    expect((await app.request('/connections/nope/sync', { method: 'POST' })).status).toBe(404);

    const ok = await app.request(`/connections/${stack.connectionId}/sync`, { method: 'POST', body: JSON.stringify({ mode: 'incremental' }) });
    expect(ok.status).toBe(202);
    const body = (await ok.json()) as { data: { workflowId: string } };
    expect(body.data.workflowId).toBe(syncWorkflowId(stack.connectionId));
    // The API starts workflows on the default task queue; here the test's own worker is elsewhere, so cancel it.
    await stack.client.workflow.getHandle(body.data.workflowId).terminate('test done');
  });

  it('`stageline status` shows state, last sync, cursor age, counts, rejected records and API calls', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stageline-status-'));
    const cfg = join(dir, 'stageline.yaml');
    writeFileSync(cfg, configYaml({ connectionId: stack.connectionId, baseUrl: stack.baseUrl, workspace: stack.agency.dataset.workspace.gid }));
    const bin = fileURLToPath(new URL('../../cli/bin.js', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'status'], { env: { ...process.env, STAGELINE_CONFIG: cfg, DATABASE_URL: stack.db.url, ASANA_TOKEN: 'x' } });
    expect(stdout).toContain(`${stack.connectionId} (asana): ok`);
    expect(stdout).toMatch(/cursor \d+ (s|min) old/);
    expect(stdout).toContain(`assets ${stack.agency.truth.tasks.size}`);
    expect(stdout).toMatch(/rejected 0/);
    expect(stdout).toMatch(/last run: (full|incremental) succeeded, \d+ API calls \(GET \/events/);
  });
});
