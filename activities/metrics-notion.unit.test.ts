// Metrics write-back planning for Notion pages (pure: planMetricWrites): a page's three figures go into
// number properties by name, as numbers (cycle time with its decimal, not as text); nothing is planned
// for a page that shows them, or that Stageline wrote since its last pull; a figure typed over is
// written again.
import { describe, expect, it } from 'vitest';
import { planMetricWrites, toolForm, type MetricTarget, type MetricValues } from './metrics';

const FIELDS = { revision_round: 'Revision round', days_in_stage: 'Days in stage', cycle_time: 'Cycle time (days)' };
const values = (revision_round: number, days_in_stage: number | null, cycle_time: number | null): MetricValues => ({ revision_round, days_in_stage, cycle_time });

function page(o: Partial<MetricTarget> = {}): MetricTarget {
  return {
    connectionId: 'agency-notion', targetKind: 'notion_page', targetExternalId: '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d', assetId: 'a-1',
    desired: values(2, null, 12.5), pulled: {}, pulledHash: 'N1', written: null, fields: FIELDS, ...o,
  };
}

describe('planMetricWrites for Notion pages', () => {
  it('a page that shows nothing yet: one write with the three figures as numbers and the property names', () => {
    expect(toolForm('notion_page', values(2, null, 12.5))).toEqual({ revision_round: 2, days_in_stage: null, cycle_time: 12.5 });
    const [w, ...rest] = planMetricWrites([page()]);
    expect(rest).toEqual([]);
    expect(w).toMatchObject({
      targetKind: 'notion_page', targetExternalId: '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d',
      payload: { values: { revision_round: 2, days_in_stage: null, cycle_time: 12.5 }, changed: ['revision_round', 'cycle_time'], fields: FIELDS },
    });
  });

  it('nothing for a page whose number properties hold the figures (an empty number property is a blank figure)', () => {
    expect(planMetricWrites([page({ pulled: { revision_round: 2, days_in_stage: null, cycle_time: 12.5 } })])).toEqual([]);
    expect(planMetricWrites([page({ pulled: { revision_round: 2, cycle_time: 12.5 } })])).toEqual([]);
  });

  it('no second write before the echo is pulled; a figure typed over afterwards is written again', () => {
    const written = { values: { revision_round: 2, days_in_stage: null, cycle_time: 12.5 }, observedHash: 'N1', seq: 1 };
    expect(planMetricWrites([page({ pulled: {}, written })])).toEqual([]);
    const [w] = planMetricWrites([page({ pulled: { revision_round: 7, cycle_time: 12.5 }, pulledHash: 'N2', written })]);
    expect(w!.payload.changed).toEqual(['revision_round']);
    // A new observed state is a new write (its key differs), so a dropped write is retried once the page changes.
    expect(w!.key).not.toBe(planMetricWrites([page({ pulled: { revision_round: 7, cycle_time: 12.5 }, pulledHash: 'N3', written })])[0]!.key);
  });

  it('a figure held as text (a rich-text property of that name) is not the number: the number is written', () => {
    const [w] = planMetricWrites([page({ pulled: { revision_round: '2', cycle_time: 12.5 } })]);
    expect(w!.payload.changed).toEqual(['revision_round']);
  });
});
