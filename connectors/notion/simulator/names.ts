// Names of the generated data sources' properties, shared by the generator, the truth and the tests.

/** Names of the asset data sources' properties. */
export const PROPERTY_NAMES = {
  name: 'Name',
  stage: 'Stage',
  owner: 'Owner',
  reviewers: 'Reviewers',
  due: 'Due',
  files: 'Files',
  client: 'Client',
  assetKey: 'Asset key',
  assetType: 'Asset type',
  channels: 'Channels',
  campaign: 'Campaign',
  budget: 'Budget',
  brief: 'Brief',
  id: 'ID',
  created: 'Created',
  createdBy: 'Created by',
  lastEdited: 'Last edited',
  lastEditedBy: 'Last edited by',
  opsStatus: 'Ops status',
  revisionRound: 'Revision round',
  daysInStage: 'Days in stage',
  cycleTime: 'Cycle time (days)',
} as const;
