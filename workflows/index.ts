export { connectionSync, progressQuery } from './connection-sync';
export type { ConnectionSyncInput, SyncProgress } from './connection-sync';
export { scheduledSync } from './scheduled-sync';
export { reviewDeadline } from './review-deadline';
export { weeklyReport } from './weekly-report';
