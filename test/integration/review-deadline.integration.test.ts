// Review deadlines on durable Temporal timers (real PostgreSQL, real Temporal, the Asana simulator):
// an asset that overstays its review stage gets the reminder, then the escalation, in that order,
// each once; an asset that leaves the stage in time has its timer cancelled and gets nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedAgency } from '../../connectors/asana/simulator';
import { readStamp } from '../../connectors/stamp';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;
// 0.0001 business days = 8.64 s; every day a working day, so the test does not depend on the weekday it runs on.
const yaml = (agency: GeneratedAgency) => `people:
${agency.dataset.users.filter((u) => u.role === 'creative_director').map((u) => `  - { email: ${u.email}, name: "${u.name}", roles: [creative_director] }`).join('\n')}
enforcement:
  mode: enforce
rules:
  - id: internal-review-sla
    kind: review_sla
    stage: internal_review
    business_days: 0.0001
    remind_at: 0.5
    escalate_to: [creative_director]
    action: comment
`;

beforeAll(async () => {
  stack = await startStack({ tasks: 50, projects: 2, seed: 41, topLevelYaml: yaml });
  stack.reconfigure((y) => y.replace('workspace: { name: Test agency, timezone: UTC }', 'workspace: { name: Test agency, timezone: UTC, calendar: { workdays: [sun, mon, tue, wed, thu, fri, sat] } }'));
  expect((await stack.sync('full')).status).toBe('succeeded');
}, 180_000);
afterAll(async () => stack?.close());

const ours = (gid: string) => stack.sim.control.storiesOf(gid).filter((s) => readStamp(s.text) !== null);

async function until<T>(what: string, fn: () => Promise<T | null> | T | null, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('review deadlines', () => {
  it('sends the reminder, then the escalation, each once, and sets the Ops status to overdue', async () => {
    const project = stack.agency.dataset.projects[0]!;
    const gid = stack.sim.control.createTask({ projectGid: project.gid, name: 'SLA test key visual', section: 'In Production' });
    await stack.sync('incremental');
    stack.sim.control.moveTaskToSection(gid, 'Internal Review');
    await stack.sync('incremental');
    const { rows } = await stack.db.pool.query(`SELECT workflow_id, state FROM ops.review_timers t JOIN core.assets a ON a.id = t.asset_id WHERE a.external_id = $1`, [gid]);
    expect(rows).toEqual([expect.objectContaining({ state: 'running' })]);

    const reminder = await until('the reminder', () => (ours(gid).length >= 1 ? ours(gid) : null));
    expect(reminder).toHaveLength(1);
    expect(reminder[0]!.text).toMatch(/due/i);
    const both = await until('the escalation', () => (ours(gid).length >= 2 ? ours(gid) : null));
    expect(both).toHaveLength(2);
    expect(both[1]!.text).toMatch(/overdue/i);
    expect(both[1]!.text).toMatch(/Escalated to creative_director/);
    expect(Date.parse(both[0]!.createdAt)).toBeLessThanOrEqual(Date.parse(both[1]!.createdAt));
    await until('the overdue status', () => stack.sim.control.taskCustomFieldValue(gid, 'Ops status') === 'Review overdue' || null);
    // The timer is done, and later syncs add nothing.
    const handle = stack.client.workflow.getHandle(rows[0].workflow_id);
    expect(await handle.result()).toBe('overdue');
    await stack.sync('incremental');
    await stack.sync('incremental');
    expect(ours(gid)).toHaveLength(2);
  }, 120_000);

  it('cancels the timer of an asset that leaves the stage in time, and sends nothing', async () => {
    const project = stack.agency.dataset.projects[1]!;
    const gid = stack.sim.control.createTask({ projectGid: project.gid, name: 'SLA test banner', section: 'In Production' });
    stack.sim.control.moveTaskToSection(gid, 'Internal Review');
    await stack.sync('incremental');
    const { rows } = await stack.db.pool.query(`SELECT workflow_id FROM ops.review_timers t JOIN core.assets a ON a.id = t.asset_id WHERE a.external_id = $1`, [gid]);
    expect(rows).toHaveLength(1);
    stack.sim.control.moveTaskToSection(gid, 'Client Review');
    await stack.sync('incremental');
    const handle = stack.client.workflow.getHandle(rows[0].workflow_id);
    await expect(handle.result()).resolves.toBe('left');
    await new Promise((r) => setTimeout(r, 9_000)); // past the would-be deadline
    expect(ours(gid)).toHaveLength(0);
    const { rows: t } = await stack.db.pool.query(`SELECT state FROM ops.review_timers WHERE workflow_id = $1`, [rows[0].workflow_id]);
    expect(t[0].state).toBe('closed');
  }, 120_000);
});
