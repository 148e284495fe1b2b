// The Notion sender of the outbox (NotionPageSender) against the Notion simulator in-process: a page's
// Ops status, metrics and stage revert go out as ONE PATCH /v1/pages/{id} with only the properties that
// differ; each data source's schema is read once per drain; what the page already holds is not sent; a
// row that cannot be written is dropped alone, naming the page, the property and the option; a comment
// is one stamped POST /v1/comments, never posted twice (also when a send is retried after a crash);
// Notion's refusals arrive classified (404 not_found, 429 rate_limited with its wait); a data source
// without the Ops status and metric properties gets them in one PATCH /v1/data_sources/{id}.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../connectors/limiter';
import type { NotionStageConfig } from '../connectors/notion/normalize';
import { PROPERTY_NAMES, SIM_DEFAULT_TOKEN, createNotionSimulator, type NotionSimulator } from '../connectors/notion/simulator';
import { NotionWriter, propertyWriteForm } from '../connectors/notion/writeback';
import { readStamp, stampText } from '../connectors/stamp';
import { ConnectorError } from '../connectors/types';
import { OPS_STATUS_OPTIONS } from './enforce';
import type { Metric, ToolValues } from './metrics';
import { NotionPageSender, type NotionPageState, type OutboxRow } from './outbox';

const OPS = PROPERTY_NAMES.opsStatus;
const FIELDS: Record<Metric, string> = { revision_round: PROPERTY_NAMES.revisionRound, days_in_stage: PROPERTY_NAMES.daysInStage, cycle_time: PROPERTY_NAMES.cycleTime };

let sim: NotionSimulator;
let baseUrl: string;
let writer: NotionWriter;
let stage: NotionStageConfig;
let dataSource: string;
let pages: string[];

const newSender = (s: NotionStageConfig = stage) => new NotionPageSender(writer, { connectionId: 'agency-notion', opsField: OPS, stage: s });
const calls = (endpoint: string) => sim.control.calls().byEndpoint[endpoint] ?? 0;
const writes = () => Object.fromEntries(Object.entries(sim.control.calls().byEndpoint).filter(([k]) => !k.startsWith('GET ')));

/** A property of the page as a person sees it now (plain text, option name or number). */
function shown(pageId: string, name: string): unknown {
  const p = sim.control.pageState(pageId).page.properties[name] as Record<string, unknown> & { type: string };
  if (p.type === 'rich_text') return (p.rich_text as { plain_text: string }[]).map((t) => t.plain_text).join('');
  if (p.type === 'status' || p.type === 'select') return (p[p.type] as { name: string } | null)?.name ?? null;
  return p[p.type];
}

/** The page as the sync engine stores it: the raw page, its values by property name, a content hash. */
async function state(pageId: string, written: NotionPageState['written'] = null): Promise<NotionPageState> {
  const raw = await writer.client.page(pageId);
  const form = propertyWriteForm(raw);
  const fields: Record<string, unknown> = {};
  for (const [name, w] of Object.entries(form)) fields[name] = Object.values(w)[0];
  return { dataSourceId: (raw as { parent: { data_source_id: string } }).parent.data_source_id, raw, fields, hash: JSON.stringify(form), written };
}

let seq = 0;
function row(pageId: string, op: OutboxRow['op'], payload: Record<string, unknown>): OutboxRow {
  return { id: String(++seq), target_kind: 'notion_page', target_external_id: pageId, op, payload, asset_id: null, violation_id: null };
}
const opsRow = (pageId: string, value: string) => row(pageId, 'set_field', { field: OPS, value });
const metricsRow = (pageId: string, values: ToolValues, fields: Record<Metric, string> = FIELDS) => row(pageId, 'set_metrics', { values, changed: [], fields });
const stageRow = (pageId: string, to: string) => row(pageId, 'set_stage', { stage: to, from: null });
const commentRow = (pageId: string, text: string, key: string) => row(pageId, 'comment', { text: stampText(text, key), stamp: key });

beforeAll(async () => {
  sim = createNotionSimulator({ generate: { seed: 7, tasks: 40, projects: 2 }, rateLimit: null });
  ({ baseUrl } = await sim.start());
  writer = new NotionWriter({ token: SIM_DEFAULT_TOKEN, baseUrl, limiter: new RateLimiter(600_000, 8) });
  const truth = sim.control.truth();
  dataSource = sim.control.dataSourceIds('assets')[0]!;
  pages = [...truth.pages.values()].filter((p) => p.dataSourceId === dataSource && !sim.control.pageState(p.pageId).inTrash).map((p) => p.pageId);
  stage = { '*': { property: PROPERTY_NAMES.stage, map: truth.defaultStageMap } };
});
afterAll(() => sim?.stop());

describe('NotionPageSender: one PATCH /v1/pages/{id} per page', () => {
  it('Ops status and the three figures of each page in ONE PATCH; the data source schema read once', async () => {
    const sender = newSender();
    const some = pages.slice(0, 5);
    sim.control.resetCalls();
    for (const [i, id] of some.entries()) {
      const { outcomes, metrics } = await sender.sendProperties([opsRow(id, i % 2 ? 'Approval missing' : 'Compliant'), metricsRow(id, { revision_round: i, days_in_stage: 3, cycle_time: i % 2 ? 12.5 : null })], id, await state(id));
      expect([...outcomes.values()].map((o) => o.state)).toEqual(['done', 'done']);
      expect(metrics?.values.revision_round).toBe(i);
    }
    expect(writes()).toEqual({ 'PATCH /v1/pages/{id}': some.length });
    expect(calls('GET /v1/data_sources/{id}')).toBe(1);
    for (const [i, id] of some.entries()) {
      expect({ ops: shown(id, OPS), round: shown(id, FIELDS.revision_round), days: shown(id, FIELDS.days_in_stage), cycle: shown(id, FIELDS.cycle_time) }).toEqual({
        ops: i % 2 ? 'Approval missing' : 'Compliant', round: i, days: 3, cycle: i % 2 ? 12.5 : null,
      });
      // The page was edited by the integration's bot, which is how the next pull sees its own write.
      expect(sim.control.pageState(id).lastEditedById).toBe(sim.control.dataset.bot.id);
    }
  });

  it('sent again against what the pages now hold: no call, every row skipped', async () => {
    const sender = newSender();
    const some = pages.slice(0, 5);
    const before = calls('PATCH /v1/pages/{id}');
    for (const [i, id] of some.entries()) {
      const { outcomes } = await sender.sendProperties([opsRow(id, i % 2 ? 'Approval missing' : 'Compliant'), metricsRow(id, { revision_round: i, days_in_stage: 3, cycle_time: i % 2 ? 12.5 : null })], id, await state(id));
      expect([...outcomes.values()].map((o) => o.state)).toEqual(['skipped', 'skipped']);
    }
    expect(calls('PATCH /v1/pages/{id}') - before).toBe(0);
  });

  it('a figure Stageline wrote is not sent again before the page is pulled again; a value typed over is rewritten', async () => {
    const sender = newSender();
    const id = pages[1]!;
    const stale = await state(id);
    sim.control.editPage(id, { [FIELDS.days_in_stage]: { number: 9 } });
    const values: ToolValues = { revision_round: 1, days_in_stage: 3, cycle_time: 12.5 };
    // As stored: pulled before the edit, with the write recorded against that pull: nothing to send.
    const before = calls('PATCH /v1/pages/{id}');
    const quiet = await sender.sendProperties([metricsRow(id, values)], id, { ...stale, written: { values, observedHash: stale.hash, seq: 1 } });
    expect([...quiet.outcomes.values()].map((o) => o.state)).toEqual(['skipped']);
    // Pulled again: the 9 typed over is seen and the figure written back.
    const fresh = await state(id, { values, observedHash: stale.hash, seq: 1 });
    const { outcomes } = await sender.sendProperties([metricsRow(id, values)], id, fresh);
    expect([...outcomes.values()].map((o) => o.state)).toEqual(['done']);
    expect(calls('PATCH /v1/pages/{id}') - before).toBe(1);
    expect(shown(id, FIELDS.days_in_stage)).toBe(3);
  });

  it('a stage revert sets the Stage status by option name in the same PATCH as the Ops status; a page already there is skipped', async () => {
    const sender = newSender();
    const id = pages.find((p) => shown(p, PROPERTY_NAMES.stage) !== 'Client Review')!;
    const before = calls('PATCH /v1/pages/{id}');
    const { outcomes } = await sender.sendProperties([stageRow(id, 'client_review'), opsRow(id, 'Approval missing')], id, await state(id));
    expect([...outcomes.values()].map((o) => o.state)).toEqual(['done', 'done']);
    expect(calls('PATCH /v1/pages/{id}') - before).toBe(1);
    expect([shown(id, PROPERTY_NAMES.stage), shown(id, OPS)]).toEqual(['Client Review', 'Approval missing']);
    const again = await sender.sendProperties([stageRow(id, 'client_review')], id, await state(id));
    expect([...again.outcomes.values()]).toEqual([{ state: 'skipped', result: { property: PROPERTY_NAMES.stage, option: 'Client Review' } }]);
    expect(calls('PATCH /v1/pages/{id}') - before).toBe(1);
  });

  it('a stage whose status name is not among the options: that row dropped naming the page and the property, the rest sent', async () => {
    const sender = newSender({ '*': { property: PROPERTY_NAMES.stage, map: { ...sim.control.truth().defaultStageMap, 'Legal Review': 'legal_review' } } });
    const id = pages[2]!;
    const held = shown(id, PROPERTY_NAMES.stage);
    const rows = [stageRow(id, 'legal_review'), opsRow(id, 'Review overdue')];
    const { outcomes } = await sender.sendProperties(rows, id, await state(id));
    const dropped = outcomes.get(rows[0]!.id)!;
    expect(dropped.state).toBe('dropped');
    expect(dropped.error).toContain(`Notion page ${id}`);
    expect(dropped.error).toContain('status property "Stage" has no option "Legal Review"');
    expect(outcomes.get(rows[1]!.id)!.state).toBe('done');
    expect([shown(id, PROPERTY_NAMES.stage), shown(id, OPS)]).toEqual([held, 'Review overdue']);
  });

  it('metrics into a property of another type: the metrics row dropped with the reason, nothing sent', async () => {
    const sender = newSender();
    const id = pages[3]!;
    const before = calls('PATCH /v1/pages/{id}');
    const r = metricsRow(id, { revision_round: 2, days_in_stage: 1, cycle_time: null }, { ...FIELDS, revision_round: PROPERTY_NAMES.brief });
    const { outcomes } = await sender.sendProperties([r], id, await state(id));
    expect(outcomes.get(r.id)).toEqual({ state: 'dropped', error: expect.stringContaining(`property "${PROPERTY_NAMES.brief}" is a rich_text property, not number`) });
    expect(calls('PATCH /v1/pages/{id}') - before).toBe(0);
  });
});

describe('NotionPageSender: comments', () => {
  it('one stamped comment per violation; the page listed once per drain; a retried send after a crash posts nothing', async () => {
    const id = pages[4]!;
    const before = sim.control.pageState(id).comments.length;
    sim.control.resetCalls();
    const sender = newSender();
    const rows = [commentRow(id, 'Client approval is missing.\nHow to fix: ask the client.', 'k1'), commentRow(id, 'The file name does not follow the convention.', 'k2')];
    for (const r of rows) expect((await sender.sendComment(r, id)).state).toBe('done');
    expect(writes()).toEqual({ 'POST /v1/comments': 2 });
    expect(calls('GET /v1/comments')).toBe(1);
    const after = sim.control.pageState(id).comments.slice(before);
    expect(after.map((c) => readStamp(c.text))).toEqual(['k1', 'k2']);
    expect(after[0]!.authorId).toBe(sim.control.dataset.bot.id);
    // The drain crashed before recording the outcome: the next drain sends the same rows again.
    const retried = newSender();
    for (const r of rows) expect((await retried.sendComment(r, id)).state).toBe('skipped');
    expect(sim.control.pageState(id).comments.length - before).toBe(2);
    expect(writes()).toEqual({ 'POST /v1/comments': 2 });
  });
});

describe('NotionPageSender: a resolved comment', () => {
  it('is not listed by GET /v1/comments, so a send retried after a crash posts it again (the known limit of the live check)', async () => {
    const id = pages.at(-1)!;
    const before = sim.control.pageState(id).comments.length;
    const r = commentRow(id, 'The file name does not follow the convention.', 'k-resolved');
    expect((await newSender().sendComment(r, id)).state).toBe('done');
    const posted = sim.control.pageState(id).comments.at(-1)!;
    // A person resolves the discussion; the drain had crashed before recording the send.
    sim.control.resolveDiscussion(posted.discussionId);
    expect((await newSender().sendComment(r, id)).state).toBe('done');
    const mine = sim.control.pageState(id).comments.slice(before).filter((c) => readStamp(c.text) === 'k-resolved');
    expect(mine.map((c) => c.resolved)).toEqual([true, false]);
  });
});

describe("NotionPageSender: Notion's refusals, classified", () => {
  it('a page Notion does not have: not_found (the drain drops the row with the reason)', async () => {
    const id = pages[0]!;
    const gone = '0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f';
    const err = await newSender().sendProperties([opsRow(gone, 'Scope creep')], gone, { ...(await state(id)), raw: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).kind).toBe('not_found');
    expect((err as ConnectorError).message).toContain(gone);
    const unstored = await newSender().sendProperties([opsRow(gone, 'Scope creep')], gone, null).catch((e: unknown) => e);
    expect((unstored as ConnectorError).kind).toBe('not_found');
  });

  it('400 validation_error: invalid_config carrying Notion\'s message (the drain drops the row and records it on the violation)', async () => {
    const id = pages[6]!;
    const held = shown(id, OPS);
    sim.control.injectFaults({ code: 'validation_error', times: 1, endpoint: 'PATCH /v1/pages/{id}', message: 'body failed validation: body.properties.Ops status.rich_text should be an array.' });
    const err = await newSender().sendProperties([opsRow(id, held === 'Scope creep' ? 'Compliant' : 'Scope creep')], id, await state(id)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).kind).toBe('invalid_config');
    expect((err as ConnectorError).message).toContain(`page ${id}`);
    expect((err as ConnectorError).message).toContain('body.properties.Ops status.rich_text should be an array');
    expect(shown(id, OPS)).toBe(held);
  });

  it('429: rate_limited with Notion\'s wait, and nothing written (the row stays pending for the retry)', async () => {
    const id = pages[5]!;
    const held = shown(id, OPS);
    sim.control.injectFaults({ code: 'rate_limited', times: 1, retryAfterSeconds: 2, endpoint: 'PATCH /v1/pages/{id}' });
    const err = await newSender().sendProperties([opsRow(id, held === 'Scope creep' ? 'Compliant' : 'Scope creep')], id, await state(id)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect({ kind: (err as ConnectorError).kind, wait: (err as ConnectorError).details.retryAfterMs }).toEqual({ kind: 'rate_limited', wait: 2_000 });
    expect(shown(id, OPS)).toBe(held);
  });
});

describe('NotionPageSender: a data source without the Ops status and metric properties', () => {
  let bare: NotionSimulator;
  let bareWriter: NotionWriter;
  let sources: string[];
  let rowsOf: Map<string, string[]>;
  const bareCalls = () => Object.fromEntries(Object.entries(bare.control.calls().byEndpoint).filter(([k]) => !k.startsWith('GET ')));
  const bareState = async (pageId: string): Promise<NotionPageState> => {
    const raw = await bareWriter.client.page(pageId);
    const form = propertyWriteForm(raw);
    const fields: Record<string, unknown> = {};
    for (const [name, w] of Object.entries(form)) fields[name] = Object.values(w)[0];
    return { dataSourceId: (raw as { parent: { data_source_id: string } }).parent.data_source_id, raw, fields, hash: JSON.stringify(form), written: null };
  };
  const figures = (i: number): ToolValues => ({ revision_round: i + 1, days_in_stage: 2, cycle_time: 10 + i });
  const drain = async () => {
    const sender = new NotionPageSender(bareWriter, { connectionId: 'bare-notion', opsField: OPS, stage });
    const states: string[] = [];
    for (const ds of sources) {
      for (const [i, id] of rowsOf.get(ds)!.entries()) {
        const { outcomes } = await sender.sendProperties([opsRow(id, i % 2 ? 'Approval missing' : 'Compliant'), metricsRow(id, figures(i))], id, await bareState(id));
        states.push(...[...outcomes.values()].map((o) => o.state));
      }
    }
    return states;
  };

  beforeAll(async () => {
    bare = createNotionSimulator({ generate: { seed: 21, tasks: 40, projects: 2 }, rateLimit: null });
    const { baseUrl: url } = await bare.start();
    bareWriter = new NotionWriter({ token: SIM_DEFAULT_TOKEN, baseUrl: url, limiter: new RateLimiter(600_000, 8) });
    sources = bare.control.dataSourceIds('assets');
    // The workspace as a team that never added Stageline's columns has it: removed through the API.
    for (const ds of sources) await bareWriter.client.updateDataSource(ds, { [OPS]: null, ...Object.fromEntries(Object.values(FIELDS).map((n) => [n, null])) });
    const truth = bare.control.truth();
    rowsOf = new Map(sources.map((ds) => [ds, [...truth.pages.values()].filter((p) => p.dataSourceId === ds && !p.inTrash).slice(0, 3).map((p) => p.pageId)]));
  });
  afterAll(() => bare?.stop());

  it('the first drain creates them in ONE PATCH /v1/data_sources/{id} per data source, then writes each page in ONE PATCH; a second drain creates and writes nothing', async () => {
    expect(sources.length).toBe(2);
    for (const ds of sources) {
      const names = bare.control.truth().dataSources.find((d) => d.dataSourceId === ds)!.properties.map((p) => p.name);
      expect(names).not.toEqual(expect.arrayContaining([OPS]));
      for (const n of Object.values(FIELDS)) expect(names).not.toContain(n);
    }
    bare.control.resetCalls();
    const pageCount = sources.reduce((n, ds) => n + rowsOf.get(ds)!.length, 0);
    expect(new Set(await drain())).toEqual(new Set(['done']));
    expect(bareCalls()).toEqual({ 'PATCH /v1/data_sources/{id}': sources.length, 'PATCH /v1/pages/{id}': pageCount });
    for (const ds of sources) {
      const props = bare.control.truth().dataSources.find((d) => d.dataSourceId === ds)!.properties;
      // The Ops status is created as a select with every Ops status, the metrics as numbers.
      expect(props.find((p) => p.name === OPS)).toEqual({ name: OPS, type: 'select', options: OPS_STATUS_OPTIONS });
      for (const n of Object.values(FIELDS)) expect(props.find((p) => p.name === n)).toEqual({ name: n, type: 'number' });
      for (const [i, id] of rowsOf.get(ds)!.entries()) {
        const page = bare.control.pageState(id).page.properties as Record<string, { type: string; select?: { name: string } | null; number?: number | null }>;
        expect({ ops: page[OPS]?.select?.name, round: page[FIELDS.revision_round]?.number, days: page[FIELDS.days_in_stage]?.number, cycle: page[FIELDS.cycle_time]?.number }).toEqual({
          ops: i % 2 ? 'Approval missing' : 'Compliant', round: i + 1, days: 2, cycle: 10 + i,
        });
      }
    }
    // Another page of a data source the first drain did not touch reads the new properties empty.
    const other = [...bare.control.truth().pages.values()].find((p) => p.dataSourceId === sources[0] && !p.inTrash && !rowsOf.get(sources[0]!)!.includes(p.pageId))!;
    expect(bare.control.pageState(other.pageId).page.properties[OPS]).toMatchObject({ type: 'select', select: null });

    bare.control.resetCalls();
    expect(new Set(await drain())).toEqual(new Set(['skipped']));
    expect(bareCalls()).toEqual({});
  });
});
