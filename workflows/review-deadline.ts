// reviewDeadline: one per (asset, review rule, stage entry), workflow id `review/<asset>/<rule>/<entered ms>`,
// started by a sync when an asset enters a stage with a review SLA. It sleeps on durable timers until
// the reminder and then the deadline; at each, an activity evaluates the asset and sends what fell
// due. It ends when the deadline has passed or the asset has left the stage; a sync that sees the
// asset leave cancels it at once.
import { isCancellation, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities, ReviewTimer } from '../activities';

export async function reviewDeadline(input: ReviewTimer): Promise<string> {
  const acts = proxyActivities<Activities>({
    startToCloseTimeout: '5 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '2 minutes', nonRetryableErrorTypes: ['AuthRevoked', 'InvalidConfig'] },
  });
  try {
    for (;;) {
      const step = await acts.reviewTimerStep(input);
      if (step.waitMs === null) return step.state;
      await sleep(Math.max(step.waitMs, 1));
    }
  } catch (err) {
    // The asset left the stage (a sync cancelled the timer): nothing more to remind anyone of.
    if (isCancellation(err)) return 'left';
    throw err;
  }
}
