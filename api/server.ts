// The first HTTP API: health, connection status, start a sync. Hono on Node's HTTP server.
import { Hono } from 'hono';
import { serve, type ServerType } from '@hono/node-server';
import { z } from 'zod';
import type pg from 'pg';
import type { Client } from '@temporalio/client';
import type { StagelineConfig } from '../mapping/config';
import { connectionSummaries } from '../activities/db/queries';
import { startSync } from '../worker/orchestration';

export interface ApiDeps {
  db: pg.Pool;
  config: () => StagelineConfig;
  temporal: () => Client | undefined;
}

const SyncRequest = z.strictObject({ mode: z.enum(['full', 'incremental']).default('incremental') });

export function createApi(deps: ApiDeps): Hono {
  const app = new Hono();

  app.get('/health', async (c) => {
    const checks: Record<string, { ok: boolean; error?: string }> = {};
    try {
      await deps.db.query('SELECT 1');
      checks.postgres = { ok: true };
    } catch (err) {
      checks.postgres = { ok: false, error: (err as Error).message };
    }
    const client = deps.temporal();
    if (client) {
      try {
        await client.workflowService.getSystemInfo({});
        checks.temporal = { ok: true };
      } catch (err) {
        checks.temporal = { ok: false, error: (err as Error).message };
      }
    } else checks.temporal = { ok: false, error: 'not connected' };
    const ok = Object.values(checks).every((x) => x.ok);
    return c.json({ status: ok ? 'ok' : 'degraded', checks }, ok ? 200 : 503);
  });

  app.get('/connections', async (c) => {
    const summaries = await connectionSummaries(deps.db);
    const byId = new Map(summaries.map((s) => [s.connectionId, s]));
    // Connections from the config that have never synced are listed too.
    const data = deps.config().connections.map((cfg) => byId.get(cfg.id) ?? { connectionId: cfg.id, vendor: cfg.vendor, state: 'never_synced' });
    return c.json({ data });
  });

  app.get('/connections/:id', async (c) => {
    const id = c.req.param('id');
    if (!deps.config().connections.some((x) => x.id === id)) return c.json({ error: { code: 'not_found', message: `no connection "${id}"` } }, 404);
    const [s] = await connectionSummaries(deps.db, id);
    return c.json({ data: s ?? { connectionId: id, state: 'never_synced' } });
  });

  app.post('/connections/:id/sync', async (c) => {
    const id = c.req.param('id');
    if (!deps.config().connections.some((x) => x.id === id)) return c.json({ error: { code: 'not_found', message: `no connection "${id}"` } }, 404);
    let body: unknown = {};
    const text = await c.req.text();
    if (text.trim()) {
      try {
        body = JSON.parse(text);
      } catch {
        return c.json({ error: { code: 'invalid_json', message: 'the body is not JSON', path: [] } }, 400);
      }
    }
    const parsed = SyncRequest.safeParse(body);
    if (!parsed.success) {
      return c.json({ error: { code: 'invalid_request', issues: parsed.error.issues.map((i) => ({ code: i.code, path: i.path, message: i.message })) } }, 400);
    }
    const client = deps.temporal();
    if (!client) return c.json({ error: { code: 'temporal_unavailable', message: 'not connected to Temporal' } }, 503);
    const handle = await startSync(client, { connectionId: id, mode: parsed.data.mode });
    return c.json({ data: { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, mode: parsed.data.mode } }, 202);
  });

  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((err, c) => c.json({ error: { code: 'internal', message: err.message } }, 500));
  return app;
}

export function serveApi(app: Hono, port: number, hostname = '0.0.0.0'): Promise<ServerType> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port, hostname }, () => resolve(server));
  });
}
