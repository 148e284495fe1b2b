import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Asset, Comment, Decision, Person, StageTransition, Version } from '../../mapping/model';
import { personId, stableId } from '../../mapping/ids';
import { roleResolver } from '../../mapping/config';
import { normalizeProject, normalizeTaskBundle, type AsanaNormalizeContext } from './normalize';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));
const STAGE_MAP = {
  Briefing: 'brief', 'In Production': 'in_progress', 'Internal Review': 'internal_review', 'Client Review': 'client_review',
  Approved: 'approved', Delivered: 'delivered', 'On Hold': 'on_hold', Cancelled: 'cancelled',
};
const ctx: AsanaNormalizeContext = {
  connectionId: 'agency-asana',
  project: { gid: '1204000', id: stableId('agency-asana', 'asana_project', '1204000') },
  stage: { source: { from: 'section' }, map: STAGE_MAP },
  rolesOf: roleResolver({ people: [{ email: 'dana.whitfield@northwind-creative.com', roles: ['creative_director'] }, { domain: 'acme.example', roles: ['client'] }] }),
};
const fullBundle = () => ({
  task: fixture('task-full'),
  stories: fixture('stories') as unknown[],
  attachments: fixture('attachments') as unknown[],
  subtasks: fixture('subtasks') as { task: unknown; stories?: unknown[] }[],
});

describe('Asana normalize', () => {
  it('maps a task with every custom field type into an asset in its canonical stage', () => {
    const b = normalizeTaskBundle(fullBundle(), ctx);
    expect(b.rejected).toEqual([]);
    expect(b.assets).toHaveLength(1);
    const a = b.assets[0]!;
    expect(Asset.parse(a)).toBeTruthy();
    expect(a.id).toBe(stableId('agency-asana', 'asana_task', '1205001'));
    expect(a).toMatchObject({
      name: 'Holiday banner 300x250', stage: 'client_review', sourceStatus: 'Client Review', assetType: 'Display banner',
      dueOn: '2026-10-20', dueAt: null, completedAt: null, url: 'https://app.asana.com/0/1204000/1205001',
      ownerId: personId('maya.okafor@northwind-creative.com', 'agency-asana', '1100001'),
    });
    expect(a.fields).toEqual({
      Stage: 'Client Review', 'Asset type': 'Display banner', Channels: ['Display', 'Social'], Size: '300x250',
      'Asset key': 'ACME_HOLIDAY_BANNER-300x250', Budget: 1200, 'Go-live': '2026-11-28', Reviewer: ['jon.reyes@acme.example'],
    });
    expect(b.links.find((l) => l.kind === 'asana_task')).toMatchObject({ assetId: a.id, externalId: '1205001', via: 'primary' });
  });

  it('keeps a null assignee, due_at instead of due_on, and empty custom fields', () => {
    const b = normalizeTaskBundle({ task: fixture('task-minimal') }, ctx);
    expect(b.rejected).toEqual([]);
    expect(b.assets[0]).toMatchObject({ ownerId: null, dueOn: null, dueAt: '2026-10-03T17:00:00.000Z', completedAt: '2026-10-02T11:00:00.000Z', stage: 'delivered', assetType: null });
    expect(b.assets[0]!.fields).toEqual({ Stage: null, Size: null, Reviewer: [] });
    // Nothing but the task was fetched: no history or child list is claimed complete.
    expect(b.transitions).toEqual([]);
    expect(b.complete).toEqual([]);
  });

  it('turns section_changed stories into stage transitions with their real timestamps, after an initial stage', () => {
    const b = normalizeTaskBundle(fullBundle(), ctx);
    const t = b.transitions.map((x) => StageTransition.parse(x)).map((x) => [x.source, x.fromStage, x.toStage, x.at]);
    expect(t).toEqual([
      ['initial', null, 'brief', '2026-09-01T09:15:00.000Z'],
      ['vendor_history', 'brief', 'in_progress', '2026-09-03T10:00:00.000Z'],
      ['vendor_history', 'in_progress', 'internal_review', '2026-09-10T14:31:00.000Z'],
      ['vendor_history', 'internal_review', 'client_review', '2026-09-16T10:00:00.000Z'],
    ]);
  });

  it('reads the stage from an enum custom field when configured so', () => {
    const b = normalizeTaskBundle(fullBundle(), { ...ctx, stage: { source: { from: 'custom_field', field: 'Stage' }, map: STAGE_MAP } });
    expect(b.assets[0]!.stage).toBe('client_review');
    expect(b.transitions.map((x) => [x.fromStatus, x.toStatus])).toEqual([[null, 'Internal Review'], ['Internal Review', 'Client Review']]);
  });

  it('keeps comments (system stories are not comments), with authors matched by email; a comment without author keeps a null author', () => {
    const b = normalizeTaskBundle(fullBundle(), ctx);
    const comments = b.comments.map((c) => Comment.parse(c));
    expect(comments.map((c) => [c.body, c.threadExternalId])).toEqual([
      ['Logo is too small on the 300x250; please bump it.', null],
      ['Sent to the client.', null],
      ['Tighten the headline kerning.', '1206001'],
    ]);
    expect(comments[0]!.authorId).toBe(personId('dana.whitfield@northwind-creative.com', 'x', 'y'));
    expect(comments[1]!.authorId).toBeNull();
  });

  it('numbers attachments as versions by upload time, external and Drive-hosted ones included, with the uploader from the attachment story', () => {
    const b = normalizeTaskBundle(fullBundle(), ctx);
    const versions = b.versions.map((v) => Version.parse(v));
    expect(versions.map((v) => [v.number, v.name, v.host, v.url])).toEqual([
      [1, 'Moodboard', 'external', 'https://www.figma.com/file/abc/Moodboard'],
      [2, 'ACME_HOLIDAY_BANNER-300x250_v01.psd', 'asana', 'https://app.asana.com/app/asana/-/get_asset?asset_id=1500001'],
      [3, 'ACME_HOLIDAY_BANNER-300x250_v02.psd', 'gdrive', 'https://drive.google.com/file/d/1AbCdEfGhIjK/view'],
    ]);
    const maya = personId('maya.okafor@northwind-creative.com', 'x', 'y');
    expect(versions.map((v) => v.createdById)).toEqual([null, maya, maya]);
    // The short-lived download_url is never what we keep as the version's address.
    expect(JSON.stringify(versions.map((v) => v.url))).not.toContain('X-Amz-Expires');
    expect(b.complete).toContainEqual({ kind: 'version', assetId: versions[0]!.assetId, scope: 'all', ids: versions.map((v) => v.id) });
  });

  it('turns approval subtasks into decisions with reviewer and role; plain subtasks are not decisions', () => {
    const b = normalizeTaskBundle(fullBundle(), ctx);
    const d = b.decisions.map((x) => Decision.parse(x));
    expect(d.map((x) => [x.decision, x.decidedAt, x.role, x.externalId])).toEqual([
      ['changes_requested', '2026-09-11T09:01:00.000Z', 'creative_director', '1400101'],
      ['approved', '2026-09-16T09:30:00.000Z', 'creative_director', '1206002'],
    ]);
    expect(d.every((x) => x.reviewerId === personId('dana.whitfield@northwind-creative.com', 'x', 'y'))).toBe(true);
    expect(b.links.filter((l) => l.kind === 'asana_subtask').map((l) => l.externalId)).toEqual(['1206001', '1206002']);
  });

  it('emits one person per human, matched by email across stories, assignee and subtasks', () => {
    const b = normalizeTaskBundle(fullBundle(), ctx);
    const people = b.persons.map((p) => Person.parse(p));
    expect(people.map((p) => p.email).sort()).toEqual(['dana.whitfield@northwind-creative.com', 'maya.okafor@northwind-creative.com', 'priya.shah@northwind-creative.com']);
  });

  it('rejects a malformed task with a code and a path, and nothing else from it', () => {
    const task = { ...(fixture('task-full') as object), name: 42 };
    const b = normalizeTaskBundle({ task, stories: fixture('stories') as unknown[] }, ctx);
    expect(b.assets).toEqual([]);
    expect(b.comments).toEqual([]);
    expect(b.rejected).toEqual([{ stream: 'tasks', externalId: '1205001', issues: [expect.objectContaining({ code: 'invalid_type', path: ['name'] })], raw: task }]);
  });

  it('rejects one malformed story and keeps the rest of the task', () => {
    const stories = fixture('stories') as Record<string, unknown>[];
    stories[4] = { ...stories[4], created_at: 'yesterday' };
    const b = normalizeTaskBundle({ ...fullBundle(), stories }, ctx);
    expect(b.assets).toHaveLength(1);
    expect(b.comments.map((c) => c.body)).toEqual(['Sent to the client.', 'Tighten the headline kerning.']);
    expect(b.rejected).toEqual([{ stream: 'stories', externalId: '1400005', issues: [expect.objectContaining({ path: ['created_at'] })], raw: stories[4] }]);
  });

  it('gives every record the same id on every run (stable UUIDv5)', () => {
    const a = normalizeTaskBundle(fullBundle(), ctx);
    const b = normalizeTaskBundle(fullBundle(), ctx);
    expect(b).toEqual(a);
  });

  it('normalizes a project', () => {
    const p = normalizeProject({ gid: '1204000', name: 'ACME — Holiday 2026', archived: false, created_at: '2026-08-01T00:00:00.000Z', permalink_url: 'https://app.asana.com/0/1204000' }, { connectionId: 'agency-asana' });
    expect(p).toMatchObject({ ok: true, value: { id: ctx.project.id, name: 'ACME — Holiday 2026', archived: false } });
    expect(normalizeProject({ gid: 'x', name: 'bad' }, { connectionId: 'agency-asana' })).toMatchObject({ ok: false, issues: [{ path: ['gid'] }] });
  });
});
