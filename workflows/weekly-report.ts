// Started by the weekly report's Temporal Schedule (worker/orchestration.ts ensureReportSchedule):
// writes last week's leadership report into stageline.yaml reports.folder.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { weeklyReport: writeWeekly } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '30s', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 10, nonRetryableErrorTypes: ['InvalidConfig'] },
});

/** The Schedule's nominal start time (the Monday 07:00 it was meant for), set by Temporal on scheduled runs. */
const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

export async function weeklyReport(): Promise<{ from: string; to: string; dir: string; files: string[] }> {
  const info = workflowInfo();
  const scheduled = info.typedSearchAttributes.get(SCHEDULED_START);
  return writeWeekly({ scheduledAt: (scheduled ?? info.startTime).toISOString() });
}
