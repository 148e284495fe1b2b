// AsanaWriter.ensureNumberFields against the simulator: the metrics' number fields are created once
// (number, with their precision, notifications off) and added to each project; a second run only
// reads; an existing field of that name is used as it is; a field of that name but another type is
// refused before anything is written; and the three figures of one task go out in one PUT.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../limiter';
import { CallCounter, ConnectorError } from '../types';
import { SIM_DEFAULT_TOKEN, createAsanaSimulator, type AsanaSimulator } from './simulator';
import type { ProjectRec } from './simulator/model';
import { AsanaWriter } from './writeback';

let sim: AsanaSimulator;
let base: string;
let ws: string;
let p1: ProjectRec;
let p2: ProjectRec;
const SPECS = [{ name: 'Revision round', precision: 0 }, { name: 'Days in stage', precision: 0 }, { name: 'Cycle time (days)', precision: 1 }];
const writer = (counter = new CallCounter()) => new AsanaWriter({ token: SIM_DEFAULT_TOKEN, baseUrl: base, limiter: new RateLimiter(6000, 15), counter });

beforeAll(async () => {
  sim = createAsanaSimulator({ generate: { seed: 'number-fields', tasks: 40, projects: 3 } });
  base = (await sim.start()).baseUrl;
  ws = sim.control.dataset.workspace.gid;
  [p1, p2] = sim.control.dataset.projects as [ProjectRec, ProjectRec];
});
afterAll(async () => {
  await sim?.stop();
});

describe('AsanaWriter.ensureNumberFields', () => {
  it('creates each field as a number with its precision, adds it to each project, and a second run only reads', async () => {
    const first = new CallCounter();
    const made = await writer(first).ensureNumberFields(ws, [p1.gid, p2.gid], SPECS);
    expect(first.toJSON()).toEqual({
      'GET /workspaces/{gid}/custom_fields': 1,
      'GET /projects/{gid}/custom_field_settings': 2,
      'POST /custom_fields': 3,
      'POST /projects/{gid}/addCustomFieldSetting': 6,
    });
    expect(made.created).toEqual({ fields: SPECS.map((s) => s.name), projects: { [p1.gid]: SPECS.map((s) => s.name), [p2.gid]: SPECS.map((s) => s.name) } });
    expect(made.precision).toEqual({ 'Revision round': 0, 'Days in stage': 0, 'Cycle time (days)': 1 });
    for (const s of SPECS) {
      const f = sim.control.customFieldByName(s.name)!;
      expect({ gid: f.gid, type: f.type, global: f.global, projects: f.projectGids }).toEqual({ gid: made.fields[s.name], type: 'number', global: true, projects: [p1.gid, p2.gid] });
      const rec = sim.control.dataset.customFields.find((x) => x.gid === f.gid)!;
      expect({ precision: rec.precision, notifications: rec.notifications }).toEqual({ precision: s.precision, notifications: false });
    }

    const second = new CallCounter();
    const again = await writer(second).ensureNumberFields(ws, [p1.gid, p2.gid], SPECS);
    expect(second.toJSON()).toEqual({ 'GET /workspaces/{gid}/custom_fields': 1, 'GET /projects/{gid}/custom_field_settings': 2 });
    expect(again).toEqual({ fields: made.fields, precision: made.precision, created: { fields: [], projects: {} } });
  });

  it('the three figures of a task go out in one PUT and read back as numbers', async () => {
    const { fields } = await writer().ensureNumberFields(ws, [p1.gid], SPECS);
    const task = p1.tasks.find((t) => t.subtype === 'default_task')!;
    const counter = new CallCounter();
    expect(await writer(counter).setCustomFields(task.gid, { [fields['Revision round']!]: 2, [fields['Days in stage']!]: 5, [fields['Cycle time (days)']!]: 12.5 })).toBe(true);
    expect(counter.toJSON()).toEqual({ 'PUT /tasks/{gid}': 1 });
    expect(SPECS.map((s) => sim.control.taskCustomFieldValue(task.gid, s.name))).toEqual([2, 5, 12.5]);
    // Blank again: null clears a number field.
    await writer().setCustomFields(task.gid, { [fields['Cycle time (days)']!]: null });
    expect(sim.control.taskCustomFieldValue(task.gid, 'Cycle time (days)')).toBeNull();
  });

  it('uses a number field the team already has as it is, precision included, and adds it where it is missing', async () => {
    const p3 = sim.control.dataset.projects[2]!;
    const gid = sim.control.createCustomField({ name: 'Rounds so far', type: 'number', projectGids: [p3.gid] });
    const counter = new CallCounter();
    const r = await writer(counter).ensureNumberFields(ws, [p1.gid, p3.gid], [{ name: 'Rounds so far', precision: 2 }]);
    expect(r).toEqual({ fields: { 'Rounds so far': gid }, precision: { 'Rounds so far': 0 }, created: { fields: [], projects: { [p1.gid]: ['Rounds so far'] } } });
    expect(counter.toJSON()).toEqual({ 'GET /workspaces/{gid}/custom_fields': 1, 'GET /projects/{gid}/custom_field_settings': 2, 'POST /projects/{gid}/addCustomFieldSetting': 1 });
  });

  it('a field of that name but another type is invalid_config naming it and the setting, and nothing is written', async () => {
    const gid = sim.control.createCustomField({ name: 'Days waiting', type: 'text', projectGids: [p1.gid] });
    const counter = new CallCounter();
    const err = await writer(counter).ensureNumberFields(ws, [p1.gid], [{ name: 'Revision round', precision: 0 }, { name: 'Days waiting', precision: 0 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ kind: 'invalid_config', message: expect.stringMatching(new RegExp(`"Days waiting" \\(${gid}\\) is a text, not a number.*enforcement\\.metrics\\.fields`)) });
    expect(Object.keys(counter.toJSON()).every((k) => k.startsWith('GET '))).toBe(true);
  });

  it('refuses what it cannot do before sending anything', async () => {
    const counter = new CallCounter();
    await expect(writer(counter).ensureNumberFields(ws, [p1.gid], [{ name: ' ', precision: 0 }])).rejects.toMatchObject({ kind: 'invalid_config' });
    await expect(writer(counter).ensureNumberFields(ws, [p1.gid], [{ name: 'Lead time', precision: 7 }])).rejects.toMatchObject({ kind: 'invalid_config' });
    await expect(writer(counter).ensureNumberFields(ws, ['p-1'], SPECS)).rejects.toMatchObject({ kind: 'invalid_config' });
    expect(counter.toJSON()).toEqual({});
  });
});
