// The smallest workflow that still uses what sync workflows use: an extensionless relative import,
// a type-only activity import, an activity call and a durable timer.
import { proxyActivities, sleep } from '@temporalio/workflow';
import { greeting } from './greeting';
import type { HelloActivities } from './hello-activities';

const { recordGreeting } = proxyActivities<HelloActivities>({ startToCloseTimeout: '30 seconds' });

export async function hello(name: string): Promise<string> {
  const text = greeting(name);
  await sleep('50 milliseconds');
  const receipt = await recordGreeting(text);
  return `${text} (${receipt})`;
}
