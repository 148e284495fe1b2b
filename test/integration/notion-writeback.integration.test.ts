// Notion write-back (real PostgreSQL, real Temporal, the Notion simulator): with rules enforced on the
// Notion connection and metrics on, a full sync writes every page's Ops status and three metrics into
// its properties in ONE PATCH /v1/pages/{id} per page, and one stamped comment per opened violation;
// the next syncs pull Stageline's own writes back and write nothing; a stage moved in Notion is one
// PATCH of that page; a value typed over in Notion is written back; a revert to a status option the
// data source lacks is dropped with an error naming the page and the property.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedAgency } from '../../connectors/asana/simulator';
import type { CallLogEntry } from '../../connectors/notion/simulator';
import { readStamp } from '../../connectors/stamp';
import { COMPLIANT, OPS_STATUS } from '../../activities/enforce';
import { count, startStack, type Stack } from '../support/stack';
import { writebackRulesYaml } from '../support/agency-yaml';

const OPS = 'Ops status';
const PROPERTY_STAGE = 'Stage';
const FIELDS = { revision_round: 'Revision round', days_in_stage: 'Days in stage', cycle_time: 'Cycle time (days)' };
const ASANA = 'nw-asana';
const NOTION = 'nw-notion';
const PATCH_PAGE = 'PATCH /v1/pages/{id}';
const POST_COMMENT = 'POST /v1/comments';

let stack: Stack;
const now = Date.now();
const sim = () => stack.notion!.sim.control;


/** Rules enforced on the Notion connection only (previewed on Asana); metrics written back to it only. */
const rules = (agency: GeneratedAgency) => writebackRulesYaml(agency, { opsStatusField: OPS, enforce: NOTION, noMetrics: ASANA });

/** The writes the simulator received (everything but reads), by endpoint. */
function writes(): Record<string, number> {
  return Object.fromEntries(Object.entries(sim().calls().byEndpoint).filter(([k]) => !k.startsWith('GET ') && !k.includes('/query')));
}
/** The pages that were PATCHed, each with how many times. */
function patched(): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of sim().callLog() as CallLogEntry[]) if (e.endpoint === PATCH_PAGE && e.status === 200) m.set(e.path, (m.get(e.path) ?? 0) + 1);
  return m;
}
/** A property of a page as a person sees it now (plain text, option name or number). */
function shown(pageId: string, name: string): unknown {
  const p = sim().pageState(pageId).page.properties[name] as Record<string, unknown> & { type: string };
  if (p.type === 'rich_text') return (p.rich_text as { plain_text: string }[]).map((t) => t.plain_text).join('');
  if (p.type === 'status' || p.type === 'select') return (p[p.type] as { name: string } | null)?.name ?? null;
  return p[p.type];
}
const stamped = (pageId: string) => sim().pageState(pageId).comments.filter((c) => readStamp(c.text) !== null);

async function syncNotion(mode: 'full' | 'incremental' = 'incremental') {
  const r = await stack.syncNotion(mode);
  expect(r.status).toBe('succeeded');
  return r;
}

/** The live Notion pages, with the figures the warehouse holds for them (docs/METRICS.md). */
async function pages(): Promise<{ page: string; revision_round: number; days_in_stage: number | null; cycle_time: string | null }[]> {
  const { rows } = await stack.db.pool.query(
    `SELECT d.external_id AS page, d.revision_rounds AS revision_round,
            (SELECT greatest(0, r.as_of_on - t.entered_on) FROM warehouse.v_time_in_stage t CROSS JOIN warehouse.refresh_info r
              WHERE t.asset_id = d.asset_id AND t.is_open AND t.is_wip) AS days_in_stage,
            (SELECT round(c.cycle_time_seconds::numeric / 86400, 1)::text FROM warehouse.v_cycle_time c WHERE c.asset_id = d.asset_id) AS cycle_time
       FROM warehouse.dim_asset d WHERE d.deleted_at IS NULL AND d.connection_id = $1 ORDER BY 1`,
    [NOTION],
  );
  return rows;
}

/** The kinds of each page's open enforced violations (every rule here comments: one comment each). */
async function openViolations(): Promise<Map<string, string[]>> {
  const { rows } = await stack.db.pool.query<{ page: string; kinds: string[] }>(
    `SELECT a.external_id AS page, array_agg(v.kind) AS kinds FROM ops.violations v JOIN core.assets a ON a.id = v.asset_id
      WHERE v.connection_id = $1 AND v.state = 'open' AND v.mode = 'enforce' GROUP BY 1`,
    [NOTION],
  );
  return new Map(rows.map((r) => [r.page, r.kinds]));
}
/** The Ops status a page should show: the label of its most serious open violation, else Compliant. */
const label = (kinds: string[]) => (Object.entries(OPS_STATUS).find(([k]) => kinds.includes(k))?.[1] ?? COMPLIANT);
const pathOf = (pageId: string) => [...patched().keys()].find((p) => p.replace(/-/g, '').includes(pageId.replace(/-/g, ''))) ?? null;

beforeAll(async () => {
  stack = await startStack({ tasks: 60, projects: 2, seed: 41, connectionId: ASANA, notion: { connectionId: NOTION }, topLevelYaml: rules, clock: () => new Date(now) });
  sim().setLatency(5);
  await syncNotion('full');
}, 300_000);
afterAll(async () => stack?.close());

describe('Notion write-back', () => {
  it('a full sync writes each page once: Ops status and metrics in ONE PATCH /v1/pages/{id}, every outbox row done', async () => {
    const live = await pages();
    expect(live.length).toBeGreaterThan(20);
    const once = patched();
    expect(once.size).toBe(live.length);
    expect([...once.values()].every((n) => n === 1)).toBe(true);
    // The Ops status and metric properties exist in the data sources: nothing is added to a schema.
    expect(Object.keys(writes()).sort()).toEqual([PATCH_PAGE, POST_COMMENT]);
    const { rows } = await stack.db.pool.query<{ state: string }>(`SELECT DISTINCT state FROM ops.outbox WHERE connection_id = $1`, [NOTION]);
    expect(rows.map((r) => r.state)).toEqual(['done']);
    console.log(`Notion first sync: ${JSON.stringify(sim().calls().byEndpoint)} for ${live.length} pages; ${sim().calls().total} calls in all`);
  });

  it('each violating page gets exactly one comment per violation; the Ops status property shows the most serious one', async () => {
    const open = await openViolations();
    expect(open.size).toBeGreaterThan(3);
    for (const { page } of await pages()) {
      const kinds = open.get(page) ?? [];
      expect({ page, comments: stamped(page).length, ops: shown(page, OPS) }).toEqual({ page, comments: kinds.length, ops: label(kinds) });
    }
    expect(writes()[POST_COMMENT]).toBe([...open.values()].reduce((a, b) => a + b.length, 0));
    // Comments are the integration's, each with what is wrong and how to fix it.
    const some = stamped([...open.keys()][0]!)[0]!;
    expect(some.authorId).toBe(sim().dataset.bot.id);
    expect(some.text).toMatch(/— Stageline standards \(/);
  });

  it("the metric properties hold the warehouse's figures", async () => {
    const live = await pages();
    for (const e of live) {
      expect({ page: e.page, round: shown(e.page, FIELDS.revision_round), days: shown(e.page, FIELDS.days_in_stage), cycle: shown(e.page, FIELDS.cycle_time) }).toEqual({
        page: e.page, round: e.revision_round, days: e.days_in_stage, cycle: e.cycle_time === null ? null : Number(e.cycle_time),
      });
    }
    // Notion keeps no stage history (vendor-apis.md §3.2): until a stage change is observed, days in
    // stage and cycle time are blank, and the revision round is a number on every page.
    expect(live.every((e) => typeof shown(e.page, FIELDS.revision_round) === 'number')).toBe(true);
  });

  it("a resync pulls Stageline's own writes back and writes nothing", async () => {
    const outbox = await count(stack, `SELECT count(*) FROM ops.outbox`);
    for (let i = 0; i < 2; i++) {
      sim().resetCalls();
      await syncNotion();
      expect(writes()).toEqual({});
    }
    expect(await count(stack, `SELECT count(*) FROM ops.outbox`)).toBe(outbox);
    // Stageline's comments are not feedback, and its property writes are no stage history.
    expect(await count(stack, `SELECT count(*) FROM core.comments c JOIN core.assets a ON a.id = c.asset_id WHERE a.connection_id = $1 AND c.body LIKE '%Stageline standards%'`, [NOTION])).toBe(0);
    expect(await count(stack, `SELECT count(*) FROM core.stage_transitions WHERE created_at > (SELECT min(created_at) FROM ops.outbox)`)).toBe(0);
  });

  it('a stage moved in Notion is one PATCH of that page (its days in stage, now observed), and nothing else is written', async () => {
    const open = await openViolations();
    const target = (await pages()).find((e) => !open.has(e.page) && ['Briefing', 'In Production'].includes(sim().truthOf(e.page)?.stage ?? ''))!;
    expect(target).toBeDefined();
    const to = sim().truthOf(target.page)!.stage === 'Briefing' ? 'In Production' : 'Internal Review';
    sim().setStage(target.page, to);
    sim().resetCalls();
    await syncNotion();
    expect(writes()).toEqual({ [PATCH_PAGE]: 1 });
    expect(pathOf(target.page)).not.toBeNull();
    const now = (await pages()).find((e) => e.page === target.page)!;
    expect(now.days_in_stage).toBe(0);
    expect([shown(target.page, FIELDS.days_in_stage), shown(target.page, PROPERTY_STAGE)]).toEqual([0, to]);
    // Its echo is pulled on the next sync and plans nothing.
    sim().resetCalls();
    await syncNotion();
    expect(writes()).toEqual({});
  });

  it('values typed over in Notion are written back, in one PATCH of that page', async () => {
    const e = (await pages()).find((x) => x.revision_round !== 99)!;
    const ops = shown(e.page, OPS);
    sim().editPage(e.page, { [FIELDS.revision_round]: { number: 99 }, [OPS]: { rich_text: [{ text: { content: 'All good, trust me' } }] } });
    sim().resetCalls();
    await syncNotion();
    expect(writes()).toEqual({ [PATCH_PAGE]: 1 });
    expect([shown(e.page, FIELDS.revision_round), shown(e.page, OPS)]).toEqual([e.revision_round, ops]);
  });

  it("Notion's 429 on a write: the drain waits as told and the page is written once", async () => {
    const e = (await pages())[3]!;
    sim().editPage(e.page, { [FIELDS.revision_round]: { number: 42 } });
    sim().injectFaults({ code: 'rate_limited', times: 1, retryAfterSeconds: 1, endpoint: PATCH_PAGE });
    sim().resetCalls();
    await syncNotion();
    expect(sim().calls().byCode.rate_limited).toBe(1);
    expect([...patched().values()]).toEqual([1]);
    expect(shown(e.page, FIELDS.revision_round)).toBe(e.revision_round);
    expect(await count(stack, `SELECT count(*) FROM ops.outbox WHERE connection_id = $1 AND state <> 'done'`, [NOTION])).toBe(0);
  });

  it('a gate broken later is reverted: the Stage status set back by name, with one comment, once', async () => {
    stack.reconfigure((y) => y.replace(/(id: client-approval-before-delivery[\s\S]*?action: )comment/, '$1revert'));
    await syncNotion();
    const open = await openViolations();
    const page = [...sim().truth().pages.values()].find((p) => !open.has(p.pageId) && ['Internal Review', 'Client Review'].includes(p.stage ?? '') && !sim().pageState(p.pageId).inTrash)!;
    expect(page).toBeDefined();
    const from = page.stage;
    const gateComments = () => stamped(page.pageId).filter((c) => c.text.includes('(client-approval-before-delivery)')).length;
    sim().setStage(page.pageId, 'Delivered');
    sim().resetCalls();
    await syncNotion();
    expect(sim().truthOf(page.pageId)!.stage).toBe(from);
    expect(gateComments()).toBe(1);
    expect(shown(page.pageId, OPS)).toBe(OPS_STATUS.approval_gate);
    // Delivered without sign-offs breaks both gates: one comment each; the revert, the Ops status and
    // the figures of the page are one PATCH.
    const opened = (await openViolations()).get(page.pageId) ?? [];
    expect(opened.length).toBeGreaterThan(0);
    expect(stamped(page.pageId).length).toBe(opened.length);
    expect(writes()).toEqual({ [PATCH_PAGE]: 1, [POST_COMMENT]: opened.length });
    // The echo and the consequences of the move, then nothing; the comment is never posted again.
    for (let i = 0; i < 2; i++) await syncNotion();
    sim().resetCalls();
    await syncNotion();
    expect(writes()).toEqual({});
    expect(gateComments()).toBe(1);
    expect(sim().truthOf(page.pageId)!.stage).toBe(from);
  });

  it('an Ops status property that is a status without those options: each write dropped with an error naming the page and the property, nothing sent', async () => {
    // The lead points the Ops status at the pages' Stage status, whose options are stages, not Ops status labels.
    stack.reconfigure((y) => y.replace(`ops_status_field: ${OPS}`, `ops_status_field: ${PROPERTY_STAGE}`));
    const stages = new Map((await pages()).map((e) => [e.page, shown(e.page, PROPERTY_STAGE)]));
    sim().resetCalls();
    await syncNotion();
    expect(writes()[PATCH_PAGE] ?? 0).toBe(0);
    const { rows } = await stack.db.pool.query<{ target_external_id: string; last_error: string | null }>(
      `SELECT target_external_id, last_error FROM ops.outbox WHERE connection_id = $1 AND op = 'set_field' AND payload ->> 'field' = $2 AND state = 'dropped'`,
      [NOTION, PROPERTY_STAGE],
    );
    expect(rows.length).toBe(stages.size);
    for (const r of rows) {
      expect(r.last_error).toContain(`Notion page ${r.target_external_id}`);
      expect(r.last_error).toMatch(/status property "Stage" has no option "(Compliant|Approval missing|Review overdue|Missing fields|Misnamed file|Scope creep)"/);
    }
    expect(await count(stack, `SELECT count(*) FROM ops.outbox WHERE connection_id = $1 AND state = 'pending'`, [NOTION])).toBe(0);
    for (const [page, stage] of stages) expect(shown(page, PROPERTY_STAGE)).toBe(stage);
  });
});
