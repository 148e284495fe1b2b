// The generator (determinism, shape, averages, ground truth) and the simulator's behaviour as a
// client sees it: pagination, events after every kind of edit, the 412 flow, the rate limit with
// Retry-After, faults, revoked tokens, corrupt records, and the official `asana` SDK end to end.

import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Asana from 'asana';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AgencyDataset,
  type AgencyTruth,
  type AsanaSimulator,
  DEFAULT_NOW,
  SECTION_NAMES,
  SIM_DEFAULT_TOKEN,
  createAsanaSimulator,
  generateAgency,
  startAsanaSimulatorFromCli,
} from './index';
import { type AnyRec, type EnumOptionRec, type ProjectRec, type TaskRec, isoTime } from './model';

type Json = Record<string, unknown>;

// ---- helpers ------------------------------------------------------------------------------------

function allTasks(d: AgencyDataset): TaskRec[] {
  return d.projects.flatMap((p) => p.tasks);
}

/** A digest of everything generated, so two datasets can be compared cheaply. */
function fingerprint(d: AgencyDataset, truth: AgencyTruth): string {
  const h = createHash('sha256');
  const ref = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(ref) : typeof v === 'object' && v !== null && 'gid' in v ? (v as AnyRec).gid : typeof v === 'object' && v !== null ? JSON.stringify(v) : v;
  for (const u of d.users) h.update(`${u.gid}|${u.name}|${u.email}|${u.role}|${u.client ?? ''}\n`);
  const visit = (t: TaskRec): void => {
    h.update(
      JSON.stringify([t.gid, t.name, t.notes, t.subtype, t.approvalStatus, t.completed, t.completedAt, t.assignee?.gid, t.dueOn, t.dueAt, t.createdAt, t.modifiedAt, t.section?.name, t.values.map(ref)]),
    );
    for (const s of t.stories) h.update(JSON.stringify([s.gid, s.subtype, s.createdAt, s.author.gid, s.text, ref(s.before), ref(s.after)]));
    for (const a of t.attachments) h.update(JSON.stringify([a.gid, a.name, a.host, a.createdAt, a.size, a.externalRef]));
    t.subtasks.forEach(visit);
  };
  for (const p of d.projects) {
    h.update(JSON.stringify([p.gid, p.name, p.createdAt, p.sections.map((s) => s.gid), p.settings.map((s) => s.field.gid)]));
    p.tasks.forEach(visit);
  }
  h.update(JSON.stringify([...truth.tasks.values()]));
  return h.digest('hex');
}

async function api(base: string, path: string, init: { method?: string; token?: string | null; json?: unknown } = {}) {
  const headers: Record<string, string> = {};
  const token = init.token === undefined ? SIM_DEFAULT_TOKEN : init.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (init.json !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method: init.method ?? 'GET', headers, body: init.json === undefined ? undefined : JSON.stringify(init.json) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
}

async function withSimulator<T>(options: Parameters<typeof createAsanaSimulator>[0], run: (sim: AsanaSimulator, base: string) => Promise<T>): Promise<T> {
  const sim = createAsanaSimulator(options);
  const { baseUrl } = await sim.start();
  try {
    return await run(sim, baseUrl);
  } finally {
    await sim.stop();
  }
}

// ---- the generator --------------------------------------------------------------------------------

describe('generateAgency', () => {
  const big = generateAgency({ seed: 'averages', tasks: 2_000 });

  it('is deterministic: the same seed gives the same dataset and truth, another seed does not', () => {
    const a = generateAgency({ seed: 11, tasks: 300 });
    const b = generateAgency({ seed: 11, tasks: 300 });
    const c = generateAgency({ seed: 12, tasks: 300 });
    expect(fingerprint(a.dataset, a.truth)).toBe(fingerprint(b.dataset, b.truth));
    expect(fingerprint(a.dataset, a.truth)).not.toBe(fingerprint(c.dataset, c.truth));
    expect(a.dataset.now).toBe(DEFAULT_NOW);
  });

  it('builds a creative agency: people, clients, campaign projects with stage sections and fields', () => {
    const d = big.dataset;
    expect(d.users.length).toBeGreaterThanOrEqual(25);
    expect(d.users.length).toBeLessThanOrEqual(60);
    const clients = new Set(d.users.filter((u) => u.role === 'client_reviewer').map((u) => u.email.split('@')[1]));
    expect(clients.size).toBeGreaterThanOrEqual(5);
    expect(clients.size).toBeLessThanOrEqual(12);
    for (const role of ['creative_director', 'designer', 'copywriter', 'account_manager', 'producer'] as const) {
      expect(d.users.some((u) => u.role === role && u.email.endsWith('@lumenlark.example'))).toBe(true);
    }
    expect(d.projects).toHaveLength(4);
    expect(generateAgency({ seed: 1, tasks: 50 }).dataset.projects).toHaveLength(2);
    expect(generateAgency({ seed: 1, tasks: 60, projects: 3 }).dataset.projects).toHaveLength(3);
    for (const p of d.projects) {
      expect(p.name).toMatch(/^[A-Z]+ — .+ \d{4}|^[A-Z]+ — .+/);
      expect(p.sections.map((s) => s.name)).toEqual([...SECTION_NAMES]);
      expect(p.settings.map((s) => `${s.field.name}:${s.field.type}`)).toEqual([
        'Stage:enum', 'Asset type:enum', 'Channels:multi_enum', 'Size:text', 'Asset key:text', 'Budget:number', 'Go-live:date', 'Reviewer:people',
      ]);
      expect(p.settings[0]?.field.options.map((o) => o.name)).toEqual([...SECTION_NAMES]);
    }
    const tasks = allTasks(d);
    expect(tasks).toHaveLength(2_000);
    expect(d.counts.tasks).toBe(2_000);
    expect(new Set(tasks.map((t) => t.section?.name))).toEqual(new Set(SECTION_NAMES));
    // The Stage field always equals the section.
    for (const t of tasks) expect((t.values[0] as EnumOptionRec).name).toBe(t.section?.name);
    expect(tasks.every((t) => !(t.dueOn !== null && t.dueAt !== null))).toBe(true);
    expect(tasks.some((t) => t.dueOn !== null) && tasks.some((t) => t.dueAt !== null) && tasks.some((t) => t.dueOn === null && t.dueAt === null)).toBe(true);
    expect(tasks.some((t) => t.assignee === null)).toBe(true);
    expect(tasks.filter((t) => t.subtype === 'milestone')).toHaveLength(4);
    const keys = tasks.map((t) => t.values[4]).filter((k): k is string => typeof k === 'string');
    expect(keys.every((k) => /^[A-Z]+_[A-Z0-9]+_[A-Z]+\d*-[\w-]+$/.test(k))).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
    // Approval subtasks: one per review round, the creative director inside, the client outside.
    const subtasks = tasks.flatMap((t) => t.subtasks);
    expect(subtasks.length).toBeGreaterThan(1_000);
    for (const s of subtasks) {
      expect(s.subtype).toBe('approval');
      expect(s.assignee?.role).toBe(s.name.includes('internal') ? 'creative_director' : 'client_reviewer');
      expect(s.completed).toBe(s.approvalStatus !== 'pending');
    }
    expect(new Set(subtasks.map((s) => s.approvalStatus))).toEqual(new Set(['approved', 'changes_requested', 'rejected', 'pending']));
    const hosts = tasks.flatMap((t) => t.attachments).map((a) => a.host);
    expect(new Set(hosts)).toEqual(new Set(['asana', 'gdrive', 'external']));
    expect(hosts.filter((h) => h === 'asana').length / hosts.length).toBeGreaterThan(0.7);
  });

  it('averages about 10 stories and 1 attachment per task', () => {
    const tasks = allTasks(big.dataset);
    const stories = tasks.reduce((n, t) => n + t.stories.length, 0) / tasks.length;
    const attachments = tasks.reduce((n, t) => n + t.attachments.length, 0) / tasks.length;
    expect(stories).toBeGreaterThan(8.5);
    expect(stories).toBeLessThan(12);
    expect(attachments).toBeGreaterThan(0.8);
    expect(attachments).toBeLessThan(1.2);
    const commenters = new Set(tasks.flatMap((t) => t.stories.filter((s) => s.subtype === 'comment_added').map((s) => s.author.gid)));
    expect(commenters.size).toBeGreaterThan(10);
  });

  it('records a ground truth that agrees with the stories, attachments and subtasks', () => {
    const { dataset, truth } = big;
    expect(truth.tasks.size).toBe(2_000);
    expect(truth.defaultStageMap.Briefing).toBe('brief');
    expect(truth.defaultStageMap['In Production']).toBe('in_progress');
    let revisions = 0;
    for (const task of allTasks(dataset)) {
      const t = truth.tasks.get(task.gid);
      if (!t) throw new Error(`no truth for ${task.gid}`);
      expect(t.projectGid).toBe(task.project?.gid);
      // Transitions are the section_changed stories, each with its Stage echo at the same instant.
      expect(t.transitions[0]).toEqual({ from: null, to: 'Briefing', at: isoTime(task.createdAt), storyGid: null });
      const moves = task.stories.filter((s) => s.subtype === 'section_changed');
      expect(t.transitions.slice(1).map((x) => x.storyGid)).toEqual(moves.map((s) => s.gid));
      t.transitions.slice(1).forEach((x, i) => {
        const s = moves[i];
        if (!s) throw new Error('missing story');
        expect([(s.before as { name: string }).name, (s.after as { name: string }).name, isoTime(s.createdAt)]).toEqual([x.from, x.to, x.at]);
        expect(task.stories.some((e) => e.subtype === 'enum_custom_field_changed' && e.createdAt === s.createdAt && (e.after as EnumOptionRec).name === x.to)).toBe(true);
        if (x.to === 'In Production' && (x.from === 'Internal Review' || x.from === 'Client Review')) revisions++;
      });
      expect(t.section).toBe(t.transitions[t.transitions.length - 1]?.to);
      expect(t.section).toBe(task.section?.name);
      // Versions are the attachments; the uploader is the author of the attachment_added story made at the same instant.
      expect(t.versions.map((v) => [v.attachmentGid, v.name, v.createdAt])).toEqual(task.attachments.map((a) => [a.gid, a.name, isoTime(a.createdAt)]));
      t.versions.forEach((v, i) => {
        expect(v.number).toBe(i + 1);
        const story = task.stories.find((s) => s.subtype === 'attachment_added' && isoTime(s.createdAt) === v.createdAt);
        expect(story?.author.email).toBe(v.uploaderEmail);
      });
      // Comments on the task and on its approval subtasks.
      const comments = [task, ...task.subtasks].flatMap((x) => x.stories.filter((s) => s.subtype === 'comment_added').map((s) => ({ s, on: x })));
      expect(new Set(t.comments.map((c) => `${c.storyGid}|${c.taskGid}|${c.authorEmail}|${c.createdAt}`))).toEqual(
        new Set(comments.map(({ s, on }) => `${s.gid}|${on.gid}|${s.author.email}|${isoTime(s.createdAt)}`)),
      );
      // Decisions are the decided approval subtasks, on the latest version uploaded before them.
      const decided = task.subtasks.filter((s) => s.approvalStatus !== 'pending');
      expect(t.decisions.map((x) => [x.subtaskGid, x.status, x.reviewerEmail, x.at])).toEqual(
        decided.map((s) => [s.gid, s.approvalStatus, s.assignee?.email, isoTime(s.completedAt ?? 0)]),
      );
      for (const x of t.decisions) {
        const before = t.versions.filter((v) => v.createdAt <= x.at).length;
        expect(x.versionNumber).toBe(before === 0 ? null : before);
      }
    }
    expect(revisions).toBeGreaterThan(100);
  });

  it('refuses sizes and dates it cannot honour', () => {
    expect(() => generateAgency({ seed: 1, tasks: 0 })).toThrow(/tasks/);
    expect(() => generateAgency({ seed: 1, tasks: 10, projects: 11 })).toThrow(/projects/);
    expect(() => generateAgency({ seed: 1, tasks: 10, now: 'not a date' })).toThrow(/now/);
  });
});

// ---- the simulator --------------------------------------------------------------------------------

describe('Asana simulator', () => {
  let sim: AsanaSimulator;
  let base: string;
  let project: ProjectRec;

  beforeAll(async () => {
    sim = createAsanaSimulator({ generate: { seed: 'sim', tasks: 400, projects: 2 } });
    base = (await sim.start()).baseUrl;
    project = sim.control.dataset.projects[0] as ProjectRec;
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('pages through a project to the end with no duplicates, even while tasks are added', async () => {
    const gids: string[] = [];
    let path: string | null = `/tasks?project=${project.gid}&limit=37&opt_fields=name,modified_at`;
    let added = false;
    while (path) {
      const page = await api(base, path);
      expect(page.status).toBe(200);
      gids.push(...(page.body.data as Json[]).map((t) => t.gid as string));
      const next = page.body.next_page as { path: string; uri: string; offset: string } | null;
      if (next) expect(next.uri).toBe(`${base}${next.path}`);
      path = next ? next.path : null;
      if (!added) {
        sim.control.createTask({ projectGid: project.gid, name: 'Late addition' });
        added = true;
      }
    }
    expect(new Set(gids).size).toBe(gids.length);
    expect(gids).toEqual(project.tasks.map((t) => t.gid));
    // Without a limit: everything at once and no next_page (the property is only there with limit).
    const all = await api(base, `/projects/${project.gid}/tasks`);
    expect((all.body.data as unknown[]).length).toBe(project.tasks.length);
    expect('next_page' in all.body).toBe(false);
    // Stories page too.
    const task = project.tasks.find((t) => t.stories.length > 7) as TaskRec;
    const stories: string[] = [];
    let next: string | null = `/tasks/${task.gid}/stories?limit=3`;
    while (next) {
      const page = await api(base, next);
      stories.push(...(page.body.data as Json[]).map((s) => s.gid as string));
      next = (page.body.next_page as { path: string } | null)?.path ?? null;
    }
    expect(stories).toEqual(task.stories.map((s) => s.gid));
  });

  it('truncates unpaginated lists at 1,000 items, as Asana documents', async () => {
    await withSimulator({ generate: { seed: 4, tasks: 2_100, projects: 2 } }, async (s, b) => {
      const p = s.control.dataset.projects[0] as ProjectRec;
      const all = await api(b, `/projects/${p.gid}/tasks`);
      expect(p.tasks.length).toBe(1_050);
      expect((all.body.data as unknown[]).length).toBe(1_000);
    });
  });

  it('rejects bad limits and offsets it did not issue', async () => {
    for (const limit of ['0', '101', 'ten']) {
      const r = await api(base, `/tasks?project=${project.gid}&limit=${limit}`);
      expect(r.status).toBe(400);
      expect((r.body.errors as Json[])[0]?.message).toMatch(/limit/);
    }
    const page = await api(base, `/tasks?project=${project.gid}&limit=5`);
    const offset = (page.body.next_page as { offset: string }).offset;
    const forged = offset.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await api(base, `/tasks?project=${project.gid}&limit=5&offset=${forged}`)).status).toBe(400);
    const other = sim.control.dataset.projects[1] as ProjectRec;
    expect((await api(base, `/tasks?project=${other.gid}&limit=5&offset=${offset}`)).status).toBe(400);
    expect((await api(base, `/tasks?project=${project.gid}&limit=5&offset=${offset}`)).status).toBe(200);
  });

  it('answers unknown gids with 404 in Asana wording', async () => {
    const r = await api(base, '/tasks/1200000000000042');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ errors: [{ message: 'task: Unknown object: 1200000000000042', help: expect.stringContaining('errors') }] });
    expect((await api(base, `/projects/${project.tasks[0]?.gid ?? ''}`)).status).toBe(404);
  });

  it('emits events for every kind of edit, bubbling up to the project', async () => {
    const start = await api(base, `/events?resource=${project.gid}`);
    expect(start.status).toBe(412);
    let sync = start.body.sync as string;
    const next = async (): Promise<Json[]> => {
      const r = await api(base, `/events?resource=${project.gid}&sync=${encodeURIComponent(sync)}`);
      expect(r.status).toBe(200);
      sync = r.body.sync as string;
      return r.body.data as Json[];
    };
    const c = sim.control;
    const task = project.tasks.find((t) => t.subtype === 'default_task' && t.section?.name === 'In Production' && t.subtasks.length > 0) as TaskRec;
    const modifiedBefore = task.modifiedAt;

    c.renameTask(task.gid, 'Renamed banner');
    let events = await next();
    expect(events).toContainEqual(expect.objectContaining({ action: 'changed', resource: expect.objectContaining({ gid: task.gid, resource_type: 'task' }), change: { field: 'name', action: 'changed' } }));
    expect(events).toContainEqual(expect.objectContaining({ action: 'added', resource: expect.objectContaining({ resource_type: 'story', resource_subtype: 'name_changed' }), parent: expect.objectContaining({ gid: task.gid, resource_type: 'task' }) }));
    expect(task.modifiedAt).toBeGreaterThan(modifiedBefore);

    c.moveTaskToSection(task.gid, 'Internal Review');
    events = await next();
    expect(events.map((e) => `${String(e.action)}:${String((e.resource as Json).resource_subtype)}:${String((e.parent as Json | null)?.resource_type)}`)).toEqual([
      'added:section_changed:task',
      'removed:default_task:section',
      'added:default_task:section',
      'added:enum_custom_field_changed:task',
      'changed:default_task:undefined',
    ]);
    expect(c.truthOf(task.gid)?.section).toBe('Internal Review');

    const commentGid = c.addComment(task.gid, 'Please check the logo size.');
    events = await next();
    expect(events).toEqual([expect.objectContaining({ action: 'added', resource: { gid: commentGid, resource_type: 'story', resource_subtype: 'comment_added' }, parent: expect.objectContaining({ gid: task.gid }) })]);

    const attachmentGid = c.addAttachment(task.gid, 'X_v09.psd');
    events = await next();
    expect(events.map((e) => (e.resource as Json).resource_type)).toEqual(['attachment', 'story']);
    expect((events[0]?.resource as Json).gid).toBe(attachmentGid);

    const sub = task.subtasks[task.subtasks.length - 1] as TaskRec;
    c.setApprovalStatus(sub.gid, 'approved', sub.assignee?.gid);
    events = await next();
    expect(events).toContainEqual(expect.objectContaining({ action: 'changed', resource: expect.objectContaining({ gid: sub.gid, resource_subtype: 'approval' }), change: { field: 'approval_status', action: 'changed' } }));
    expect(events).toContainEqual(expect.objectContaining({ resource: expect.objectContaining({ resource_subtype: 'approval_status_changed' }), parent: expect.objectContaining({ gid: sub.gid }) }));
    expect(c.truthOf(task.gid)?.decisions.at(-1)).toMatchObject({ subtaskGid: sub.gid, status: 'approved', reviewerEmail: sub.assignee?.email });

    const createdGid = c.createTask({ projectGid: project.gid, name: 'Fresh asset', section: 'Briefing' });
    events = await next();
    expect(events).toContainEqual(expect.objectContaining({ action: 'added', resource: expect.objectContaining({ gid: createdGid }), parent: expect.objectContaining({ gid: project.gid, resource_type: 'project' }) }));

    c.deleteTask(createdGid);
    events = await next();
    expect(events).toEqual([expect.objectContaining({ action: 'deleted', resource: expect.objectContaining({ gid: createdGid }), parent: null })]);
    expect((await api(base, `/tasks/${createdGid}`)).status).toBe(404);
    expect(c.truthOf(createdGid)?.deleted).toBe(true);

    // The same edits through the write endpoints, as the write-back will make them.
    const put = await api(base, `/tasks/${task.gid}?opt_fields=name,modified_at`, { method: 'PUT', json: { data: { name: 'Renamed again', due_on: '2026-12-24' } } });
    expect(put.status).toBe(200);
    expect((put.body.data as Json).name).toBe('Renamed again');
    events = await next();
    expect(events.filter((e) => e.action === 'changed').map((e) => (e.change as Json).field)).toEqual(
      task.stories.at(-1)?.before && (task.stories.at(-1)?.before as { dueAt: number | null }).dueAt !== null ? ['name', 'due_on', 'due_at'] : ['name', 'due_on'],
    );
    const stories = task.stories.slice(-2).map((s) => s.subtype);
    expect(stories).toEqual(['name_changed', 'due_date_changed']);
    expect(task.stories.at(-1)?.author).toBe(sim.control.dataset.users[0]);

    // modified_since finds the edited task.
    const since = isoTime(task.modifiedAt - 1);
    const changed = await api(base, `/tasks?project=${project.gid}&modified_since=${since}&limit=100`);
    expect((changed.body.data as Json[]).map((t) => t.gid)).toEqual([task.gid]);
  });

  it('pages events 100 at a time and replays a token as often as it is used', async () => {
    const first = await api(base, `/events?resource=${project.gid}`);
    const token = first.body.sync as string;
    const task = project.tasks[10] as TaskRec;
    for (let i = 0; i < 120; i++) sim.control.addComment(task.gid, `note ${i}`);
    const a = await api(base, `/events?resource=${project.gid}&sync=${encodeURIComponent(token)}`);
    const b = await api(base, `/events?resource=${project.gid}&sync=${encodeURIComponent(token)}`);
    expect((a.body.data as unknown[]).length).toBe(100);
    expect(a.body.has_more).toBe(true);
    expect(b.body.data).toEqual(a.body.data);
    const rest = await api(base, `/events?resource=${project.gid}&sync=${encodeURIComponent(a.body.sync as string)}`);
    expect((rest.body.data as unknown[]).length).toBe(20);
    expect(rest.body.has_more).toBe(false);
    // A task has its own stream, which starts (as every stream does) with a 412 and a token.
    const own = await api(base, `/events?resource=${task.gid}`);
    expect(own.status).toBe(412);
    sim.control.addComment(task.gid, 'one more');
    const mine = await api(base, `/events?resource=${task.gid}&sync=${encodeURIComponent(own.body.sync as string)}`);
    expect((mine.body.data as Json[]).map((e) => (e.resource as Json).resource_subtype)).toEqual(['comment_added']);
  });

  it('412: no token, a forged token, an expired token, and after expireSyncTokens()', async () => {
    let now = Date.parse('2026-11-21T09:00:00Z');
    await withSimulator({ generate: { seed: 5, tasks: 60 }, clock: () => now, syncTokenTtlMs: 60_000 }, async (s, b) => {
      const p = s.control.dataset.projects[0] as ProjectRec;
      const url = (sync?: string) => `/events?resource=${p.gid}${sync ? `&sync=${encodeURIComponent(sync)}` : ''}`;
      const none = await api(b, url());
      expect(none.status).toBe(412);
      expect(none.body.errors).toEqual([{ message: expect.stringMatching(/^Sync token invalid or too old/) }]);
      const token = none.body.sync as string;
      expect((await api(b, url(token))).status).toBe(200);
      expect((await api(b, url(`${token}x`))).status).toBe(412);
      now += 61_000;
      const expired = await api(b, url(token));
      expect(expired.status).toBe(412);
      const fresh = expired.body.sync as string;
      expect((await api(b, url(fresh))).status).toBe(200);
      s.control.expireSyncTokens();
      expect((await api(b, url(fresh))).status).toBe(412);
      // A token for one resource does not open another's stream.
      const other = s.control.dataset.projects[1] as ProjectRec;
      expect((await api(b, `/events?resource=${other.gid}&sync=${encodeURIComponent(fresh)}`)).status).toBe(412);
    });
  });

  it('rate limit: 429 with Retry-After, rejected requests count, early retries are recorded', async () => {
    let now = Date.parse('2026-11-21T09:00:00Z');
    await withSimulator({ generate: { seed: 5, tasks: 60 }, clock: () => now, rateLimitPerMinute: 3 }, async (s, b) => {
      for (let i = 0; i < 3; i++) expect((await api(b, '/users/me')).status).toBe(200);
      const limited = await api(b, '/users/me');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('60');
      expect(limited.body).toEqual({ errors: [{ message: "You've made too many requests and hit a rate limit. Please retry after the given amount of time." }] });
      now += 10_000;
      const early = await api(b, '/users/me');
      expect(early.status).toBe(429);
      expect(early.headers.get('retry-after')).toBe('50');
      now += 50_000;
      expect((await api(b, '/users/me')).status).toBe(200);
      const calls = s.control.calls();
      expect(calls).toMatchObject({ total: 6, rateLimited: 2, earlyRetries: 1 });
      expect(calls.byRoute['GET /users/me']).toBe(6);
      // Another token has its own window.
      s.control.addToken('reviewer-token', s.control.dataset.users[5]?.gid as string);
      expect((await api(b, '/users/me', { token: 'reviewer-token' })).status).toBe(200);
      s.control.setRateLimit(null);
      for (let i = 0; i < 10; i++) expect((await api(b, '/users/me')).status).toBe(200);
    });
  });

  it('injects faults by method and path, then recovers', async () => {
    const c = sim.control;
    c.resetCalls();
    // A client that ignores Retry-After is caught.
    c.injectFaults({ status: 429, pathPrefix: '/users', retryAfterSeconds: 30 });
    const limited = await api(base, '/users/me');
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '30']);
    expect((await api(base, '/users/me')).status).toBe(200);
    expect(c.calls()).toMatchObject({ rateLimited: 1, earlyRetries: 1 });

    c.injectFaults({ status: 503, times: 2, pathPrefix: '/tasks', retryAfterSeconds: 3 });
    const task = project.tasks[3] as TaskRec;
    const a = await api(base, `/tasks/${task.gid}`);
    expect([a.status, a.headers.get('retry-after')]).toEqual([503, '3']);
    expect((await api(base, `/tasks/${task.gid}/stories`)).status).toBe(503);
    expect((await api(base, `/tasks/${task.gid}`)).status).toBe(200);
    c.injectFaults({ status: 500, method: 'PUT' });
    expect((await api(base, `/tasks/${task.gid}`)).status).toBe(200);
    const failed = await api(base, `/tasks/${task.gid}`, { method: 'PUT', json: { data: { name: 'x' } } });
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({ errors: [{ message: 'Server Error', phrase: expect.stringMatching(/^\d+ \w+ \w+ \w+ \w+$/) }] });
    expect(task.name).not.toBe('x');
    c.injectFaults({ status: 401, pathPrefix: '/api/1.0/projects' });
    expect(await api(base, `/projects/${project.gid}`)).toMatchObject({ status: 401, body: { errors: [{ message: 'Not Authorized' }] } });
    expect((await api(base, `/projects/${project.gid}`)).status).toBe(200);
    expect(c.calls().byStatus).toMatchObject({ 503: 2, 500: 1, 429: 1, 401: 1 });
  });

  it('a revoked token gets 401 Not Authorized, as does a missing one', async () => {
    await withSimulator({ generate: { seed: 9, tasks: 50 } }, async (s, b) => {
      expect((await api(b, '/users/me')).status).toBe(200);
      expect(await api(b, '/users/me', { token: null })).toMatchObject({ status: 401, body: { errors: [{ message: 'Not Authorized' }] } });
      s.control.revokeToken(SIM_DEFAULT_TOKEN);
      expect(await api(b, '/users/me')).toMatchObject({ status: 401, body: { errors: [{ message: 'Not Authorized' }] } });
    });
  });

  it('serves a corrupt record on request and the real one afterwards', async () => {
    const task = project.tasks[6] as TaskRec;
    sim.control.corruptTask(task.gid, { name: 42, memberships: 'x' });
    const list = await api(base, `/tasks?project=${project.gid}&limit=20&opt_fields=name,memberships.section.name`);
    const bad = (list.body.data as Json[]).find((t) => t.gid === task.gid);
    expect(bad).toMatchObject({ name: 42, memberships: 'x' });
    expect(((await api(base, `/tasks/${task.gid}`)).body.data as Json).name).toBe(42);
    sim.control.corruptTask(task.gid, null);
    expect(((await api(base, `/tasks/${task.gid}`)).body.data as Json).name).toBe(task.name);
  });

  it('is driveable over HTTP under /_sim', async () => {
    const root = base.replace(/\/api\/1\.0$/, '');
    const info = (await (await fetch(`${root}/_sim/info`)).json()) as Json;
    expect(info).toMatchObject({ defaultToken: SIM_DEFAULT_TOKEN, workspace: { gid: sim.control.dataset.workspace.gid } });
    const task = project.tasks[8] as TaskRec;
    const post = (path: string, body: unknown) => fetch(`${root}/_sim${path}`, { method: 'POST', body: JSON.stringify(body) });
    expect((await post(`/tasks/${task.gid}/rename`, { name: 'Renamed over HTTP' })).status).toBe(200);
    expect(task.name).toBe('Renamed over HTTP');
    const comment = (await (await post(`/tasks/${task.gid}/comments`, { text: 'hi' })).json()) as Json;
    expect(task.stories.at(-1)?.gid).toBe(comment.gid);
    expect((await post('/rate-limit', { perMinute: 1 })).status).toBe(200);
    await api(base, '/users/me');
    expect((await api(base, '/users/me')).status).toBe(429);
    expect((await post('/rate-limit', { perMinute: null })).status).toBe(200);
    const truth = (await (await fetch(`${root}/_sim/truth/tasks/${task.gid}`)).json()) as Json;
    expect(truth.taskGid).toBe(task.gid);
    const calls = (await (await fetch(`${root}/_sim/calls`)).json()) as Json;
    expect(calls.total).toBeGreaterThan(0);
    // The temporary download_url of an asana-hosted file answers with bytes.
    const withFile = project.tasks.find((t) => t.attachments.some((a) => a.host === 'asana')) as TaskRec;
    const att = withFile.attachments.find((a) => a.host === 'asana');
    const meta = await api(base, `/attachments/${att?.gid ?? ''}`);
    const download = await fetch((meta.body.data as Json).download_url as string);
    expect(download.status).toBe(200);
    expect(await download.text()).toContain(att?.name);
  });

  it('custom field definitions: created, extended and added to a project as Asana would, then written and read back', async () => {
    const ws = sim.control.dataset.workspace.gid;
    const other = sim.control.dataset.projects[1] as ProjectRec;
    const before = sim.control.calls().byRoute;
    const created = await api(base, '/custom_fields', { method: 'POST', json: { data: { workspace: ws, name: 'Ops status', resource_subtype: 'enum', enum_options: [{ name: 'Compliant' }, { name: 'Scope creep' }] } } });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toMatch(new RegExp(`/api/1\\.0/custom_fields/${String((created.body.data as Json).gid)}$`));
    const field = created.body.data as { gid: string; enum_options: { gid: string; name: string; color: string; enabled: boolean }[] };
    expect(field.enum_options.map((o) => [o.name, o.color, o.enabled])).toEqual([['Compliant', 'none', true], ['Scope creep', 'none', true]]);

    // Options: placed by insert_after; 400 for both anchors, an unknown anchor, a bad colour; a
    // single-select field keeps at least one enabled option.
    const after = await api(base, `/custom_fields/${field.gid}/enum_options`, { method: 'POST', json: { data: { name: 'Approval missing', insert_after: field.enum_options[0]?.gid } } });
    expect(after.status).toBe(201);
    expect(sim.control.customFieldByName('Ops status')?.options.map((o) => o.name)).toEqual(['Compliant', 'Approval missing', 'Scope creep']);
    for (const data of [{ name: 'x', insert_before: field.enum_options[0]?.gid, insert_after: field.enum_options[1]?.gid }, { name: 'x', insert_before: '123' }, { name: 'x', color: 'plaid' }, { name: '' }]) {
      expect((await api(base, `/custom_fields/${field.gid}/enum_options`, { method: 'POST', json: { data } })).status).toBe(400);
    }
    const textField = sim.control.dataset.customFields.find((f) => f.type === 'text') as { gid: string };
    expect((await api(base, `/custom_fields/${textField.gid}/enum_options`, { method: 'POST', json: { data: { name: 'x' } } })).status).toBe(400);
    const lone = sim.control.createCustomField({ name: 'Lone', type: 'enum', options: ['Only'] });
    const only = sim.control.customFieldByName('Lone')?.options[0]?.gid ?? '';
    expect((await api(base, `/enum_options/${only}`, { method: 'PUT', json: { data: { enabled: false } } })).body).toMatchObject({ errors: [{ message: expect.stringContaining('at least one enabled') }] });
    expect(lone).toMatch(/^\d+$/);

    // The library lists it; projects get it through a setting, with an empty value on every task.
    const library = await api(base, `/workspaces/${ws}/custom_fields?limit=100&opt_fields=name,resource_subtype`);
    expect((library.body.data as Json[]).map((f) => f.name)).toContain('Ops status');
    const setting = await api(base, `/projects/${project.gid}/addCustomFieldSetting`, { method: 'POST', json: { data: { custom_field: field.gid, is_important: true } } });
    expect(setting.status).toBe(200);
    expect(setting.body.data).toMatchObject({ resource_type: 'custom_field_setting', is_important: true, custom_field: { gid: field.gid, name: 'Ops status' }, project: { gid: project.gid } });
    const task = project.tasks.find((t) => t.subtype === 'default_task' && !t.deleted) as TaskRec;
    expect(sim.control.taskCustomFieldValue(task.gid, 'Ops status')).toBeNull();
    const stories = task.stories.length;
    const put = await api(base, `/tasks/${task.gid}?opt_fields=custom_fields.name,custom_fields.enum_value.name`, { method: 'PUT', json: { data: { custom_fields: { [field.gid]: field.enum_options[1]?.gid } } } });
    expect(((put.body.data as Json).custom_fields as Json[]).find((f) => f.gid === field.gid)).toMatchObject({ name: 'Ops status', enum_value: { name: 'Scope creep' } });
    expect(sim.control.taskCustomFieldValue(task.gid, 'Ops status')).toBe('Scope creep');
    expect(sim.control.storiesOf(task.gid).slice(stories)).toEqual([
      expect.objectContaining({ resourceSubtype: 'enum_custom_field_changed', customField: 'Ops status', oldValue: null, newValue: 'Scope creep', authorEmail: 'ops-bot@lumenlark.example' }),
    ]);
    // …but not on a task of a project without the setting, nor on a subtask (custom field settings
    // reach one level: the project's own tasks).
    const foreign = other.tasks.find((t) => !t.deleted) as TaskRec;
    const refused = await api(base, `/tasks/${foreign.gid}`, { method: 'PUT', json: { data: { custom_fields: { [field.gid]: field.enum_options[0]?.gid } } } });
    expect([refused.status, ((refused.body.errors as Json[])[0] as Json).message]).toEqual([400, `custom_fields: Custom field ${field.gid} is not on this task's projects`]);
    const sub = project.tasks.find((t) => t.subtasks.length > 0)?.subtasks[0] as TaskRec;
    expect((await api(base, `/tasks/${sub.gid}`, { method: 'PUT', json: { data: { custom_fields: { [field.gid]: field.enum_options[0]?.gid } } } })).status).toBe(400);
    // Twice on one project, a duplicate name, a reference field: 400s.
    expect((await api(base, `/projects/${project.gid}/addCustomFieldSetting`, { method: 'POST', json: { data: { custom_field: field.gid } } })).status).toBe(400);
    expect((await api(base, '/custom_fields', { method: 'POST', json: { data: { workspace: ws, name: 'OPS STATUS', resource_subtype: 'text' } } })).status).toBe(400);
    expect((await api(base, '/custom_fields', { method: 'POST', json: { data: { workspace: ws, name: 'Refs', resource_subtype: 'reference' } } })).status).toBe(400);
    expect((await api(base, '/custom_fields', { method: 'POST', json: { data: { workspace: ws, name: 'No options', resource_subtype: 'enum', enum_options: [] } } })).status).toBe(400);

    // An inline definition makes a project-local field, which the library listing leaves out.
    const local = await api(base, `/projects/${other.gid}/addCustomFieldSetting?opt_fields=custom_field.name,custom_field.is_global_to_workspace`, {
      method: 'POST',
      json: { data: { custom_field: { workspace: ws, name: 'Local notes', resource_subtype: 'text' } } },
    });
    expect(local.body.data).toMatchObject({ custom_field: { name: 'Local notes', is_global_to_workspace: false } });
    const all = await api(base, `/workspaces/${ws}/custom_fields?limit=100`);
    expect((all.body.data as Json[]).map((f) => f.name)).not.toContain('Local notes');

    const now = sim.control.calls().byRoute;
    const delta = (k: string) => (now[k] ?? 0) - (before[k] ?? 0);
    expect([delta('POST /custom_fields'), delta('POST /projects/{gid}/addCustomFieldSetting'), delta('GET /workspaces/{gid}/custom_fields'), delta('PUT /enum_options/{gid}')]).toEqual([4, 3, 2, 1]);

    // The same over HTTP under /_sim.
    const root = base.replace(/\/api\/1\.0$/, '');
    const info = (await (await fetch(`${root}/_sim/custom-fields?name=${encodeURIComponent('Ops status')}`)).json()) as Json;
    expect(info).toMatchObject({ gid: field.gid, type: 'enum', global: true, projectGids: [project.gid] });
    const value = (await (await fetch(`${root}/_sim/tasks/${task.gid}/custom-field?name=${encodeURIComponent('Ops status')}`)).json()) as Json;
    expect(value).toEqual({ value: 'Scope creep' });
    const storyList = (await (await fetch(`${root}/_sim/tasks/${task.gid}/stories`)).json()) as Json[];
    expect(storyList.at(-1)).toMatchObject({ resourceSubtype: 'enum_custom_field_changed', newValue: 'Scope creep' });
    const made = (await (await fetch(`${root}/_sim/custom-fields`, { method: 'POST', body: JSON.stringify({ name: 'Via HTTP', type: 'enum', options: ['A', 'B'], projectGids: [other.gid] }) })).json()) as Json;
    const optionB = sim.control.customFieldByName('Via HTTP')?.options[1]?.gid ?? '';
    expect((await fetch(`${root}/_sim/enum-options/${optionB}`, { method: 'POST', body: JSON.stringify({ enabled: false }) })).status).toBe(200);
    expect(sim.control.customFieldByName('Via HTTP')).toMatchObject({ gid: made.gid, projectGids: [other.gid], options: [{ enabled: true }, { enabled: false }] });
    expect((await fetch(`${root}/_sim/custom-fields?name=nope`)).status).toBe(404);
  });

  it('works with the official asana SDK end to end', async () => {
    const client = new Asana.ApiClient();
    client.basePath = base;
    (client.authentications.token as { accessToken?: string }).accessToken = SIM_DEFAULT_TOKEN;
    const tasksApi = new Asana.TasksApi(client);
    const other = sim.control.dataset.projects[1] as ProjectRec;
    let collection = await tasksApi.getTasks({ project: other.gid, limit: 100, opt_fields: 'name,memberships.section.name,assignee.email' });
    const seen: string[] = [];
    for (;;) {
      seen.push(...(collection.data as Json[]).map((t) => t.gid as string));
      const next = await collection.nextPage();
      if (!next.data) break;
      collection = next;
    }
    expect(seen).toEqual(other.tasks.map((t) => t.gid));

    const eventsApi = new Asana.EventsApi(client);
    const sync = await eventsApi.getEvents(other.gid, {}).then(
      () => {
        throw new Error('expected a 412');
      },
      (err: { status: number; response: { body: { sync: string } } }) => {
        expect(err.status).toBe(412);
        return err.response.body.sync;
      },
    );
    const task = other.tasks[5] as TaskRec;
    await tasksApi.updateTask({ data: { name: 'Renamed by the SDK' } }, task.gid, {});
    await new Asana.StoriesApi(client).createStoryForTask({ data: { text: 'Comment by the SDK' } }, task.gid, {});
    const target = other.sections.find((s) => s !== task.section);
    await new Asana.SectionsApi(client).addTaskForSection(target?.gid ?? '', { body: { data: { task: task.gid } } });
    const dir = mkdtempSync(join(tmpdir(), 'asana-sim-'));
    writeFileSync(join(dir, 'X_v05.psd'), 'bytes');
    // The SDK's .d.ts types `file` as a string, but a string is sent as a plain form field; the
    // upload needs a stream (ApiClient.isFileParam).
    const file = createReadStream(join(dir, 'X_v05.psd')) as unknown as string;
    const uploaded = await new Asana.AttachmentsApi(client).createAttachmentForObject({ parent: task.gid, file });
    expect((uploaded.data as Json).name).toBe('X_v05.psd');
    const events = await eventsApi.getEvents(other.gid, { sync });
    const kinds = (events.data as Json[]).map((e) => `${String(e.action)}:${String((e.resource as Json).resource_subtype)}`);
    expect(kinds).toEqual(
      expect.arrayContaining(['changed:default_task', 'added:name_changed', 'added:comment_added', 'added:section_changed', 'added:asana', 'added:attachment_added']),
    );
    expect(events._response.has_more).toBe(false);
    expect(typeof events._response.sync).toBe('string');
    expect(task.section).toBe(target);
  });

  it('starts from the CLI helper with a workspace and token to print', async () => {
    const started = await startAsanaSimulatorFromCli({ tasks: 50, seed: 3 });
    try {
      expect(started.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/1\.0$/);
      const me = await api(started.baseUrl, '/users/me', { token: started.token });
      expect((me.body.data as Json).email).toBe('ops-bot@lumenlark.example');
      const ws = await api(started.baseUrl, '/workspaces', { token: started.token });
      expect((ws.body.data as Json[])[0]?.gid).toBe(started.workspaceGid);
    } finally {
      await started.stop();
    }
  });
});
