// The ground truth: what a correct sync of the workspace must land, read off the current state of
// the records (so it follows every edit made through the API or the control surface). Emails are the
// people's real ones where Notion gives them out, null where it does not.

import { DEFAULT_STAGE_MAP, SECTION_NAMES } from '../../asana/simulator/model';
import { type NotionDataset, type NotionTruth, type PageRec, type PageTruth, type PropertyRec, isoTime, plainText } from './model';
import { PROPERTY_NAMES } from './names';
import { valueOf } from './values';

export function pageTruth(dataset: NotionDataset, page: PageRec): PageTruth {
  const prop = (name: string): PropertyRec | undefined => page.dataSource.properties.find((p) => p.name === name);
  const get = (name: string) => {
    const p = prop(name);
    return p ? valueOf(page, p) : null;
  };
  const emailOf = (id: string): string | null => dataset.usersById.get(id)?.email ?? null;
  const title = get(PROPERTY_NAMES.name);
  const stage = get(PROPERTY_NAMES.stage);
  const owner = get(PROPERTY_NAMES.owner);
  const reviewers = get(PROPERTY_NAMES.reviewers);
  const due = get(PROPERTY_NAMES.due);
  const files = get(PROPERTY_NAMES.files);
  const client = get(PROPERTY_NAMES.client);
  const stageOption = stage?.t === 'status' && stage.optionId ? prop(PROPERTY_NAMES.stage)?.options.find((o) => o.id === stage.optionId) : undefined;
  return {
    pageId: page.id,
    dataSourceId: page.dataSource.id,
    databaseId: page.dataSource.database.id,
    taskGid: page.taskGid,
    assetKey: page.assetKey,
    name: title?.t === 'title' ? plainText(title.items) : '',
    stage: stageOption?.name ?? null,
    ownerEmail: owner?.t === 'people' && owner.userIds[0] ? emailOf(owner.userIds[0]) : null,
    reviewerEmails: reviewers?.t === 'people' ? reviewers.userIds.map(emailOf) : [],
    due: due?.t === 'date' ? (due.date?.start ?? null) : null,
    clientPageId: client?.t === 'relation' ? (client.pageIds[0] ?? null) : null,
    versions:
      files?.t === 'files'
        ? files.files.map((f, i) => ({ number: i + 1, name: f.name, type: f.kind, url: f.kind === 'external' ? f.url : null }))
        : [],
    comments: page.comments
      .filter((c) => !c.resolved)
      .map((c) => ({ commentId: c.id, discussionId: c.discussionId, authorId: c.author.id, authorEmail: c.author.email, createdTime: isoTime(c.createdTime), text: plainText(c.richText) })),
    resolvedComments: page.comments.filter((c) => c.resolved).length,
    inTrash: page.inTrash,
    createdTime: isoTime(page.createdTime),
    lastEditedTime: isoTime(page.lastEditedTime),
    lastEditedById: page.lastEditedBy.id,
  };
}

const OPTION_TYPES: ReadonlySet<string> = new Set(['select', 'multi_select', 'status']);

export function computeTruth(dataset: NotionDataset): NotionTruth {
  const pages = new Map<string, PageTruth>();
  const dataSources: NotionTruth['dataSources'] = [];
  for (const db of dataset.databases) {
    for (const s of db.dataSources) {
      dataSources.push({
        dataSourceId: s.id,
        databaseId: db.id,
        name: s.name,
        role: s.role,
        projectGids: [...s.projectGids],
        shared: db.shared,
        pages: s.pages.length,
        properties: s.properties.map((p) => (OPTION_TYPES.has(p.type) ? { name: p.name, type: p.type, options: p.options.map((o) => o.name) } : { name: p.name, type: p.type })),
        lastEditedTime: isoTime(s.lastEditedTime),
      });
      if (s.role !== 'assets') continue;
      for (const p of s.pages) pages.set(p.id, pageTruth(dataset, p));
    }
  }
  return { stageNames: SECTION_NAMES, defaultStageMap: DEFAULT_STAGE_MAP, dataSources, pages };
}
