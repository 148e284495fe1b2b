// The workspace's state and the only ways to change it. The API's writes and the control surface's
// "a person did this in the app" edits go through the same methods, so each one moves the page's
// last_edited_time (minute-rounded) and last_edited_by, and emits the event the webhook sender turns
// into a delivery.

import { createHash } from 'node:crypto';
import type { RichTextItemResponse } from '@notionhq/client';
import { type CommentRec, type DataSourceRec, type NotionDataset, type PageRec, type UserRec, floorMinute } from './model';
import { type SchemaPlan } from './schema';
import { type PropertyWrite } from './writes';

export type StoreEvent =
  | { type: 'page.created' | 'page.deleted' | 'page.undeleted'; page: PageRec; actor: UserRec; at: number }
  | { type: 'page.properties_updated'; page: PageRec; actor: UserRec; at: number; propertyIds: string[] }
  | { type: 'comment.created' | 'comment.updated'; comment: CommentRec; actor: UserRec; at: number };

export class NotionStore {
  private readonly listeners: ((e: StoreEvent) => void)[] = [];

  constructor(
    readonly dataset: NotionDataset,
    readonly clock: () => number,
  ) {}

  onEvent(fn: (e: StoreEvent) => void): void {
    this.listeners.push(fn);
  }

  private emit(e: StoreEvent): void {
    for (const fn of this.listeners) fn(e);
  }

  /** A fresh UUID, deterministic for the dataset's seed and the order of creation. */
  mintId(): string {
    const h = createHash('sha1').update(`${this.dataset.seed}:${this.dataset.nextSeq++}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h.slice(16, 17), 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** A short property or option id. */
  mintShortId(): string {
    return createHash('sha1').update(`${this.dataset.seed}:opt:${this.dataset.nextSeq++}`).digest('base64url').slice(0, 4);
  }

  private touch(page: PageRec, actor: UserRec, at: number): void {
    page.lastEditedTime = floorMinute(at);
    page.lastEditedBy = actor;
  }

  /** Applies validated writes, then the trash flag; one edit, one last_edited_time. */
  updatePage(page: PageRec, writes: PropertyWrite[], inTrash: boolean | undefined, actor: UserRec, isLocked?: boolean): void {
    const at = this.clock();
    const changed: string[] = [];
    for (const w of writes) {
      if (w.newOptions.length > 0) {
        w.prop.options.push(...w.newOptions);
        page.dataSource.lastEditedTime = floorMinute(at);
      }
      const rel = w.prop.relation;
      if (w.value.t === 'relation' && rel?.mirror && rel.syncedPropertyId) {
        // The back side of a two-way relation: write the other side, which holds the values.
        const want = new Set(w.value.pageIds);
        for (const other of rel.dataSource.pages) {
          const cur = other.values.get(rel.syncedPropertyId);
          const ids = cur?.t === 'relation' ? cur.pageIds : [];
          const has = ids.includes(page.id);
          if (has === want.has(other.id)) continue;
          other.values.set(rel.syncedPropertyId, { t: 'relation', pageIds: has ? ids.filter((x) => x !== page.id) : [...ids, page.id] });
        }
      } else page.values.set(w.prop.id, w.value);
      changed.push(w.prop.id);
    }
    if (isLocked !== undefined) page.isLocked = isLocked;
    if (writes.length > 0 || isLocked !== undefined) {
      this.touch(page, actor, at);
      if (writes.length > 0) this.emit({ type: 'page.properties_updated', page, actor, at, propertyIds: changed });
    }
    if (inTrash !== undefined && inTrash !== page.inTrash) {
      page.inTrash = inTrash;
      this.touch(page, actor, at);
      this.emit({ type: inTrash ? 'page.deleted' : 'page.undeleted', page, actor, at });
    }
  }

  /**
   * Applies a checked schema plan (schema.ts) to the data source: properties added (every page's value
   * empty), renamed, reconfigured or removed (with every page's value). Moves the data source's
   * last_edited_time and last_edited_by, not its pages' (a schema change edits no page [U]).
   */
  updateSchema(ds: DataSourceRec, plan: SchemaPlan, actor: UserRec): void {
    const at = this.clock();
    for (const c of plan.changes) {
      if (c.kind === 'add') ds.properties.push(c.prop);
      else if (c.kind === 'remove') {
        ds.properties.splice(ds.properties.indexOf(c.prop), 1);
        for (const p of ds.pages) p.values.delete(c.prop.id);
      } else {
        if (c.name !== undefined) c.prop.name = c.name;
        if (c.description !== undefined) c.prop.description = c.description;
        if (c.numberFormat !== undefined) c.prop.numberFormat = c.numberFormat;
        if (c.options !== undefined) c.prop.options = c.options;
      }
    }
    if (plan.title !== undefined) ds.name = plan.title;
    ds.lastEditedTime = floorMinute(at);
    ds.lastEditedBy = actor;
  }

  createPage(ds: DataSourceRec, writes: PropertyWrite[], actor: UserRec): PageRec {
    const at = this.clock();
    const page: PageRec = {
      kind: 'page',
      id: this.mintId(),
      dataSource: ds,
      values: new Map(),
      uniqueId: ds.nextUniqueId++,
      createdTime: floorMinute(at),
      lastEditedTime: floorMinute(at),
      createdBy: actor,
      lastEditedBy: actor,
      inTrash: false,
      isLocked: false,
      comments: [],
      taskGid: null,
      assetKey: null,
    };
    for (const w of writes) {
      w.prop.options.push(...w.newOptions);
      page.values.set(w.prop.id, w.value);
    }
    ds.pages.push(page);
    this.dataset.pagesById.set(page.id, page);
    this.emit({ type: 'page.created', page, actor, at });
    return page;
  }

  /** A comment on a page: a new discussion, or a reply in `discussionId`. Comments touch the page [U]. */
  addComment(page: PageRec, discussionId: string | null, richText: RichTextItemResponse[], actor: UserRec, displayName: CommentRec['displayName']): CommentRec {
    const at = this.clock();
    const c: CommentRec = {
      kind: 'comment',
      id: this.mintId(),
      page,
      discussionId: discussionId ?? this.mintId(),
      createdTime: floorMinute(at),
      lastEditedTime: floorMinute(at),
      author: actor,
      richText,
      displayName,
      resolved: false,
    };
    page.comments.push(c);
    this.dataset.commentsById.set(c.id, c);
    const thread = this.dataset.discussions.get(c.discussionId);
    if (thread) thread.push(c);
    else this.dataset.discussions.set(c.discussionId, [c]);
    this.touch(page, actor, at);
    this.emit({ type: 'comment.created', comment: c, actor, at });
    return c;
  }

  /** Resolves (or reopens) a whole discussion, as the app does; resolved comments leave the API's list. */
  setResolved(discussionId: string, resolved: boolean, actor: UserRec): void {
    const thread = this.dataset.discussions.get(discussionId);
    if (!thread || thread.length === 0) throw new RangeError(`discussionId: no discussion ${discussionId}`);
    const at = this.clock();
    for (const c of thread) c.resolved = resolved;
    const first = thread[0] as CommentRec;
    this.touch(first.page, actor, at);
    this.emit({ type: 'comment.updated', comment: first, actor, at });
  }
}
