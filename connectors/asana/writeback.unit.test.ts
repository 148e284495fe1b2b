// Asana write-back against the simulator: every write lands where Asana would put it (read back
// through the API with the read client), is counted once, is skipped when the target is already
// there, and fails with the same connector errors as reads.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../limiter';
import { CallCounter, ConnectorError } from '../types';
import { AsanaClient } from './client';
import { AsanaTaskRaw } from './raw';
import { CF, SIM_DEFAULT_TOKEN, createAsanaSimulator, type AsanaSimulator } from './simulator';
import type { ProjectRec, TaskRec } from './simulator/model';
import { AsanaWriter, customFieldWriteForm } from './writeback';

let sim: AsanaSimulator;
let baseUrl: string;
let project: ProjectRec;

beforeAll(async () => {
  sim = createAsanaSimulator({ generate: { seed: 'writeback', tasks: 60, projects: 2 } });
  baseUrl = (await sim.start()).baseUrl;
  project = sim.control.dataset.projects[0] as ProjectRec;
});
afterAll(async () => {
  await sim?.stop();
});

const limiter = () => new RateLimiter(6000, 15);
const writer = (counter = new CallCounter(), l = limiter()) => new AsanaWriter({ token: SIM_DEFAULT_TOKEN, baseUrl, limiter: l, counter });
const reader = () => new AsanaClient({ token: SIM_DEFAULT_TOKEN, baseUrl, limiter: limiter() });
const readTask = async (gid: string) => AsanaTaskRaw.parse(await reader().task(gid));
const field = (i: number) => project.settings[i]!.field;
/** A live asset task that is not the milestone, picked by position so each test edits its own. */
const taskAt = (i: number): TaskRec => project.tasks.filter((t) => t.subtype === 'default_task')[i]!;
const writesSeen = () => sim.control.calls().byRoute['PUT /tasks/{gid}'] ?? 0;

describe('AsanaWriter.setCustomFields', () => {
  it('writes every custom-field type by gid, and the values read back through the API', async () => {
    const task = taskAt(0);
    const assetType = field(CF.assetType);
    const channels = field(CF.channels);
    const newType = assetType.options.find((o) => o.enabled && o.gid !== (task.values[CF.assetType] as { gid?: string } | null)?.gid)!;
    const reviewer = sim.control.dataset.users.find((u) => u.role === 'client_reviewer')!;
    const counter = new CallCounter();
    const before = writesSeen();

    const wrote = await writer(counter).setCustomFields(task.gid, {
      [assetType.gid]: newType.gid,
      [channels.gid]: channels.options.slice(0, 2).map((o) => o.gid),
      [field(CF.size).gid]: '970x250',
      [field(CF.budget).gid]: 4200,
      [field(CF.goLive).gid]: '2026-12-24',
      [field(CF.reviewer).gid]: [reviewer.gid],
    });

    expect(wrote).toBe(true);
    expect(counter.toJSON()).toEqual({ 'PUT /tasks/{gid}': 1 });
    expect(writesSeen() - before).toBe(1);
    const back = await readTask(task.gid);
    const byName = Object.fromEntries(back.custom_fields.map((f) => [f.name, f]));
    expect(byName['Asset type']?.enum_value).toMatchObject({ gid: newType.gid, name: newType.name });
    expect(byName.Channels?.multi_enum_values?.map((v) => v.gid)).toEqual(channels.options.slice(0, 2).map((o) => o.gid));
    expect(byName.Size?.text_value).toBe('970x250');
    expect(byName.Budget?.number_value).toBe(4200);
    expect(byName['Go-live']?.date_value?.date).toBe('2026-12-24');
    expect(byName.Reviewer?.people_value?.map((u) => u.gid)).toEqual([reviewer.gid]);
    // …and Asana's history records it as made by the integration's own user.
    const cfStories = task.stories.filter((s) => s.subtype.endsWith('_custom_field_changed') && s.author.email === 'ops-bot@lumenlark.example');
    expect(cfStories.length).toBeGreaterThanOrEqual(6);
  });

  it('makes no request when the current values already equal the target, and one when they do not', async () => {
    const task = taskAt(1);
    const size = field(CF.size).gid;
    const w = writer();
    const current = customFieldWriteForm(await readTask(task.gid));
    const before = writesSeen();

    expect(await w.setCustomFields(task.gid, { [size]: current[size] ?? null }, current)).toBe(false);
    expect(writesSeen() - before).toBe(0);

    expect(await w.setCustomFields(task.gid, { [size]: 'ASSET-0042_v3' }, current)).toBe(true);
    const now = customFieldWriteForm(await readTask(task.gid));
    expect(now[size]).toBe('ASSET-0042_v3');
    expect(await w.setCustomFields(task.gid, { [size]: 'ASSET-0042_v3' }, now)).toBe(false);
    expect(writesSeen() - before).toBe(1);
    expect(w.counter.toJSON()).toEqual({ 'PUT /tasks/{gid}': 1 });
  });

  it('compares gid lists as sets and a date object as its date string', async () => {
    const task = taskAt(2);
    const ch = field(CF.channels);
    const goLive = field(CF.goLive).gid;
    const w = writer();
    await w.setCustomFields(task.gid, { [ch.gid]: [ch.options[0]!.gid, ch.options[1]!.gid], [goLive]: '2027-01-15' });
    const current = customFieldWriteForm(await readTask(task.gid));
    expect(current[goLive]).toBe('2027-01-15');
    expect(await w.setCustomFields(task.gid, { [ch.gid]: [ch.options[1]!.gid, ch.options[0]!.gid], [goLive]: { date: '2027-01-15' } }, current)).toBe(false);
    expect(w.counter.total).toBe(1);
  });

  it('refuses a gid that is not one before sending anything', async () => {
    const w = writer();
    await expect(w.setCustomFields('../users/me', { [field(CF.size).gid]: 'x' })).rejects.toMatchObject({ kind: 'invalid_config' });
    await expect(w.setCustomFields(taskAt(0).gid, { 'Asset type': 'x' })).rejects.toMatchObject({ kind: 'invalid_config' });
    expect(w.counter.total).toBe(0);
  });
});

describe('AsanaWriter: only the fields that differ are sent', () => {
  // A loopback server that records request bodies: the simulator ignores same-value writes, so
  // only the wire shows whether unchanged fields were left out.
  let server: ReturnType<typeof createServer>;
  let url: string;
  const bodies: { method: string; url: string; body: unknown }[] = [];
  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => {
        bodies.push({ method: req.method ?? '', url: req.url ?? '', body: raw ? JSON.parse(raw) : null });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ data: { gid: '1', resource_type: 'task' } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/1.0`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('sends PUT /tasks/{gid} {data:{custom_fields}} with just the changed fields', async () => {
    const w = new AsanaWriter({ token: 't', baseUrl: url, limiter: limiter() });
    expect(await w.setCustomFields('1205001', { '11': 'opt-a', '12': 'same', '13': 3 }, { '11': 'opt-b', '12': 'same', '13': 3 })).toBe(true);
    expect(bodies).toEqual([{ method: 'PUT', url: '/api/1.0/tasks/1205001?opt_fields=modified_at', body: { data: { custom_fields: { '11': 'opt-a' } } } }]);
  });

  it('sends a comment and a section move in the shapes of vendor-apis.md §1.6 (with the SDK\'s stray `body` query on addTask)', async () => {
    bodies.length = 0;
    const w = new AsanaWriter({ token: 't', baseUrl: url, limiter: limiter() });
    await w.addComment('1205001', 'Looks good');
    await w.moveToSection('1205001', '1203004');
    expect(bodies).toEqual([
      { method: 'POST', url: '/api/1.0/tasks/1205001/stories?opt_fields=created_at', body: { data: { text: 'Looks good' } } },
      // asana@3.2.0 copies `opts` (which holds the body) into the query string too: README Behaviours.
      { method: 'POST', url: '/api/1.0/sections/1203004/addTask?body=%5Bobject%20Object%5D', body: { data: { task: '1205001' } } },
    ]);
  });
});

describe('AsanaWriter.addComment', () => {
  it('posts a story that reads back as a comment by the integration user', async () => {
    const task = taskAt(3);
    const w = writer();
    const story = await w.addComment(task.gid, 'Moved to Client Review by Stageline — v03 is attached.');
    expect(story.gid).toMatch(/^\d+$/);
    expect(story.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const stories = (await reader().stories(task.gid)) as { gid: string; type: string; text: string; created_by: { email: string } }[];
    expect(stories.at(-1)).toMatchObject({ gid: story.gid, type: 'comment', text: 'Moved to Client Review by Stageline — v03 is attached.', created_by: { email: 'ops-bot@lumenlark.example' } });
    expect(w.counter.toJSON()).toEqual({ 'POST /tasks/{gid}/stories': 1 });
    expect(sim.control.truthOf(task.gid)?.comments.some((c) => c.storyGid === story.gid)).toBe(true);
  });

  it('refuses an empty comment locally', async () => {
    const w = writer();
    await expect(w.addComment(taskAt(3).gid, '  ')).rejects.toMatchObject({ kind: 'invalid_config' });
    expect(w.counter.total).toBe(0);
  });
});

describe('AsanaWriter.moveToSection', () => {
  it('moves the task: its membership, the ground truth and a section_changed story agree', async () => {
    const task = taskAt(4);
    const target = project.sections.find((s) => s !== task.section && s.name === 'Client Review') ?? project.sections.find((s) => s !== task.section)!;
    const w = writer();
    await w.moveToSection(task.gid, target.gid);
    const back = await readTask(task.gid);
    expect(back.memberships.find((m) => m.project?.gid === project.gid)?.section).toMatchObject({ gid: target.gid, name: target.name });
    expect(sim.control.truthOf(task.gid)?.section).toBe(target.name);
    const move = task.stories.filter((s) => s.subtype === 'section_changed').at(-1);
    expect([move?.after, move?.author.email]).toEqual([target, 'ops-bot@lumenlark.example']);
    expect(w.counter.toJSON()).toEqual({ 'POST /sections/{gid}/addTask': 1 });
    expect(sim.control.calls().byRoute['POST /sections/{gid}/addTask']).toBe(1);
  });
});

describe('AsanaWriter errors', () => {
  it('a deleted task is not_found; a 429 is rate_limited and pauses the shared limiter; a revoked token is auth_revoked', async () => {
    const gone = taskAt(5);
    sim.control.deleteTask(gone.gid);
    await expect(writer().addComment(gone.gid, 'hello')).rejects.toMatchObject({ kind: 'not_found', details: { status: 404 } });

    const l = limiter();
    const paused: number[] = [];
    const spy = l.pauseUntil.bind(l);
    l.pauseUntil = (until: number) => {
      paused.push(until - Date.now());
      spy(until);
    };
    sim.control.injectFaults({ status: 429, method: 'PUT', retryAfterSeconds: 7 });
    const err = await writer(new CallCounter(), l).setCustomFields(taskAt(6).gid, { [field(CF.size).gid]: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ kind: 'rate_limited', details: { retryAfterMs: 7000, status: 429 } });
    expect(paused[0]).toBeGreaterThan(6000);

    sim.control.addToken('writer-revoked', sim.control.dataset.users[1]!.gid);
    sim.control.revokeToken('writer-revoked');
    const revoked = new AsanaWriter({ token: 'writer-revoked', baseUrl, limiter: limiter() });
    await expect(revoked.moveToSection(taskAt(6).gid, project.sections[0]!.gid)).rejects.toMatchObject({ kind: 'auth_revoked' });
  });
});
