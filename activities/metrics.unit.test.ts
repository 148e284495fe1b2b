// Metrics write-back planning (pure): what is queued for given warehouse figures, the values a record
// held when last pulled, and what Stageline last wrote into it; and the `enforcement.metrics` settings,
// with every bad value reported at its path.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../mapping/config';
import { metricsWriteConfig, metricsWriteEnabled } from '../mapping/rules';
import { planMetricWrites, toolForm, type MetricTarget, type MetricValues } from './metrics';

const FIELDS = { revision_round: 'Revision round', days_in_stage: 'Days in stage', cycle_time: 'Cycle time (days)' };
const values = (revision_round: number, days_in_stage: number | null, cycle_time: number | null): MetricValues => ({ revision_round, days_in_stage, cycle_time });

function task(o: Partial<MetricTarget> = {}): MetricTarget {
  return {
    connectionId: 'agency-asana', targetKind: 'asana_task', targetExternalId: '1205001', assetId: 'a-1',
    desired: values(2, 3, null), pulled: {}, pulledHash: 'H1', written: null, fields: FIELDS, ...o,
  };
}
function file(o: Partial<MetricTarget> = {}): MetricTarget {
  return {
    connectionId: 'agency-drive', targetKind: 'drive_file', targetExternalId: '1AbCdEfGhIjK', assetId: 'a-1',
    desired: values(2, null, 12.5), pulled: {}, pulledHash: 'F1', written: null, ...o,
  };
}

describe('planMetricWrites', () => {
  it('a task that shows nothing yet gets one write with all three figures; only the non-blank ones count as changed', () => {
    const [w, ...rest] = planMetricWrites([task()]);
    expect(rest).toEqual([]);
    expect(w).toMatchObject({
      connectionId: 'agency-asana', targetKind: 'asana_task', targetExternalId: '1205001', assetId: 'a-1',
      payload: { values: { revision_round: 2, days_in_stage: 3, cycle_time: null }, changed: ['revision_round', 'days_in_stage'], fields: FIELDS },
    });
  });

  it('plans nothing for a task whose pulled fields already hold the figures (a blank field is a blank figure)', () => {
    expect(planMetricWrites([task({ pulled: { revision_round: 2, days_in_stage: 3, cycle_time: null } })])).toEqual([]);
    expect(planMetricWrites([task({ pulled: { revision_round: 2, days_in_stage: 3 } })])).toEqual([]);
  });

  it('writes only what changed: a stage change moves days in stage and the revision round, cycle time stays', () => {
    const [w] = planMetricWrites([task({ desired: values(3, 0, null), pulled: { revision_round: 2, days_in_stage: 5, cycle_time: null } })]);
    expect(w!.payload.changed).toEqual(['revision_round', 'days_in_stage']);
    expect(w!.payload.values).toEqual({ revision_round: 3, days_in_stage: 0, cycle_time: null });
  });

  it('until the task is pulled again, what Stageline wrote is what it holds: no second write before the echo', () => {
    const written = { values: { revision_round: 2, days_in_stage: 3, cycle_time: null }, observedHash: 'H1', seq: 1 };
    // Pulled before the write (stale), same hash as recorded with the write.
    expect(planMetricWrites([task({ pulled: { revision_round: 1, days_in_stage: 9 }, written })])).toEqual([]);
    // The echo pulled (new hash): the pulled values are what it holds, and they agree.
    expect(planMetricWrites([task({ pulled: { revision_round: 2, days_in_stage: 3 }, pulledHash: 'H2', written })])).toEqual([]);
  });

  it('a figure someone typed over (pulled after the write) is written again', () => {
    const written = { values: { revision_round: 2, days_in_stage: 3, cycle_time: null }, observedHash: 'H1', seq: 1 };
    const [w] = planMetricWrites([task({ pulled: { revision_round: 2, days_in_stage: 99 }, pulledHash: 'H2', written })]);
    expect(w!.payload.changed).toEqual(['days_in_stage']);
  });

  it('text typed into a field of that name is not the number: the number is written', () => {
    expect(planMetricWrites([task({ pulled: { revision_round: '2', days_in_stage: 3 } })])[0]!.payload.changed).toEqual(['revision_round']);
  });

  it('clears days in stage once the asset is delivered, and writes the cycle time', () => {
    const [w] = planMetricWrites([task({ desired: values(1, null, 9.5), pulled: { revision_round: 1, days_in_stage: 4, cycle_time: null } })]);
    expect(w!.payload).toMatchObject({ values: { revision_round: 1, days_in_stage: null, cycle_time: 9.5 }, changed: ['days_in_stage', 'cycle_time'] });
  });

  it('Drive: strings, cycle time with its one decimal; a blank figure is an absent key', () => {
    expect(toolForm('drive_file', values(0, 4, 12))).toEqual({ revision_round: '0', days_in_stage: '4', cycle_time: '12.0' });
    const [w] = planMetricWrites([file()]);
    expect(w!.payload).toEqual({ values: { revision_round: '2', days_in_stage: null, cycle_time: '12.5' }, changed: ['revision_round', 'cycle_time'] });
    expect(planMetricWrites([file({ pulled: { revision_round: '2', days_in_stage: null, cycle_time: '12.5' } })])).toEqual([]);
    // The number 2 is not the string "2" a Drive file holds.
    expect(planMetricWrites([file({ pulled: { revision_round: 2, cycle_time: '12.5' } })])[0]!.payload.changed).toEqual(['revision_round']);
  });

  it('the same write against the same record state has the same key; a new state or a recorded write makes a new one', () => {
    const key = (o: Partial<MetricTarget>) => planMetricWrites([task(o)])[0]!.key;
    expect(key({})).toBe(key({}));
    expect(key({ pulledHash: 'H2' })).not.toBe(key({}));
    expect(key({ written: { values: {}, observedHash: 'H0', seq: 1 } })).not.toBe(key({}));
    expect(key({ desired: values(2, 4, null) })).not.toBe(key({}));
    expect(key({ fields: { ...FIELDS, days_in_stage: 'Days in current stage' } })).not.toBe(key({}));
    expect(new Set(planMetricWrites([task(), task({ targetExternalId: '1205002' }), file()]).map((w) => w.key)).size).toBe(3);
  });
});

// ------------------------------------------------------------------------------------ settings

const env = { ASANA_TOKEN: 't', DRIVE_TOKEN: 'd' };
const yaml = (enforcement: string, extra = '') => `
workspace: { timezone: Europe/London }
connections:
  - id: agency-asana
    vendor: asana
    token: \${ASANA_TOKEN}
    workspace: "1000"
    stage: { source: { from: custom_field, field: Stage }, map: { Briefing: brief } }
  - id: agency-drive
    vendor: drive
    token: \${DRIVE_TOKEN}
    folders: ["1RnD_iz9abcdefghij"]
${extra}
enforcement:
${enforcement}`;
const problems = (text: string) => {
  try {
    parseConfig(text, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw err;
  }
  return [];
};

describe('enforcement.metrics', () => {
  it('is off unless turned on, with the default field names; it can be on for the workspace and off for one connection', () => {
    const off = parseConfig(yaml('  mode: preview'), env);
    expect(off.enforcement.metrics).toBeUndefined();
    expect(metricsWriteConfig(off)).toEqual({ enabled: false, connections: {}, fields: FIELDS });
    expect(metricsWriteEnabled(off, 'agency-asana')).toBe(false);

    const on = parseConfig(yaml('  metrics: { enabled: true, connections: { agency-drive: false }, fields: { days_in_stage: " Days in current stage " } }'), env);
    expect(metricsWriteConfig(on)).toEqual({ enabled: true, connections: { 'agency-drive': false }, fields: { ...FIELDS, days_in_stage: 'Days in current stage' } });
    expect([metricsWriteEnabled(on, 'agency-asana'), metricsWriteEnabled(on, 'agency-drive')]).toEqual([true, false]);
    const one = parseConfig(yaml('  metrics: { connections: { agency-asana: true } }'), env);
    expect([metricsWriteEnabled(one, 'agency-asana'), metricsWriteEnabled(one, 'agency-drive')]).toEqual([true, false]);
  });

  it('reports every bad value at its path', () => {
    expect(problems(yaml(`  metrics:
    enabled: yes please
    connections: { agency-monday: true, agency-drive: off }
    fields: { revision_round: "", cycle_time: Stage, lead_time: Lead time }
    every: 1d`)).sort(byPath)).toEqual([
      { path: 'enforcement.metrics.enabled', message: expect.stringMatching(/boolean/) },
      { path: 'enforcement.metrics.connections.agency-monday', message: 'no connection "agency-monday" (connections: agency-asana, agency-drive)' },
      { path: 'enforcement.metrics.connections.agency-drive', message: expect.stringMatching(/boolean/) },
      { path: 'enforcement.metrics.fields.cycle_time', message: '"Stage" is already the stage field of connections.0: choose another field name' },
      { path: 'enforcement.metrics.fields', message: expect.stringMatching(/lead_time/) },
      { path: 'enforcement.metrics.fields.revision_round', message: expect.stringMatching(/not empty/) },
      { path: 'enforcement.metrics', message: expect.stringMatching(/every/) },
    ].sort(byPath));
  });

  it('refuses two metrics in one field, and a metric in the Ops status or asset key field', () => {
    expect(problems(yaml(`  ops_status_field: Days in stage
  metrics:
    fields: { revision_round: Rounds, cycle_time: rounds }`)).sort(byPath)).toEqual([
      { path: 'enforcement.metrics.fields.cycle_time', message: '"rounds" is also the field of revision_round: each metric needs its own field' },
      { path: 'enforcement.metrics.fields.days_in_stage', message: '"Days in stage" is already the Ops status field (enforcement.ops_status_field): choose another field name' },
    ]);
    expect(problems(yaml('  metrics: { fields: { revision_round: Asset key } }'))).toEqual([
      { path: 'enforcement.metrics.fields.revision_round', message: '"Asset key" is already the asset key field (workspace.linking.key_field): choose another field name' },
    ]);
  });
});

function byPath(a: { path: string; message: unknown }, b: { path: string; message: unknown }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}
