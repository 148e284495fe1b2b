// Asana write-back against the simulator: every write lands where Asana would put it (read back
// through the API with the read client), is counted once, is skipped when the target is already
// there, and fails with the same connector errors as reads.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../limiter';
import { readStamp, stampText, stripStamp } from '../stamp';
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

describe('AsanaWriter.ensureEnumField', () => {
  // A simulator of its own, so that call counts and the workspace's field library are this block's.
  let fsim: AsanaSimulator;
  let fbase: string;
  let ws: string;
  let p1: ProjectRec;
  let p2: ProjectRec;
  const OPS = 'Ops status';
  const STATUSES = ['Compliant', 'Approval missing', 'Misnamed file', 'Review overdue', 'Scope creep', 'Missing fields'];
  const fwriter = (counter = new CallCounter()) => new AsanaWriter({ token: SIM_DEFAULT_TOKEN, baseUrl: fbase, limiter: limiter(), counter });
  const freader = () => new AsanaClient({ token: SIM_DEFAULT_TOKEN, baseUrl: fbase, limiter: limiter() });

  beforeAll(async () => {
    fsim = createAsanaSimulator({ generate: { seed: 'ops-field', tasks: 60, projects: 3 } });
    fbase = (await fsim.start()).baseUrl;
    ws = fsim.control.dataset.workspace.gid;
    [p1, p2] = fsim.control.dataset.projects as [ProjectRec, ProjectRec];
  });
  afterAll(async () => {
    await fsim?.stop();
  });

  it('creates the field with every option, adds it to each project, and a second run only reads', async () => {
    expect(fsim.control.customFieldByName(OPS)).toBeNull();
    const first = new CallCounter();
    const made = await fwriter(first).ensureEnumField(ws, [p1.gid, p2.gid], OPS, STATUSES);

    expect(first.toJSON()).toEqual({
      'GET /projects/{gid}/custom_field_settings': 2,
      'GET /workspaces/{gid}/custom_fields': 1,
      'POST /custom_fields': 1,
      'POST /projects/{gid}/addCustomFieldSetting': 2,
    });
    expect(made.created).toEqual({ field: true, options: [], projects: [p1.gid, p2.gid], reenabled: [] });
    const inAsana = fsim.control.customFieldByName(OPS);
    expect(inAsana).toMatchObject({ gid: made.fieldGid, type: 'enum', global: true, projectGids: [p1.gid, p2.gid] });
    expect(inAsana?.options.map((o) => [o.name, o.gid, o.enabled])).toEqual(STATUSES.map((s) => [s, made.options[s], true]));

    const second = new CallCounter();
    const again = await fwriter(second).ensureEnumField(ws, [p1.gid, p2.gid], OPS, STATUSES);
    expect(second.toJSON()).toEqual({ 'GET /projects/{gid}/custom_field_settings': 2, 'GET /workspaces/{gid}/custom_fields': 1 });
    expect(again).toEqual({ fieldGid: made.fieldGid, options: made.options, created: { field: false, options: [], projects: [], reenabled: [] } });
  });

  it('a value written with the new field shows on the task, as a story by the integration user, and as an event', async () => {
    const { fieldGid, options } = await fwriter().ensureEnumField(ws, [p1.gid], OPS, STATUSES);
    const task = p1.tasks.find((t) => t.subtype === 'default_task')!;
    const before = await freader().events(p1.gid, null);
    if (before.ok) throw new Error('expected a 412 with a fresh sync token');

    expect(await fwriter().setCustomFields(task.gid, { [fieldGid]: options['Approval missing']! })).toBe(true);

    expect(fsim.control.taskCustomFieldValue(task.gid, OPS)).toBe('Approval missing');
    const back = await freaderTask(task.gid);
    expect(back.custom_fields.find((f) => f.gid === fieldGid)?.enum_value).toMatchObject({ gid: options['Approval missing'], name: 'Approval missing' });
    expect(fsim.control.storiesOf(task.gid).at(-1)).toMatchObject({
      resourceSubtype: 'enum_custom_field_changed',
      type: 'system',
      customField: OPS,
      oldValue: null,
      newValue: 'Approval missing',
      authorEmail: 'ops-bot@lumenlark.example',
      text: 'set Ops status to "Approval missing"',
    });
    const after = await freader().events(p1.gid, before.sync);
    if (!after.ok) throw new Error('the sync token should still be valid');
    const changes = (after.events as { action: string; resource: { gid: string }; user: { gid: string } | null; change?: { field: string; new_value?: { gid: string; enum_value?: { name: string } } } }[])
      .filter((e) => e.action === 'changed' && e.resource.gid === task.gid);
    expect(changes).toHaveLength(1);
    expect(changes[0]?.change).toMatchObject({ field: 'custom_fields', new_value: { gid: fieldGid, enum_value: { name: 'Approval missing' } } });
    expect(changes[0]?.user?.gid).toBe(fsim.control.dataset.users[0]!.gid);

    // Same value again: Asana records nothing new (and setCustomFields with `current` would not even send it).
    await fwriter().setCustomFields(task.gid, { [fieldGid]: options['Approval missing']! });
    expect(fsim.control.storiesOf(task.gid).filter((s) => s.customField === OPS)).toHaveLength(1);
  });

  it('on a project without the field the write is a 400 (invalid_config); ensureEnumField for that project fixes it', async () => {
    const p3 = fsim.control.dataset.projects[2]!;
    const { fieldGid, options } = await fwriter().ensureEnumField(ws, [p1.gid], OPS, STATUSES);
    const task = p3.tasks.find((t) => t.subtype === 'default_task')!;
    await expect(fwriter().setCustomFields(task.gid, { [fieldGid]: options.Compliant! })).rejects.toMatchObject({
      kind: 'invalid_config',
      details: { status: 400, vendorMessage: expect.stringContaining('not on this task') },
    });
    const added = await fwriter().ensureEnumField(ws, [p1.gid, p3.gid], OPS, STATUSES);
    expect(added.created.projects).toEqual([p3.gid]);
    expect(await fwriter().setCustomFields(task.gid, { [fieldGid]: options.Compliant! })).toBe(true);
    expect(fsim.control.taskCustomFieldValue(task.gid, OPS)).toBe('Compliant');
  });

  it('maps an existing field by name: adds the missing options, enables a trashed one, and adds it where it is missing', async () => {
    const name = 'QA state';
    const gid = fsim.control.createCustomField({ name, type: 'enum', options: ['Compliant', 'Scope creep', 'Someone else\'s option'], projectGids: [p1.gid] });
    const trashed = fsim.control.customFieldByName(name)!.options.find((o) => o.name === 'Scope creep')!;
    fsim.control.setEnumOptionEnabled(trashed.gid, false);
    const counter = new CallCounter();

    const r = await fwriter(counter).ensureEnumField(ws, [p1.gid, p2.gid], name, ['Compliant', 'Scope creep', 'Review overdue', 'Compliant']);

    expect(r.fieldGid).toBe(gid);
    expect(r.created).toEqual({ field: false, options: ['Review overdue'], projects: [p2.gid], reenabled: ['Scope creep'] });
    expect(r.options['Scope creep']).toBe(trashed.gid);
    expect(counter.toJSON()).toEqual({
      'GET /projects/{gid}/custom_field_settings': 2,
      'GET /workspaces/{gid}/custom_fields': 1,
      'POST /custom_fields/{gid}/enum_options': 1,
      'POST /projects/{gid}/addCustomFieldSetting': 1,
      'PUT /enum_options/{gid}': 1,
    });
    const field = fsim.control.customFieldByName(name)!;
    expect(field.options.map((o) => `${o.name}:${o.enabled}`)).toEqual(['Compliant:true', 'Scope creep:true', "Someone else's option:true", 'Review overdue:true']);
    expect(field.projectGids).toEqual([p1.gid, p2.gid]);
  });

  it('finds a field that exists only on a project (not in the workspace library) instead of creating a second one', async () => {
    const gid = fsim.control.createCustomField({ name: 'Local status', type: 'enum', options: ['Compliant'], projectGids: [p2.gid], local: true });
    expect(fsim.control.customFieldByName('Local status')?.global).toBe(false);
    const counter = new CallCounter();
    const r = await fwriter(counter).ensureEnumField(ws, [p2.gid], 'Local status', ['Compliant']);
    expect(r).toEqual({ fieldGid: gid, options: { Compliant: fsim.control.customFieldByName('Local status')!.options[0]!.gid }, created: { field: false, options: [], projects: [], reenabled: [] } });
    expect(counter.toJSON()).toEqual({ 'GET /projects/{gid}/custom_field_settings': 1, 'GET /workspaces/{gid}/custom_fields': 1 });
  });

  it('a field of that name but another type is invalid_config naming it, and nothing is written', async () => {
    const gid = fsim.control.createCustomField({ name: 'Compliance', type: 'text', projectGids: [p1.gid] });
    const counter = new CallCounter();
    const err = await fwriter(counter).ensureEnumField(ws, [p1.gid], 'Compliance', STATUSES).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ kind: 'invalid_config', message: expect.stringContaining(`"Compliance" (${gid}) is a text`) });
    expect(Object.keys(counter.toJSON()).every((k) => k.startsWith('GET '))).toBe(true);
  });

  it('reads every page of the workspace\'s fields', async () => {
    for (let i = 0; i < 105; i++) fsim.control.createCustomField({ name: `Filler ${String(i).padStart(3, '0')}`, type: 'text' });
    const counter = new CallCounter();
    const r = await fwriter(counter).ensureEnumField(ws, [], OPS, ['Compliant']);
    expect(r.created.field).toBe(false); // found on the first page; the rest are read all the same
    expect(counter.toJSON()).toEqual({ 'GET /workspaces/{gid}/custom_fields': 2 });
  });

  it('refuses what it cannot do before sending anything', async () => {
    const w = fwriter();
    await expect(w.ensureEnumField('ws', [p1.gid], OPS, STATUSES)).rejects.toMatchObject({ kind: 'invalid_config' });
    await expect(w.ensureEnumField(ws, ['../x'], OPS, STATUSES)).rejects.toMatchObject({ kind: 'invalid_config' });
    await expect(w.ensureEnumField(ws, [p1.gid], ' ', STATUSES)).rejects.toMatchObject({ kind: 'invalid_config' });
    await expect(w.ensureEnumField(ws, [p1.gid], OPS, ['Compliant', ''])).rejects.toMatchObject({ kind: 'invalid_config' });
    expect(w.counter.total).toBe(0);
    // An enum field needs an option: known only after the reads, so only reads were made.
    await expect(w.ensureEnumField(ws, [], 'Brand new', [])).rejects.toMatchObject({ kind: 'invalid_config', message: expect.stringContaining('at least one') });
    expect(Object.keys(w.counter.toJSON())).toEqual(['GET /workspaces/{gid}/custom_fields']);
  });

  it('a 429 on the way is rate_limited, and a rerun completes what is missing', async () => {
    const name = 'Ops status (retry)';
    fsim.control.injectFaults({ status: 429, method: 'POST', pathPrefix: '/projects/', retryAfterSeconds: 1 });
    await expect(fwriter().ensureEnumField(ws, [p1.gid, p2.gid], name, ['Compliant'])).rejects.toMatchObject({ kind: 'rate_limited' });
    expect(fsim.control.customFieldByName(name)?.projectGids).toEqual([]);
    const r = await fwriter().ensureEnumField(ws, [p1.gid, p2.gid], name, ['Compliant']);
    expect(r.created).toEqual({ field: false, options: [], projects: [p1.gid, p2.gid], reenabled: [] });
  });

  const freaderTask = async (gid: string) => AsanaTaskRaw.parse(await freader().task(gid));
});

describe('AsanaWriter.ensureEnumField on the wire', () => {
  // The request shapes, as the SDK sends them, against a loopback server that answers like an
  // empty workspace: the spec's bodies (asana_oas.yaml CustomFieldCreateRequest,
  // AddCustomFieldSettingRequest, EnumOptionRequest) and the query strings.
  let server: ReturnType<typeof createServer>;
  let url: string;
  const seen: { method: string; url: string; body: unknown }[] = [];
  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', body: raw ? JSON.parse(raw) : null });
        const path = (req.url ?? '').split('?')[0] ?? '';
        let data: unknown = { gid: '900', resource_type: 'custom_field_setting' };
        if (req.method === 'GET' && path.endsWith('/custom_fields')) data = [{ gid: '700', name: 'Ops status', resource_subtype: 'enum', enum_options: [{ gid: '701', name: 'Compliant', enabled: true }] }];
        else if (req.method === 'GET') data = [];
        else if (path.endsWith('/enum_options')) data = { gid: '702', resource_type: 'enum_option', name: 'Scope creep', enabled: true };
        else if (path.endsWith('/custom_fields')) {
          const sent = JSON.parse(raw) as { data: { name: string; enum_options: { name: string }[] } };
          data = { gid: '800', resource_type: 'custom_field', name: sent.data.name, resource_subtype: 'enum', enum_options: sent.data.enum_options.map((o, i) => ({ gid: String(801 + i), name: o.name, enabled: true })) };
        }
        res.writeHead(req.method === 'POST' && !path.endsWith('addCustomFieldSetting') ? 201 : 200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(req.method === 'GET' ? { data, next_page: null } : { data }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/1.0`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('reads with limit and opt_fields, adds an option and a project setting in the documented shapes', async () => {
    const w = new AsanaWriter({ token: 't', baseUrl: url, limiter: limiter() });
    const r = await w.ensureEnumField('1200', ['1300'], 'Ops status', ['Compliant', 'Scope creep']);
    expect(r).toEqual({ fieldGid: '700', options: { Compliant: '701', 'Scope creep': '702' }, created: { field: false, options: ['Scope creep'], projects: ['1300'], reenabled: [] } });
    const fields = 'name%2Cresource_subtype%2Ctype%2Cenum_options.name%2Cenum_options.enabled';
    expect(seen).toEqual([
      { method: 'GET', url: `/api/1.0/workspaces/1200/custom_fields?limit=100&opt_fields=${fields}`, body: null },
      { method: 'GET', url: `/api/1.0/projects/1300/custom_field_settings?limit=100&opt_fields=${fields.replace(/(^|%2C)/g, '$1custom_field.')}`, body: null },
      // asana@3.2.0 copies `opts` (body included) into the query string, as for addTask.
      { method: 'POST', url: '/api/1.0/custom_fields/700/enum_options?body=%5Bobject%20Object%5D&opt_fields=name%2Cenabled', body: { data: { name: 'Scope creep' } } },
      { method: 'POST', url: '/api/1.0/projects/1300/addCustomFieldSetting?opt_fields=is_important', body: { data: { custom_field: '700', is_important: true } } },
    ]);
  });

  it('creates a missing field as an enum with its options and notifications off', async () => {
    seen.length = 0;
    const w = new AsanaWriter({ token: 't', baseUrl: url, limiter: limiter() });
    const r = await w.ensureEnumField('1200', [], 'Brand status', ['Compliant', 'Scope creep']);
    expect(r).toEqual({ fieldGid: '800', options: { Compliant: '801', 'Scope creep': '802' }, created: { field: true, options: [], projects: [], reenabled: [] } });
    expect(seen.at(-1)).toEqual({
      method: 'POST',
      url: '/api/1.0/custom_fields?opt_fields=name%2Cresource_subtype%2Ctype%2Cenum_options.name%2Cenum_options.enabled',
      body: { data: { workspace: '1200', name: 'Brand status', resource_subtype: 'enum', enum_options: [{ name: 'Compliant' }, { name: 'Scope creep' }], has_notifications_enabled: false } },
    });
  });
});

describe('comment stamps through the simulator', () => {
  it('a stamped comment reads back with its stamp, in text and in html_text, and looks like the plain text', async () => {
    const task = taskAt(7);
    const text = 'Review overdue: client review has waited 4 working days.';
    const story = await writer().addComment(task.gid, stampText(text, '3f9a0c1d2e4b5a6f'));
    const back = ((await reader().stories(task.gid)) as { gid: string; text: string }[]).find((s) => s.gid === story.gid)!;
    expect(readStamp(back.text)).toBe('3f9a0c1d2e4b5a6f');
    expect(stripStamp(back.text)).toBe(text);
    const html = (await (await fetch(`${baseUrl}/stories/${story.gid}?opt_fields=html_text`, { headers: { Authorization: `Bearer ${SIM_DEFAULT_TOKEN}` } })).json()) as { data: { html_text: string } };
    expect(readStamp(html.data.html_text)).toBe('3f9a0c1d2e4b5a6f');
    expect(sim.control.storiesOf(task.gid).at(-1)).toMatchObject({ gid: story.gid, type: 'comment', authorEmail: 'ops-bot@lumenlark.example' });
  });

  it('a stamp alone is not a comment', async () => {
    const w = writer();
    await expect(w.addComment(taskAt(7).gid, stampText(' ', 'abcd'))).rejects.toMatchObject({ kind: 'invalid_config' });
    expect(w.counter.total).toBe(0);
  });
});
