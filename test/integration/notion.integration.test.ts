// Notion through the whole stack (real PostgreSQL, real Temporal, the Notion simulator seeded with the
// shared agency): a full sync lands exactly what the generator seeded — a project per data source, an
// asset per live page in its stage, owners by email where Notion gives one out, due dates, versions
// from the Files property, the unresolved comments, the Client relation — and incremental syncs pick
// up exactly what a person changed (an edit, a trashed page, a new comment) with the fewest calls; a
// data source past the 10,000-row cap of one query syncs whole; bad configuration fails with errors
// naming the connection and the path, in a sync and in `stageline config check --live`.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotionConnectionConfig } from '../../mapping/config';
import type { SyncTotals } from '../../activities';
import { assetIdOf } from '../../connectors/notion/normalize';
import type { PageTruth } from '../../connectors/notion/simulator';
import { count, fingerprint, startStack, type Stack } from '../support/stack';

const run = promisify(execFile);
let stack: Stack;
let full: SyncTotals;
const n = () => stack.notion!;
const ctl = () => n().sim.control;
const conn = () => n().connectionId;
const live = (): PageTruth[] => [...ctl().truth().pages.values()].filter((p) => !p.inTrash && n().dataSourceIds.includes(p.dataSourceId));
const callsOf = (from: number) => ctl().callLog().slice(from);

beforeAll(async () => {
  stack = await startStack({ tasks: 120, projects: 3, seed: 31, notion: {} });
  full = await stack.syncNotion('full');
}, 240_000);
afterAll(async () => stack?.close());

/** Every stored live asset of the connection against the simulator's truth as it stands now. */
async function expectMatchesTruth(): Promise<void> {
  const db = stack.db.pool;
  const { rows: assets } = await db.query<{ id: string; external_id: string; name: string; project: string; stage: string | null; source_status: string | null; owner_email: string | null; owner_id: string | null; due_on: string | null; fields: Record<string, unknown> }>(
    `SELECT a.id, a.external_id, a.name, p.external_id AS project, a.stage, a.source_status, o.email AS owner_email, a.owner_id, to_char(a.due_on, 'YYYY-MM-DD') AS due_on, a.fields
       FROM core.assets a JOIN core.projects p ON p.id = a.project_id LEFT JOIN core.persons o ON o.id = a.owner_id
      WHERE a.connection_id = $1 AND a.deleted_at IS NULL`,
    [conn()],
  );
  const truth = live();
  expect(assets.map((a) => a.external_id).sort()).toEqual(truth.map((t) => t.pageId).sort());
  const byId = new Map(assets.map((a) => [a.external_id, a]));
  const stageMap = ctl().truth().defaultStageMap as Record<string, string>;
  const { rows: versions } = await db.query<{ asset_id: string; number: number; name: string }>(
    'SELECT asset_id, number, name FROM core.versions WHERE connection_id = $1 AND deleted_at IS NULL ORDER BY asset_id, number, name',
    [conn()],
  );
  const { rows: comments } = await db.query<{ asset_id: string; external_id: string; body: string; email: string | null }>(
    'SELECT c.asset_id, c.external_id, c.body, p.email FROM core.comments c LEFT JOIN core.persons p ON p.id = c.author_id WHERE c.connection_id = $1 AND c.deleted_at IS NULL',
    [conn()],
  );
  const { rows: links } = await db.query<{ asset_id: string; external_id: string }>(
    "SELECT asset_id, external_id FROM core.asset_links WHERE connection_id = $1 AND kind = 'notion_page' AND via = 'primary' AND deleted_at IS NULL",
    [conn()],
  );
  const linkOf = new Map(links.map((l) => [l.asset_id, l.external_id]));
  for (const t of truth) {
    const a = byId.get(t.pageId)!;
    expect({ page: t.pageId, name: a.name, project: a.project, source_status: a.source_status, stage: a.stage }).toEqual({
      page: t.pageId, name: t.name, project: t.dataSourceId, source_status: t.stage, stage: t.stage === null ? null : stageMap[t.stage],
    });
    // An owner Notion shows without an email is still a person (by their Notion id), without the email.
    expect({ page: t.pageId, owner: a.owner_email }).toEqual({ page: t.pageId, owner: t.ownerEmail });
    expect({ page: t.pageId, due: a.due_on }).toEqual({ page: t.pageId, due: t.due?.slice(0, 10) ?? null });
    expect(versions.filter((v) => v.asset_id === a.id).map((v) => v.name)).toEqual(t.versions.map((v) => v.name));
    const mine = comments.filter((c) => c.asset_id === a.id);
    expect(mine.map((c) => c.external_id).sort()).toEqual(t.comments.map((c) => c.commentId).sort());
    for (const c of t.comments) {
      const stored = mine.find((x) => x.external_id === c.commentId)!;
      expect({ body: stored.body, email: stored.email }).toEqual({ body: c.text, email: c.authorEmail });
    }
    expect(linkOf.get(a.id)).toBe(t.pageId);
    // The Client relation is kept on the asset, by the related page's id.
    if (t.clientPageId) expect(a.fields.Client).toEqual([t.clientPageId]);
  }
}

describe('full Notion sync', () => {
  it('lands every live page of every data source as an asset in its stage, with owner, due date, versions, comments and links, as seeded', async () => {
    expect(full.status).toBe('succeeded');
    expect(live().length).toBeGreaterThan(100);
    await expectMatchesTruth();
    // The seeded workspace has resolved discussions (not listed by the API) and emailless reviewers.
    const t = live();
    expect(t.some((p) => p.resolvedComments > 0)).toBe(true);
    expect(t.some((p) => p.ownerEmail === null || p.reviewerEmails.includes(null))).toBe(true);
  });

  it('keeps a project per data source and tombstones nothing live; trashed pages were never assets', async () => {
    expect(await count(stack, 'SELECT count(*) FROM core.projects WHERE connection_id = $1 AND deleted_at IS NULL', [conn()])).toBe(n().dataSourceIds.length);
    const trashed = [...ctl().truth().pages.values()].filter((p) => p.inTrash);
    expect(trashed.length).toBeGreaterThan(0);
    expect(await count(stack, 'SELECT count(*) FROM core.assets WHERE connection_id = $1 AND external_id = ANY($2::text[]) AND deleted_at IS NULL', [conn(), trashed.map((p) => p.pageId)])).toBe(0);
  });

  it('knows persons by email where Notion gives one out, and persons without email by their Notion id', async () => {
    const { rows } = await stack.db.pool.query<{ external_id: string; email: string | null }>(
      'SELECT i.external_id, p.email FROM core.person_identities i JOIN core.persons p ON p.id = i.person_id WHERE i.connection_id = $1',
      [conn()],
    );
    expect(rows.some((r) => r.email === null)).toBe(true);
    expect(rows.some((r) => r.email !== null)).toBe(true);
    const emails = new Set(live().flatMap((p) => [p.ownerEmail, ...p.reviewerEmails, ...p.comments.map((c) => c.authorEmail)]).filter((e): e is string => e !== null));
    for (const e of emails) expect(rows.some((r) => r.email === e)).toBe(true);
  });

  it('costs a query per 100 pages, a comments call per page, a call per user, and the plan: counted on the run', async () => {
    const pages = live().length;
    const calls = full.apiCalls;
    const queries = calls['POST /data_sources/{id}/query'] ?? 0;
    expect(queries).toBe(n().dataSourceIds.reduce((s, id) => s + Math.max(1, Math.ceil(live().filter((p) => p.dataSourceId === id).length / 100)), 0));
    expect(calls['GET /comments']).toBe(pages);
    expect(calls['GET /databases/{id}']).toBe(n().databaseIds.length);
    expect(calls['GET /data_sources/{id}']).toBe(n().dataSourceIds.length);
    const total = Object.values(calls).reduce((a, b) => a + b, 0);
    console.info(`Notion full sync: ${pages} pages in ${n().dataSourceIds.length} data sources, ${total} calls (${JSON.stringify(calls)}); ⌈N/100⌉ per data source + N comments = ${queries + pages}`);
  });
});

describe('incremental Notion sync', () => {
  it('with nothing changed, asks each data source once for edited pages and once for trashed ones, and writes nothing', async () => {
    const before = await fingerprint(stack);
    const from = ctl().callLog().length;
    const r = await stack.syncNotion('incremental');
    expect(r.status).toBe('succeeded');
    const calls = callsOf(from);
    expect(calls.map((c) => c.endpoint).sort()).toEqual(n().dataSourceIds.flatMap(() => ['POST /v1/data_sources/{id}/query', 'POST /v1/data_sources/{id}/query']));
    expect(await fingerprint(stack)).toEqual(before);
  });

  it('picks up exactly an edited stage, a trashed page and a new comment; every other asset is untouched', async () => {
    const pages = live();
    const [edited, trashed, commented] = [pages[3]!, pages[10]!, pages[20]!];
    const newStage = ctl().truth().stageNames.find((s) => s !== edited.stage)!;
    const { rows: beforeRows } = await stack.db.pool.query<{ id: string; hash: string; updated_at: Date }>('SELECT id, hash, updated_at FROM core.assets WHERE connection_id = $1', [conn()]);
    ctl().setStage(edited.pageId, newStage);
    ctl().trashPage(trashed.pageId);
    const commentId = ctl().addComment(commented.pageId, 'Please crop the logo tighter.');
    const from = ctl().callLog().length;
    const r = await stack.syncNotion('incremental');
    expect(r.status).toBe('succeeded');
    await expectMatchesTruth();
    const { rows } = await stack.db.pool.query<{ id: string; external_id: string; stage: string | null; deleted: boolean }>(
      'SELECT id, external_id, stage, deleted_at IS NOT NULL AS deleted FROM core.assets WHERE id = ANY($1::uuid[])',
      [[edited, trashed, commented].map((p) => assetIdOf(conn(), p.pageId))],
    );
    const by = new Map(rows.map((x) => [x.external_id, x]));
    expect(by.get(edited.pageId)!.stage).toBe((ctl().truth().defaultStageMap as Record<string, string>)[newStage]);
    expect(by.get(trashed.pageId)!.deleted).toBe(true);
    expect(await count(stack, 'SELECT count(*) FROM core.comments WHERE connection_id = $1 AND external_id = $2', [conn(), commentId])).toBe(1);
    // Only the three pages' rows changed.
    const { rows: after } = await stack.db.pool.query<{ id: string; hash: string; updated_at: Date }>('SELECT id, hash, updated_at FROM core.assets WHERE connection_id = $1', [conn()]);
    const prev = new Map(beforeRows.map((x) => [x.id, x]));
    const changed = after.filter((x) => prev.get(x.id)!.hash !== x.hash || prev.get(x.id)!.updated_at.getTime() !== x.updated_at.getTime()).map((x) => x.id).sort();
    expect(changed).toEqual([edited, trashed, commented].map((p) => assetIdOf(conn(), p.pageId)).sort());
    // Two queries per data source, and comments read again for the two live pages whose last_edited_time moved.
    const calls = callsOf(from).map((c) => c.endpoint);
    expect(calls.filter((e) => e === 'GET /v1/comments').length).toBe(2);
    expect(calls.filter((e) => e !== 'GET /v1/comments' && e !== 'POST /v1/data_sources/{id}/query')).toEqual([]);
  });

  it('a restored page comes back live; a new page is added', async () => {
    const trashed = [...ctl().truth().pages.values()].find((p) => p.inTrash && n().dataSourceIds.includes(p.dataSourceId))!;
    ctl().restorePage(trashed.pageId);
    const created = ctl().createPage(n().dataSourceIds[0]!, { Name: { title: [{ text: { content: 'Spring teaser 1080x1920' } }] }, Stage: { status: { name: ctl().truth().stageNames[0] } } });
    const r = await stack.syncNotion('incremental');
    expect(r.status).toBe('succeeded');
    await expectMatchesTruth();
    expect(live().some((p) => p.pageId === created)).toBe(true);
  });

  it('a reconciliation crawl (sync --full) lands the same state and rewrites nothing', async () => {
    const before = await fingerprint(stack);
    const r = await stack.syncNotion('full');
    expect(r.status).toBe('succeeded');
    await expectMatchesTruth();
    expect(await fingerprint(stack)).toEqual(before);
  });
});

describe('periodic reconciliation', () => {
  it('an incremental sync crawls a data source again once its last crawl is older than reconcile_every, and rewrites nothing', async () => {
    const before = await fingerprint(stack);
    const yaml = stack.yaml;
    stack.reconfigure((y) => y.replace(`  - id: ${conn()}\n`, `  - id: ${conn()}\n    reconcile_every: 1ms\n`));
    try {
      const from = ctl().callLog().length;
      const r = await stack.syncNotion('incremental');
      expect(r.status).toBe('succeeded');
      const calls = callsOf(from).map((c) => c.endpoint);
      // The schemas are read again and every live page's comments with them; no trash query is needed (a crawl tombstones what it did not see).
      expect(calls.filter((e) => e === 'GET /v1/data_sources/{id}').length).toBe(n().dataSourceIds.length);
      expect(calls.filter((e) => e === 'GET /v1/comments').length).toBe(live().length);
      expect(await fingerprint(stack)).toEqual(before);
    } finally {
      stack.reconfigure(() => yaml);
    }
  });
});

describe('trash_check: reconcile', () => {
  it('with nothing changed, asks each data source once; a page moved to the trash stays until the reconciliation crawl tombstones it', async () => {
    const yaml = stack.yaml;
    stack.reconfigure((y) => y.replace(`  - id: ${conn()}\n`, `  - id: ${conn()}\n    trash_check: reconcile\n`));
    const trashed = live()[5]!;
    try {
      const before = await fingerprint(stack);
      let from = ctl().callLog().length;
      expect((await stack.syncNotion('incremental')).status).toBe('succeeded');
      // One query per data source (two with every_sync). Pages edited by the tests above within the
      // minute the last window closed in have their comments read again (last_edited_time is minute-coarse).
      const queries = (f: number) => callsOf(f).filter((c) => c.endpoint === 'POST /v1/data_sources/{id}/query').length;
      expect(queries(from)).toBe(n().dataSourceIds.length);
      expect(callsOf(from).filter((c) => c.endpoint !== 'POST /v1/data_sources/{id}/query' && c.endpoint !== 'GET /v1/comments')).toEqual([]);
      expect(await fingerprint(stack)).toEqual(before);

      ctl().trashPage(trashed.pageId);
      const deleted = () => count(stack, 'SELECT count(*) FROM core.assets WHERE id = $1 AND deleted_at IS NOT NULL', [assetIdOf(conn(), trashed.pageId)]);
      from = ctl().callLog().length;
      expect((await stack.syncNotion('incremental')).status).toBe('succeeded');
      expect(queries(from)).toBe(n().dataSourceIds.length);
      expect(await deleted()).toBe(0);

      expect((await stack.syncNotion('full')).status).toBe('succeeded');
      expect(await deleted()).toBe(1);
      await expectMatchesTruth();
    } finally {
      stack.reconfigure(() => yaml);
      ctl().restorePage(trashed.pageId);
      expect((await stack.syncNotion('incremental')).status).toBe('succeeded');
      await expectMatchesTruth();
    }
  });
});

describe('bad input', () => {
  /** Runs a full sync of the Notion connection with `edit` applied to its config; returns the failure message. */
  async function failWith(edit: (c: NotionConnectionConfig) => NotionConnectionConfig): Promise<{ message: string; idx: number }> {
    const cfg = stack.config;
    const idx = cfg.connections.findIndex((c) => c.id === conn());
    const original = cfg.connections[idx]!;
    stack.config = { ...cfg, connections: cfg.connections.map((c, i) => (i === idx ? edit(c as NotionConnectionConfig) : c)) } as typeof cfg;
    try {
      const err = await stack.syncNotion('full').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const { rows } = await stack.db.pool.query('SELECT state FROM ops.connections WHERE id = $1', [conn()]);
      expect(rows[0].state).toBe('error');
      return { message: String((err as WorkflowFailedError).cause?.message), idx };
    } finally {
      stack.config = { ...stack.config, connections: stack.config.connections.map((c, i) => (i === idx ? original : c)) } as typeof cfg;
    }
  }

  it('a database not shared with the integration (404 object_not_found) names the connection, the path and what to do', async () => {
    const db = n().databaseIds[1]!;
    ctl().unshareDatabase(db);
    try {
      const { message, idx } = await failWith((c) => c);
      expect(message).toContain(`connections.${idx}.databases.1: connection "${conn()}": database ${db} answers 404 object_not_found: share the database with the integration`);
    } finally {
      ctl().shareDatabase(db);
    }
  });

  it('a stage map naming a status option that does not exist names the connection, the data source, the option and the path', async () => {
    const db = n().databaseIds[0]!;
    const { message, idx } = await failWith((c) => ({ ...c, stage: { ...c.stage, [db]: { property: 'Stage', map: { ...c.stage[db]!.map, 'Waiting on legal': 'on_hold' } } } }));
    expect(message).toMatch(new RegExp(`connections\\.${idx}\\.stage\\.${db}\\.map\\.Waiting on legal: connection "${conn()}", data source ${n().dataSourceIds[0]} "[^"]+": property "Stage" has no option "Waiting on legal" \\(options: "Briefing"`));
  });

  it('`stageline config check --live` rejects the same stage map with the path and exit code 2; the good file passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stageline-notion-'));
    const good = join(dir, 'good.yaml');
    const bad = join(dir, 'bad.yaml');
    const db = n().databaseIds[0]!;
    writeFileSync(good, stack.yaml);
    writeFileSync(bad, stack.yaml.replace(`"${db}": { property: Stage, map: { `, `"${db}": { property: Stage, map: { "Waiting on legal": on_hold, `));
    const env = { ...process.env, ...stack.env };
    const cli = (file: string) => run('npx', ['tsx', 'cli/main.ts', '--config', file, 'config', 'check', '--live'], { env, cwd: process.cwd() }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
    const [ok, ko] = await Promise.all([cli(good), cli(bad)]);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain(`${conn()} (notion): live check OK`);
    expect(ko.code, ko.out).toBe(2);
    const idx = stack.config.connections.findIndex((c) => c.id === conn());
    expect(ko.out).toContain(`connections.${idx}.stage.${db}.map.Waiting on legal: connection "${conn()}"`);
  }, 120_000);

  it('after a failed plan, the connection syncs again once the config is fixed, with nothing duplicated', async () => {
    const before = await fingerprint(stack);
    const r = await stack.syncNotion('incremental');
    expect(r.status).toBe('succeeded');
    expect(await fingerprint(stack)).toEqual(before);
  });
});

describe('a data source past the 10,000-row cap of one query', () => {
  let big: Stack;
  let totals: SyncTotals;
  const N = Number(process.env.NOTION_BULK_PAGES ?? 25_000);
  beforeAll(async () => {
    big = await startStack({ tasks: 12, projects: 1, seed: 32, notion: { bulkPages: N, sync: 'bulk', maxConcurrency: 8 } });
    const t0 = Date.now();
    totals = await big.syncNotion('full');
    console.info(`Notion archive of ${N} pages: full sync ${Date.now() - t0} ms`, JSON.stringify(totals.counts));
  }, 600_000);
  afterAll(async () => big?.close());

  it('syncs every page once: the same ids as the simulator holds, none twice, none missing', async () => {
    expect(totals.status).toBe('succeeded');
    const side = big.notion!;
    const ds = side.dataSourceIds[0]!;
    const ids = side.dataset.dataSourcesById.get(ds)!.pages.filter((p) => !p.inTrash).map((p) => p.id).sort();
    expect(ids.length).toBe(N);
    const { rows } = await big.db.pool.query<{ external_id: string }>('SELECT external_id FROM core.assets WHERE connection_id = $1 AND deleted_at IS NULL ORDER BY external_id', [side.connectionId]);
    expect(rows.map((r) => r.external_id)).toEqual(ids);
    // Each page was normalized once: the windows past the cap skip the rows they had already returned.
    expect(totals.counts.tasks).toBe(N);
  });

  it('costs ⌈N/100⌉ queries plus one per extra created_time window, and a comments call per page', async () => {
    const side = big.notion!;
    const queries = side.sim.control.calls().byEndpoint['POST /v1/data_sources/{id}/query'];
    expect(totals.apiCalls['POST /data_sources/{id}/query']).toBe(queries);
    const windows = 1 + (totals.counts['notion.query_windows'] ?? 0);
    expect(windows).toBe(Math.ceil(N / 10_000));
    // A window that restarts at the last created_time reached reads that row again (skipped): at most one
    // more query per extra window.
    expect(queries).toBeGreaterThanOrEqual(Math.ceil(N / 100));
    expect(queries).toBeLessThanOrEqual(Math.ceil(N / 100) + windows - 1);
    expect(totals.apiCalls['GET /comments']).toBe(N);
    console.info(`Notion archive: ${queries} queries in ${windows} windows + ${totals.apiCalls['GET /comments']} comment reads = ${Object.values(totals.apiCalls).reduce((a, b) => a + b, 0)} calls (${JSON.stringify(totals.apiCalls)}); ⌈N/100⌉ + N = ${Math.ceil(N / 100) + N}`);
  });
});
