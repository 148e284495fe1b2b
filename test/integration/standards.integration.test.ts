// Standards enforced across Asana and Drive (real PostgreSQL, real Temporal, both simulators): preview
// writes nothing and predicts exactly what enforcement then writes; a gate broken in Asana is moved back
// with one comment, once, across syncs and a worker restart; fixing an approval clears the status; a
// misnamed Drive file gets one comment with its corrected name; nothing changed → no write calls.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planEnforcement } from '../../activities/enforce';
import { readStamp } from '../../connectors/stamp';
import type { GeneratedAgency } from '../../connectors/asana/simulator';
import { stableId } from '../../mapping/ids';
import { count, startStack, type Stack } from '../support/stack';
import { agencyPeopleYaml } from '../support/agency-yaml';

let stack: Stack;
const OPS = 'Ops status';


const rules = (mode: 'preview' | 'enforce') => (agency: GeneratedAgency) => `${agencyPeopleYaml(agency)}
enforcement:
  mode: ${mode}
  ops_status_field: ${OPS}
rules:
  - id: client-approval-before-delivery
    kind: approval_gate
    before: delivered
    require: { client: [approved, approved_with_changes] }
    action: revert
  - id: cd-signoff-before-approved
    kind: approval_gate
    before: approved
    require: { creative_director: [approved] }
    action: comment
  - id: file-naming
    kind: naming
    target: files
    action: comment
`;

/** Write calls a simulator received (anything but GET). */
function writeCalls(byRoute: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(byRoute).filter(([route]) => !route.startsWith('GET ')));
}

const asana = () => stack.sim.control;
const drive = () => stack.drive!.sim.control;
const stampedStories = (taskGid: string) => asana().storiesOf(taskGid).filter((s) => readStamp(s.text) !== null);

async function syncBoth(mode: 'full' | 'incremental' = 'incremental') {
  const a = await stack.sync(mode);
  const d = await stack.syncDrive(mode);
  expect([a.status, d.status]).toEqual(['succeeded', 'succeeded']);
}

beforeAll(async () => {
  stack = await startStack({ tasks: 80, projects: 2, seed: 31, drive: {}, topLevelYaml: rules('preview') });
  await syncBoth('full');
}, 240_000);
afterAll(async () => stack?.close());

describe('standards', () => {
  let predicted: Awaited<ReturnType<typeof planEnforcement>>;

  it('in preview, finds violations and writes nothing at all', async () => {
    expect(writeCalls(asana().calls().byRoute)).toEqual({});
    expect(writeCalls(drive().calls().byRoute)).toEqual({});
    expect(await count(stack, `SELECT count(*) FROM ops.violations WHERE state = 'open' AND mode = 'preview'`)).toBeGreaterThan(0);
    expect(await count(stack, `SELECT count(*) FROM ops.outbox`)).toBe(0);
    predicted = await planEnforcement(stack.db.pool, stack.config, { now: new Date().toISOString(), assumeEnforce: true });
    expect(predicted.writes.length).toBeGreaterThan(0);
  });

  it('once enforced, writes exactly what the preview predicted, then nothing more', async () => {
    asana().resetCalls();
    drive().resetCalls();
    stack.reconfigure((y) => y.replace('mode: preview', 'mode: enforce'));
    await syncBoth();
    const { rows } = await stack.db.pool.query<{ idempotency_key: string; state: string }>(`SELECT idempotency_key, state FROM ops.outbox`);
    expect(rows.map((r) => r.idempotency_key).sort()).toEqual(predicted.writes.map((w) => w.key).sort());
    expect(rows.filter((r) => r.state === 'pending' || r.state === 'dropped')).toEqual([]);
    // Write calls = status changes: one per planned write that was not already in place.
    const sent = rows.filter((r) => r.state === 'done').length;
    const calls = { ...writeCalls(asana().calls().byRoute), ...writeCalls(drive().calls().byRoute) };
    // Creating the Ops status field, its options and its project settings: once per workspace, not per status change.
    const setup = ['POST /custom_fields', 'POST /custom_fields/{gid}/enum_options', 'PUT /enum_options/{gid}', 'POST /projects/{gid}/addCustomFieldSetting'];
    const writes = Object.entries(calls).filter(([r]) => !setup.includes(r)).reduce((n, [, v]) => n + v, 0);
    expect({ writes, calls }).toEqual({ writes: sent, calls });

    // The next syncs pull Stageline's own writes back: they are recognized, and nothing is written again.
    await syncBoth();
    asana().resetCalls();
    drive().resetCalls();
    await syncBoth();
    expect(writeCalls(asana().calls().byRoute)).toEqual({});
    expect(writeCalls(drive().calls().byRoute)).toEqual({});
  });

  it('each sync refreshes the reporting warehouse for the assets that changed', async () => {
    expect(await count(stack, `SELECT count(*) FROM warehouse.dim_asset WHERE deleted_at IS NULL`)).toBe(await count(stack, `SELECT count(*) FROM core.assets WHERE deleted_at IS NULL`));
    const { rows } = await stack.db.pool.query<{ counts: Record<string, number> }>(`SELECT counts FROM ops.sync_runs ORDER BY started_at DESC LIMIT 1`);
    expect(rows[0]!.counts).toHaveProperty(['warehouse.assets']);
  });

  it('keeps every version of the rules with what changed, who and when', async () => {
    const { rows } = await stack.db.pool.query<{ changes: { added: string[]; removed: string[]; changed: string[]; settings: boolean }; changed_by: string; created_at: Date }>(
      `SELECT changes, changed_by, created_at FROM ops.rule_versions ORDER BY id`,
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]!.changes.added.sort()).toEqual(['cd-signoff-before-approved', 'client-approval-before-delivery', 'file-naming']);
    // preview → enforce is a change of settings, not of any rule.
    expect(rows[1]!.changes).toEqual({ added: [], removed: [], changed: [], settings: true });
    expect(rows[1]!.changed_by).toBeTruthy();
    expect(rows[1]!.created_at.getTime()).toBeGreaterThanOrEqual(rows[0]!.created_at.getTime());
  });

  it('moves an asset delivered without client approval back, with one comment, once, across syncs and a worker restart', async () => {
    const project = stack.agency.dataset.projects[0]!;
    const task = project.tasks.find((t) => t.subtype !== 'milestone' && stack.agency.truth.tasks.get(t.gid)?.section === 'Client Review' && !stack.agency.truth.tasks.get(t.gid)!.decisions.length)
      ?? project.tasks.find((t) => t.subtype !== 'milestone' && stack.agency.truth.tasks.get(t.gid)?.section === 'Client Review')!;
    asana().moveTaskToSection(task.gid, 'Delivered');
    await syncBoth();
    expect(asana().truthOf(task.gid)!.section).toBe('Client Review');
    const comments = stampedStories(task.gid).filter((s) => /client/i.test(s.text ?? ''));
    expect(comments).toHaveLength(1);
    expect(comments[0]!.text).toMatch(/client/i);

    for (let i = 0; i < 3; i++) await syncBoth();
    await stack.stopWorker();
    await stack.startWorker();
    await syncBoth();
    expect(stampedStories(task.gid).filter((s) => /client/i.test(s.text ?? ''))).toHaveLength(1);
    expect(asana().truthOf(task.gid)!.section).toBe('Client Review');
  });

  it('an approval gate with action comment stays open until the approval is given, then the status clears', async () => {
    const project = stack.agency.dataset.projects[1]!;
    const cd = stack.agency.dataset.users.find((u) => u.role === 'creative_director')!;
    const gid = asana().createTask({ projectGid: project.gid, name: 'Standards test banner 300x250', section: 'Internal Review' });
    asana().addAttachment(gid, 'STD_TEST_BANNER-300x250_v01.psd');
    await syncBoth();
    asana().moveTaskToSection(gid, 'Approved');
    await syncBoth();
    const vid = stableId('violation', 'cd-signoff-before-approved', `${stableId(stack.connectionId, 'asana_task', gid)}/asset`);
    const open = await stack.db.pool.query(`SELECT state FROM ops.violations WHERE id = $1`, [vid]);
    expect(open.rows[0]?.state).toBe('open');
    expect(asana().taskCustomFieldValue(gid, OPS)).toBe('Approval missing');
    expect(stampedStories(gid)).toHaveLength(1);

    const sub = asana().createTask({ parentGid: gid, name: 'Creative director sign-off', resourceSubtype: 'approval', assigneeGid: cd.gid });
    asana().setApprovalStatus(sub, 'approved', cd.gid);
    await syncBoth();
    const closed = await stack.db.pool.query(`SELECT state, resolved_at FROM ops.violations WHERE id = $1`, [vid]);
    expect(closed.rows[0]).toMatchObject({ state: 'resolved' });
    expect(asana().taskCustomFieldValue(gid, OPS)).toBe('Compliant');
    expect(stampedStories(gid)).toHaveLength(1);
  });

  it('comments once on a misnamed Drive file, with the corrected name', async () => {
    const { rows } = await stack.db.pool.query<{ external_id: string; suggestion: string }>(
      `SELECT external_id, suggestion FROM ops.file_links WHERE state = 'misnamed' AND suggestion IS NOT NULL AND asset_id IS NOT NULL`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const f of rows) {
      const ours = drive().commentsOf(f.external_id).filter((c) => readStamp(c.content) !== null);
      expect(ours).toHaveLength(1);
      expect(ours[0]!.content).toContain(f.suggestion);
    }
  });

  it('records a write the vendor refuses on the violation and drops it, as the stated policy says, and a deleted task too', async () => {
    const project = stack.agency.dataset.projects[1]!;
    const refused = asana().createTask({ projectGid: project.gid, name: 'Standards refused banner', section: 'Internal Review' });
    const deleted = asana().createTask({ projectGid: project.gid, name: 'Standards deleted banner', section: 'Internal Review' });
    await syncBoth();
    asana().moveTaskToSection(refused, 'Approved');
    asana().moveTaskToSection(deleted, 'Approved');
    // The comment on the first is refused (403), the second task is gone by the time its comment is sent (404).
    asana().injectFaults({ method: 'POST', pathPrefix: `/tasks/${refused}/stories`, status: 403, times: 1 });
    asana().injectFaults({ method: 'POST', pathPrefix: `/tasks/${deleted}/stories`, status: 404, times: 1 });
    await syncBoth();
    const { rows } = await stack.db.pool.query<{ external_id: string; state: string; write_error: string | null; outbox: string }>(
      `SELECT a.external_id, v.state, v.write_error, o.state AS outbox
         FROM ops.violations v JOIN core.assets a ON a.id = v.asset_id JOIN ops.outbox o ON o.violation_id = v.id AND o.op = 'comment'
        WHERE v.rule_id = 'cd-signoff-before-approved' AND a.external_id = ANY($1::text[]) ORDER BY a.name`,
      [[refused, deleted]],
    );
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(r).toMatchObject({ state: 'open', outbox: 'dropped', write_error: expect.stringMatching(/comment on asana_task \d+: .*(403|404)/) });
    // Dropped, not retried in a loop: the next sync sends no comment for them.
    asana().resetCalls();
    await syncBoth();
    expect(asana().calls().byRoute['POST /tasks/{gid}/stories'] ?? 0).toBe(0);
  });

  it('`stageline rules preview --json` and `status` show the same violations the database holds; `rules check` names an unknown field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stageline-rules-'));
    const cfg = join(dir, 'stageline.yaml');
    writeFileSync(cfg, stack.yaml);
    const bin = fileURLToPath(new URL('../../cli/bin.js', import.meta.url));
    const env = { ...process.env, ...stack.env, STAGELINE_CONFIG: cfg, DATABASE_URL: stack.db.url };
    const run = (args: string[]): Promise<{ stdout: string; code: number }> =>
      promisify(execFile)(process.execPath, [bin, ...args], { env }).then((r) => ({ stdout: r.stdout, code: 0 }), (e: { stdout: string; code: number }) => ({ stdout: e.stdout, code: e.code }));
    const preview = await run(['rules', 'preview', '--json']);
    const plan = JSON.parse(preview.stdout) as { violations: { id: string; change: string }[]; writes: unknown[] };
    const open = await stack.db.pool.query<{ id: string }>(`SELECT id FROM ops.violations WHERE state = 'open'`);
    expect(plan.violations.filter((v) => v.change !== 'resolved').map((v) => v.id).sort()).toEqual(open.rows.map((r) => r.id).sort());
    expect(plan.writes).toEqual([]); // everything enforced is already in place
    const table = await run(['rules', 'preview', '--rule', 'file-naming']);
    expect(table.stdout).toMatch(/Rules: file-naming · \d+ assets evaluated · [1-9]\d* violations/);
    const status = await run(['status']);
    expect(status.stdout).toMatch(/violations open: .*cd-signoff-before-approved \d+, 2 write errors/);
    expect(status.stdout).toMatch(/write refused \(cd-signoff-before-approved\): comment on asana_task \d+/);
    expect(status.stdout).toMatch(/files \d+: linked \d+ · orphaned \d+ · misnamed [1-9]/);

    writeFileSync(cfg, stack.yaml.replace('  - id: file-naming', `  - id: brief-fields
    kind: required_fields
    before: in_progress
    fields: [owner, Brief lnk]
  - id: file-naming`));
    const check = await run(['rules', 'check']);
    expect(check.code).toBe(2);
    expect(check.stdout).toMatch(/rules\.\d+\.fields\.1: .*Brief lnk/);
  });
});
