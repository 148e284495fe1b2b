// Notion → model. Pure: no I/O, no clock; ids, the stage map, people and roles come in through ctx
// (STYLE.md §5). A data source is a Project; a page (row) is an Asset whose stage comes from a status
// (or select) property per data source (`NotionStageConfig`); the entries of its files properties are
// Versions, its comments Comments, a verdict property Decisions, and a trashed page a tombstone.
// Notion keeps no property history the API can read (vendor-apis.md §3.2), so the only
// StageTransition this file can vouch for is the stage a never-edited page was created in; later
// moves are observed by the engine between syncs.
import { z } from 'zod';
import { personId, stableId } from '../../mapping/ids';
import { driveFileIdsIn, reconcileVersions, type VersionCandidate } from '../../mapping/linking';
import {
  Asset, AssetLink, Comment, DECISIONS, Decision, Project, StageTransition, Version,
  emptyBatch, toIssues, type Batch, type DecisionKind, type FieldValue, type Issue, type Normalized, type Person,
} from '../../mapping/model';
import { readStamp } from '../stamp';
import { INLINE_LIST_CAP } from './manifest';
import {
  NotionCommentRaw, NotionDataSourceRaw, NotionPageRaw, NotionPropertyItemRaw, type PROPERTY_VALUES, inTrash, isReadType, plainText, propertyValue,
  type NotionFileRaw, type NotionPropertyConfigRaw, type NotionPropertyType, type NotionPropertyValueRaw,
} from './raw';

// ---- configuration ---------------------------------------------------------------------------------

/** Where a data source carries the creative stage: a status or select property (by name or id), and option name → stage id. */
export interface NotionStageSource {
  property: string;
  map: Readonly<Record<string, string>>;
}

/** Per data source id; the key `*` applies to every data source not listed. */
export type NotionStageConfig = Readonly<Record<string, NotionStageSource>>;

export interface ResolvedNotionStage {
  propertyId: string;
  propertyName: string;
  type: 'status' | 'select';
  /** The property's options, with their status group (`To-do`, `In progress`, `Complete`) when it is a status. */
  options: readonly { id: string; name: string; group: string | null }[];
  map: Readonly<Record<string, string>>;
}

/** Which properties mean what; each by name or id. Defaults are in `propertyRoles`. */
export interface NotionPropertiesConfig {
  /** People property of the asset's owner (default: one named Owner/Assignee/Assigned to, else the first people property). */
  owner?: string;
  /** Date property of the due date (default: one whose name says due or deadline). */
  due?: string;
  /** Property holding the asset type (default: one named "Asset type"). */
  assetType?: string;
  /** Files properties whose entries are versions (default: every files property). */
  files?: readonly string[];
}

/** A verdict kept on the page itself: a select or status property, and the people property of the reviewer. */
export interface NotionDecisionsConfig {
  /** Default: a select or status property (not the stage's) named Decision/Approval/Verdict. */
  property?: string;
  /** Default: a people property named Reviewer/Approver. */
  reviewer?: string;
  /** Default: a date property named "Decided on"/"Decision date"/"Approved on"; else the page's last_edited_time. */
  decidedOn?: string;
  /** Option → decision (default: the options spelled like the decisions, any case). */
  map?: Readonly<Record<string, DecisionKind>>;
}

export interface NotionUser {
  email?: string | null;
  name?: string | null;
  /** `bot` users (integrations) are never persons. */
  type?: 'person' | 'bot' | null;
}

export interface NotionNormalizeContext {
  connectionId: string;
  /** The data source the pages come from (its schema), and its project's stable id. */
  dataSource: { id: string; projectId: string; properties: Readonly<Record<string, NotionPropertyConfigRaw>> };
  stage: ResolvedNotionStage;
  /** People by Notion user id (from `GET /v1/users`); ids not here are persons without email (reported). */
  users: ReadonlyMap<string, NotionUser>;
  /** A person's roles by email, from stageline.yaml `people`. */
  rolesOf: (email: string | null | undefined) => readonly string[];
  properties?: NotionPropertiesConfig;
  decisions?: NotionDecisionsConfig;
}

/** One page and what was fetched with it; a missing list means "not fetched this time". */
export interface PageBundle {
  /** As a data-source query or `GET /v1/pages/{id}` returns it. */
  page: unknown;
  /** The page's comments (`GET /v1/comments?block_id=<page>`, all pages of the list). */
  comments?: unknown[];
  /**
   * Whole lists of title, rich-text, people and relation properties the page object may have cut
   * (property id → the items of `GET /v1/pages/{id}/properties/{property_id}`); they replace the inline value.
   */
  propertyItems?: Readonly<Record<string, readonly unknown[]>>;
}

/** What normalization noticed that is not a record: for the sync's report, never dropped silently. */
export interface PageReport {
  pageId: string | null;
  /** The page's status or select option, when the stage map does not know it (the asset's stage is null). */
  unmappedStatus: string | null;
  /** User ids seen only as ids and absent from ctx.users: fetch them with users() and normalize again. */
  unknownUsers: string[];
  /** Related page ids per relation property: the model has no asset-to-asset relation (also in `fields`). */
  relations: { propertyId: string; propertyName: string; pageIds: string[] }[];
  /**
   * Title, rich-text, people and relation properties that said `has_more`, or filled the inline cap
   * without saying (only relations say), and whose whole list was not in the bundle: fetch them with
   * `propertyItems` and normalize again.
   */
  truncated: { propertyId: string; propertyName: string }[];
  /** Comments Stageline wrote itself (stamped): its own echo, not feedback. */
  ownComments: number;
}

// ---- data sources ------------------------------------------------------------------------------------

export function dataSourceIdOf(connectionId: string, dataSourceId: string): string {
  return stableId(connectionId, 'notion_data_source', dataSourceId);
}

export function assetIdOf(connectionId: string, pageId: string): string {
  return stableId(connectionId, 'notion_page', pageId);
}

/** A data source as a Project; a trashed one is an archived project. */
export function normalizeDataSource(raw: unknown, ctx: { connectionId: string }): Normalized<Project> {
  const p = NotionDataSourceRaw.safeParse(raw);
  if (!p.success) return { ok: false, issues: toIssues(p.error) };
  const ds = p.data;
  return validate(Project, {
    id: dataSourceIdOf(ctx.connectionId, ds.id),
    connectionId: ctx.connectionId,
    externalId: ds.id,
    name: plainText(ds.title).trim() || `(untitled data source ${ds.id})`,
    url: urlOrNull(ds.url),
    archived: inTrash(ds),
    remoteCreatedAt: toIso(ds.created_time),
    remoteUpdatedAt: toIso(ds.last_edited_time),
    raw,
  });
}

/** A property of a schema by id, else by exact name, else by name ignoring case and surrounding spaces. */
export function findProperty<P extends { id: string; name: string }>(properties: Readonly<Record<string, P>>, ref: string): P | undefined {
  const all = Object.values(properties);
  const t = ref.trim().toLowerCase();
  return all.find((p) => p.id === ref) ?? all.find((p) => p.name === ref) ?? all.find((p) => p.name.trim().toLowerCase() === t);
}

/**
 * The stage source of one data source, checked against its schema (issue paths start at `path`,
 * default `['stage', <key>]`; messages name the connection and the data source). A data-source entry
 * must name a status or select property it has, and its map only options the property has; the `*`
 * entry applies to data sources that may differ, so its map is not checked option by option.
 */
export function resolveStage(rawDataSource: unknown, config: NotionStageConfig, where: { connectionId: string; path?: (string | number)[] }): Normalized<ResolvedNotionStage> {
  const p = NotionDataSourceRaw.safeParse(rawDataSource);
  if (!p.success) return { ok: false, issues: toIssues(p.error, ['data_source']) };
  const ds = p.data;
  const specific = Object.hasOwn(config, ds.id);
  const key = specific ? ds.id : '*';
  const source = specific ? config[ds.id] : config['*'];
  const base = where.path ?? ['stage', key];
  const on = `connection "${where.connectionId}", data source ${ds.id} "${plainText(ds.title)}"`;
  if (!source) return fail({ code: 'unknown_data_source', path: base, message: `${on}: no stage source for this data source (add it under its id, or a "*" entry)` });
  const issues: Issue[] = [];
  for (const [k, stage] of Object.entries(source.map)) {
    if (typeof stage !== 'string' || !/^[a-z][a-z0-9_]{0,62}$/.test(stage)) issues.push({ code: 'invalid_stage', path: [...base, 'map', k], message: `${on}: "${String(stage)}" is not a stage id (lower_snake_case)` });
  }
  const candidates = Object.values(ds.properties).filter((x) => x.type === 'status' || x.type === 'select');
  const prop = findProperty(ds.properties, source.property);
  if (!prop) {
    issues.push({ code: 'unknown_property', path: [...base, 'property'], message: `${on}: no property "${source.property}" (status and select properties: ${candidates.map((c) => `"${c.name}"`).join(', ') || 'none'})` });
    return { ok: false, issues };
  }
  if (prop.type !== 'status' && prop.type !== 'select') {
    issues.push({ code: 'not_a_status_property', path: [...base, 'property'], message: `${on}: property "${prop.name}" is a ${prop.type} property, not status or select` });
    return { ok: false, issues };
  }
  const options = optionsOf(prop);
  if (specific) {
    for (const name of Object.keys(source.map)) {
      if (!options.some((o) => o.name === name)) issues.push({ code: 'unknown_option', path: [...base, 'map', name], message: `${on}: property "${prop.name}" has no option "${name}" (options: ${options.map((o) => `"${o.name}"`).join(', ') || 'none'})` });
    }
  }
  return issues.length ? { ok: false, issues } : { ok: true, value: { propertyId: prop.id, propertyName: prop.name, type: prop.type, options, map: source.map } };
}

function optionsOf(prop: NotionPropertyConfigRaw): { id: string; name: string; group: string | null }[] {
  if (prop.type === 'status') {
    const groups = prop.status?.groups ?? [];
    return (prop.status?.options ?? []).map((o) => ({ id: o.id, name: o.name, group: groups.find((g) => g.option_ids.includes(o.id))?.name ?? null }));
  }
  return (prop.select?.options ?? []).map((o) => ({ id: o.id, name: o.name, group: null }));
}

// ---- pages -------------------------------------------------------------------------------------------

/** Normalizes a page and what was fetched with it into one batch (see normalizePage for the report). */
export function normalizePageBundle(bundle: PageBundle, ctx: NotionNormalizeContext): Batch {
  return normalizePage(bundle, ctx).batch;
}

/** Property types whose values a page object cuts at INLINE_LIST_CAP items; the property-item endpoint has them all. */
const LIST_TYPES: ReadonlySet<string> = new Set(['title', 'rich_text', 'people', 'relation']);

/** A parsed property value, by type. */
type Parsed = { [T in NotionPropertyType]: { type: T; id: string; name: string; value: z.infer<(typeof PROPERTY_VALUES)[T]>; hasMore: boolean } }[NotionPropertyType];

/**
 * A page and what was fetched with it → one batch, and a report of what normalization noticed. A page
 * that does not parse, belongs to another data source, or has a malformed property of a type we read
 * is rejected whole with the paths of its issues (nothing half-applied); a malformed comment is
 * rejected alone and the rest goes on.
 */
export function normalizePage(bundle: PageBundle, ctx: NotionNormalizeContext): { batch: Batch; report: PageReport } {
  const out = emptyBatch();
  const report: PageReport = { pageId: idOfRaw(bundle.page), unmappedStatus: null, unknownUsers: [], relations: [], truncated: [], ownComments: 0 };
  const reject = (issues: Issue[]) => {
    out.rejected.push({ stream: 'pages', externalId: report.pageId, issues, raw: bundle.page });
    return { batch: out, report };
  };
  const parsed = NotionPageRaw.safeParse(bundle.page);
  if (!parsed.success) return reject(toIssues(parsed.error));
  const page = parsed.data;
  if (page.parent.data_source_id !== undefined && page.parent.data_source_id !== ctx.dataSource.id) {
    return reject([{ code: 'wrong_parent', path: ['parent', 'data_source_id'], message: `page ${page.id} belongs to data source ${page.parent.data_source_id}, not ${ctx.dataSource.id}` }]);
  }

  // ---- every property of a type we read, parsed on its own path (long lists replaced by their items)
  const props: Parsed[] = [];
  const issues: Issue[] = [];
  for (const [name, prop] of Object.entries(page.properties)) {
    if (!isReadType(prop.type)) continue;
    const full = bundle.propertyItems?.[prop.id];
    const source = full !== undefined ? fromPropertyItems(prop, full, ['properties', name, prop.type], issues) : prop;
    if (source === null) continue;
    const v = propertyValue(prop.type, source);
    if (!v.success) {
      issues.push(...toIssues(v.error, ['properties', name, prop.type]));
      continue;
    }
    // Page objects carry at most INLINE_LIST_CAP items of these lists; relations add `has_more`, the
    // others say nothing, so a full inline list may be cut (simulator README "Page objects" [U]).
    const inline = (v.data as unknown[] | null)?.length ?? 0;
    const hasMore = full === undefined && LIST_TYPES.has(prop.type) && (prop.has_more === true || (prop.has_more === undefined && inline >= INLINE_LIST_CAP));
    if (hasMore) report.truncated.push({ propertyId: prop.id, propertyName: name });
    props.push({ type: prop.type, id: prop.id, name, value: v.data, hasMore } as Parsed);
  }
  if (issues.length) return reject(issues);

  const conn = ctx.connectionId;
  const assetId = assetIdOf(conn, page.id);
  const people = new People(ctx, conn);
  for (const p of props) if (p.type === 'people') people.learn(p.value);

  // ---- stage
  const stageProp = props.find((p) => p.id === ctx.stage.propertyId);
  const status = stageProp && (stageProp.type === 'status' || stageProp.type === 'select') ? (stageProp.value?.name ?? null) : null;
  const stage = status !== null ? (ctx.stage.map[status] ?? null) : null;
  if (status !== null && stage === null) report.unmappedStatus = status;

  // ---- fields by property name, relations, Drive references
  const fields: Record<string, FieldValue> = {};
  const fileRefs = new Set<string>();
  let title = '';
  for (const p of props) {
    fields[p.name] = fieldValue(p, people);
    if (p.type === 'title') title = plainText(p.value);
    if (p.type === 'relation') report.relations.push({ propertyId: p.id, propertyName: p.name, pageIds: p.value.map((r) => r.id) });
    if (p.type === 'rich_text') for (const id of driveFileIdsIn(plainText(p.value) + ' ' + p.value.map((t) => t.href ?? '').join(' '))) fileRefs.add(id);
    if (p.type === 'url') for (const id of driveFileIdsIn(p.value)) fileRefs.add(id);
  }
  const roles = propertyRoles(ctx.dataSource.properties, ctx.properties, ctx.stage.propertyId);
  const byId = (id: string | undefined) => (id === undefined ? undefined : props.find((p) => p.id === id));
  const typeProp = byId(roles.assetType?.id);
  const assetType = typeProp ? fieldValue(typeProp, people) : null;

  // ---- due date, owner
  const dueProp = byId(roles.due?.id);
  const due = dueProp?.type === 'date' ? dueProp.value : null;
  const { dueOn, dueAt } = dueOf(due?.start ?? null);
  const ownerProp = byId(roles.owner?.id);
  const ownerId = ownerProp?.type === 'people' ? (ownerProp.value.map((u) => people.entry(u)).find((x) => x !== null) ?? null) : null;

  // ---- versions from files properties (collected first: their Drive links are explicit file references)
  const versionInputs: VersionInput[] = [];
  for (const fp of roles.files) {
    const p = byId(fp.id);
    if (p?.type !== 'files') continue;
    p.value.forEach((f, i) => versionInputs.push(versionInput(page.id, p.id, f, i)));
  }
  for (const v of versionInputs) if (v.fileRef) fileRefs.add(v.fileRef);

  const asset = validate(Asset, {
    id: assetId,
    connectionId: conn,
    externalId: page.id,
    projectId: ctx.dataSource.projectId,
    name: title.trim() || `(untitled page ${page.id})`,
    assetType: typeof assetType === 'string' ? assetType : null,
    stage,
    sourceStatus: status,
    ownerId,
    dueOn,
    dueAt,
    // Notion records no time for a status change (vendor-apis.md §3.2 "who changed what"): completion
    // is known from the stage history the engine observes, not from the page.
    completedAt: null,
    url: urlOrNull(page.url),
    fields,
    fileRefs: [...fileRefs],
    remoteCreatedAt: page.created_time,
    remoteUpdatedAt: page.last_edited_time,
    raw: bundle.page,
  });
  if (!asset.ok) return reject(asset.issues);
  out.assets.push(asset.value);
  out.links.push(AssetLink.parse({ id: stableId(conn, 'link:notion_page', page.id), assetId, connectionId: conn, kind: 'notion_page', externalId: page.id, url: asset.value.url, via: 'primary' }));

  // ---- versions, numbered by `_vNN` where names carry one, else by position (mapping/linking.ts)
  pushVersions(versionInputs, page, assetId, conn, people, out);

  // ---- comments
  if (bundle.comments) pushComments(bundle.comments, page.id, assetId, conn, people, out, report);

  // ---- a verdict on the page → a decision
  pushDecision(props, page, assetId, ctx, people, out);

  // ---- the stage the page was created in: only provable when the page was never edited since
  if (page.created_time === page.last_edited_time && status !== null) {
    out.transitions.push(StageTransition.parse({
      id: stableId(conn, 'notion_initial_stage', page.id),
      connectionId: conn,
      externalId: `${page.id}:initial`,
      assetId,
      fromStage: null,
      toStage: stage,
      fromStatus: null,
      toStatus: status,
      at: page.created_time,
      actorId: people.byId(page.created_by.id),
      source: 'initial',
      raw: null,
    }));
  }

  // ---- trash → tombstone (the asset keeps its row, its history and its last state)
  if (inTrash(page)) out.tombstones.push({ kind: 'asset', ids: [assetId], at: page.last_edited_time });

  out.persons.push(...people.all());
  report.unknownUsers = people.unknown();
  return { batch: out, report };
}

/**
 * A relation or people value rebuilt from the items of `GET /v1/pages/{id}/properties/{property_id}`
 * (pages.d.ts PropertyItemListResponse: one `property_item` per related page or user).
 */
function fromPropertyItems(prop: NotionPropertyValueRaw, items: readonly unknown[], path: (string | number)[], issues: Issue[]): Record<string, unknown> | null {
  const values: unknown[] = [];
  items.forEach((raw, i) => {
    const it = NotionPropertyItemRaw.safeParse(raw);
    if (!it.success) {
      issues.push(...toIssues(it.error, [...path, 'items', i]));
      return;
    }
    if (it.data.type !== prop.type) {
      issues.push({ code: 'invalid_type', path: [...path, 'items', i, 'type'], message: `a ${it.data.type} item in the ${prop.type} property ${prop.id}` });
      return;
    }
    values.push((it.data as Record<string, unknown>)[prop.type]);
  });
  return issues.length ? null : { ...prop, [prop.type]: values };
}

/**
 * Every user id a page bundle names (people values, creators, editors, comment authors), so the
 * engine can resolve the ones it lacks with `GET /v1/users/{id}` before normalizing.
 */
export function userIdsIn(bundle: PageBundle): string[] {
  const ids = new Set<string>();
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) {
      for (const y of x) walk(y);
      return;
    }
    if (!x || typeof x !== 'object') return;
    const o = x as Record<string, unknown>;
    if (o.object === 'user' && typeof o.id === 'string') ids.add(o.id);
    for (const v of Object.values(o)) if (v && typeof v === 'object') walk(v);
  };
  walk([bundle.page, bundle.comments ?? [], Object.values(bundle.propertyItems ?? {})]);
  return [...ids].sort();
}

// ---- people ------------------------------------------------------------------------------------------

class People {
  private persons = new Map<string, Person>();
  private missing = new Set<string>();
  /** Users seen whole inline (people values carry name, type and, with the capability, email). */
  private inline = new Map<string, NotionUser>();

  constructor(private readonly ctx: NotionNormalizeContext, private readonly conn: string) {}

  learn(values: readonly unknown[]): void {
    for (const v of values) {
      const u = v as { object?: unknown; id?: unknown; name?: unknown; type?: unknown; person?: { email?: unknown } };
      if (u.object !== 'user' || typeof u.id !== 'string') continue;
      const email = typeof u.person?.email === 'string' ? u.person.email : null;
      const name = typeof u.name === 'string' ? u.name : null;
      const type = u.type === 'bot' || u.type === 'person' ? u.type : null;
      if (email || name || type) this.inline.set(u.id, { email, name, type });
    }
  }

  /** A people-value entry as a person: groups and bots are not persons (null). */
  entry(v: unknown): string | null {
    const u = v as { object?: unknown; id?: unknown; type?: unknown };
    if (u.object !== 'user' || typeof u.id !== 'string' || u.type === 'bot') return null;
    return this.byId(u.id);
  }

  /** The person behind a user id: by email when known (the same human as in other tools), else by Notion account; bots are null. */
  byId(userId: string | null | undefined): string | null {
    if (!userId) return null;
    const known = this.ctx.users.get(userId);
    const seen = this.inline.get(userId);
    if ((known?.type ?? seen?.type) === 'bot') return null;
    const rawEmail = (known?.email ?? seen?.email ?? '').trim().toLowerCase();
    const email = rawEmail && z.email().safeParse(rawEmail).success ? rawEmail : null;
    const name = (known?.name ?? seen?.name ?? '').trim() || null;
    if (!known && !seen) this.missing.add(userId);
    const id = personId(email, this.conn, userId);
    const prev = this.persons.get(id);
    if (!prev || (!prev.name && name) || (!prev.email && email)) {
      this.persons.set(id, { id, email: email ?? prev?.email ?? null, name: name ?? prev?.name ?? null, identity: { connectionId: this.conn, externalId: userId } });
    }
    return id;
  }

  email(personId: string | null): string | null {
    return personId ? (this.persons.get(personId)?.email ?? null) : null;
  }

  /** What a people value shows in `fields`: the email, else the name, else `user:<id>`. */
  label(v: unknown): string {
    const u = v as { object?: unknown; id?: unknown; name?: unknown };
    const id = typeof u.id === 'string' ? u.id : '';
    if (u.object === 'group') return `group:${typeof u.name === 'string' && u.name ? u.name : id}`;
    const known = this.ctx.users.get(id) ?? this.inline.get(id);
    return known?.email?.trim().toLowerCase() || known?.name?.trim() || `user:${id}`;
  }

  all(): Person[] {
    return [...this.persons.values()];
  }

  unknown(): string[] {
    return [...this.missing].sort();
  }
}

// ---- values ------------------------------------------------------------------------------------------

/** Display-ready value of a property (Asset.fields): names, emails, dates, numbers, plain text; ids for relations. */
function fieldValue(p: Parsed, people: People): FieldValue {
  switch (p.type) {
    case 'title':
    case 'rich_text':
      return plainText(p.value);
    case 'status':
    case 'select':
      return p.value?.name ?? null;
    case 'multi_select':
      return p.value.map((o) => o.name);
    case 'people':
      return p.value.map((u) => people.label(u));
    case 'date':
      return p.value ? (p.value.end ? `${p.value.start}/${p.value.end}` : p.value.start) : null;
    case 'files':
      return p.value.map((f) => fileName(f));
    case 'relation':
      return p.value.map((r) => r.id);
    case 'number':
    case 'checkbox':
    case 'url':
    case 'email':
    case 'phone_number':
    case 'created_time':
    case 'last_edited_time':
      return p.value;
    case 'unique_id':
      return p.value.number === null ? null : p.value.prefix ? `${p.value.prefix}-${p.value.number}` : String(p.value.number);
    case 'created_by':
    case 'last_edited_by':
      return people.label(p.value);
    case 'formula':
    case 'rollup': {
      const inner = (p.value as Record<string, unknown>)[p.value.type];
      if (typeof inner === 'string' || typeof inner === 'number' || typeof inner === 'boolean') return inner;
      if (inner && typeof inner === 'object' && typeof (inner as { start?: unknown }).start === 'string') return (inner as { start: string }).start;
      return null;
    }
  }
}

/** The properties that mean owner, due date, asset type and versions in this schema. */
export function propertyRoles(
  properties: Readonly<Record<string, NotionPropertyConfigRaw>>,
  cfg: NotionPropertiesConfig = {},
  stagePropertyId?: string,
): { owner?: NotionPropertyConfigRaw; due?: NotionPropertyConfigRaw; assetType?: NotionPropertyConfigRaw; files: NotionPropertyConfigRaw[] } {
  const all = Object.values(properties);
  const ofType = (t: string) => all.filter((p) => p.type === t);
  const owner = cfg.owner ? findProperty(properties, cfg.owner) : (ofType('people').find((p) => /^(owner|assignee|assigned to|person|people)$/i.test(p.name.trim())) ?? ofType('people')[0]);
  const due = cfg.due ? findProperty(properties, cfg.due) : ofType('date').find((p) => /\b(due|deadline)\b/i.test(p.name));
  const assetTypeRef = findProperty(properties, cfg.assetType ?? 'Asset type');
  const assetType = assetTypeRef && assetTypeRef.id !== stagePropertyId ? assetTypeRef : undefined;
  const files = cfg.files ? cfg.files.map((f) => findProperty(properties, f)).filter((p): p is NotionPropertyConfigRaw => p !== undefined) : ofType('files');
  return { ...(owner ? { owner } : {}), ...(due ? { due } : {}), ...(assetType ? { assetType } : {}), files };
}

/**
 * A date value's start as the asset's due date: a bare date is `dueOn`; a date-time (written with its
 * offset, `2026-01-31T15:00:00.000+01:00`) is `dueAt` in UTC and `dueOn` the date as written.
 */
export function dueOf(start: string | null): { dueOn: string | null; dueAt: string | null } {
  if (!start) return { dueOn: null, dueAt: null };
  if (/^\d{4}-\d{2}-\d{2}$/.test(start)) return { dueOn: start, dueAt: null };
  const at = toIso(start);
  return at ? { dueOn: start.slice(0, 10), dueAt: at } : { dueOn: null, dueAt: null };
}

// ---- files → versions ------------------------------------------------------------------------------

interface VersionInput {
  externalId: string;
  name: string;
  url: string | null;
  host: string | null;
  fileRef: string | null;
  raw: unknown;
}

function fileName(f: NotionFileRaw): string {
  return f.name ?? (f.type === 'file_upload' ? f.file_upload.id : '');
}

/**
 * One entry of a files property. Identity is the page, the property, the entry's position and its name
 * (or its file upload id): a Notion-hosted URL is signed and expires within the hour (vendor-apis.md
 * §3.2), so it is never an id and never stored; an external URL is stable and kept.
 */
function versionInput(pageId: string, propertyId: string, f: NotionFileRaw, index: number): VersionInput {
  const position = String(index).padStart(4, '0');
  if (f.type === 'file_upload') return { externalId: `${pageId}/${propertyId}/upload:${f.file_upload.id}`, name: fileName(f) || f.file_upload.id, url: null, host: 'notion', fileRef: null, raw: f };
  const name = f.name.trim() || `(unnamed file ${index + 1})`;
  if (f.type === 'file') {
    // The signed URL and its expiry are dropped from the stored payload: they change on every read.
    return { externalId: `${pageId}/${propertyId}/${position}/${name}`, name, url: null, host: 'notion', fileRef: null, raw: { type: 'file', name: f.name } };
  }
  const url = f.external.url;
  const drive = driveFileIdsIn(url)[0] ?? null;
  return { externalId: `${pageId}/${propertyId}/${position}/${name}`, name, url: urlOrNull(url), host: hostOf(url), fileRef: drive, raw: f };
}

/**
 * Versions of the page's files properties. Notion records no time per entry, so every version carries
 * the page's created_time and their order is the property's order (the position leads the external id,
 * which breaks the tie in reconcileVersions), unless names carry `_vNN`. The list is complete: an entry
 * removed from the property is tombstoned (batch.complete).
 */
function pushVersions(inputs: VersionInput[], page: NotionPageRaw, assetId: string, conn: string, people: People, out: Batch): void {
  const candidates: VersionCandidate[] = inputs.map((v) => ({
    connectionId: conn, externalId: v.externalId, source: 'files_property', fileId: v.fileRef, name: v.name, createdAt: page.created_time, checksum: null, sizeBytes: null,
  }));
  const numbers = new Map<string, number>();
  for (const rv of reconcileVersions({ key: null }, candidates)) {
    for (const c of [rv.candidate, ...rv.merged.map((m) => m.candidate)]) numbers.set(c.externalId, rv.number);
  }
  const ids: string[] = [];
  for (const v of inputs) {
    const id = stableId(conn, 'notion_file', v.externalId);
    const ver = validate(Version, {
      id, connectionId: conn, externalId: v.externalId, assetId, number: numbers.get(v.externalId) ?? 1, name: v.name, source: 'files_property',
      url: v.url, host: v.host, sizeBytes: null, checksum: null, fileRef: v.fileRef, createdById: people.byId(page.created_by.id), createdAt: page.created_time, raw: v.raw,
    });
    if (ver.ok) {
      out.versions.push(ver.value);
      ids.push(id);
    } else out.rejected.push({ stream: 'files', externalId: v.externalId, issues: ver.issues, raw: v.raw });
  }
  out.complete.push({ kind: 'version', assetId, scope: 'all', ids });
}

// ---- comments ----------------------------------------------------------------------------------------

/**
 * Comments as feedback. Stageline's own (stamped when written, connectors/stamp.ts) are its writes
 * coming back and are counted, not kept. A comment anchored to a block sits in that block's thread.
 * No complete set: the list answers only unresolved comments (vendor-apis.md §3.2 [D]), so a comment
 * missing from it may just be resolved, and resolved feedback is still history.
 */
function pushComments(list: unknown[], pageId: string, assetId: string, conn: string, people: People, out: Batch, report: PageReport): void {
  list.forEach((raw, i) => {
    const p = NotionCommentRaw.safeParse(raw);
    if (!p.success) {
      out.rejected.push({ stream: 'comments', externalId: idOfRaw(raw), issues: toIssues(p.error, ['comments', i]), raw });
      return;
    }
    const c = p.data;
    const body = plainText(c.rich_text);
    if (readStamp(body) !== null) {
      report.ownComments++;
      return;
    }
    const parentPage = c.parent.type === 'page_id' ? c.parent.page_id : undefined;
    if (parentPage !== undefined && parentPage !== pageId) {
      out.rejected.push({ stream: 'comments', externalId: c.id, issues: [{ code: 'wrong_parent', path: ['comments', i, 'parent', 'page_id'], message: `comment ${c.id} is on page ${parentPage}, not ${pageId}` }], raw });
      return;
    }
    const v = validate(Comment, {
      id: stableId(conn, 'notion_comment', c.id),
      connectionId: conn,
      externalId: c.id,
      assetId,
      versionId: null, // attributed in SQL to the version current when the comment was written
      authorId: people.byId(c.created_by.id),
      body,
      createdAt: c.created_time,
      threadExternalId: c.parent.type === 'block_id' ? (c.parent.block_id ?? null) : null,
      raw,
    });
    if (v.ok) out.comments.push(v.value);
    else out.rejected.push({ stream: 'comments', externalId: c.id, issues: v.issues, raw });
  });
}

// ---- verdict → decision ------------------------------------------------------------------------------

const DEFAULT_DECISION_MAP: Readonly<Record<string, DecisionKind>> = Object.fromEntries(DECISIONS.map((d) => [d.replace(/_/g, ' '), d]));

/** The decision, reviewer and decided-on properties of a schema (configured, else by name). */
export function decisionRoles(
  properties: Readonly<Record<string, NotionPropertyConfigRaw>>,
  cfg: NotionDecisionsConfig = {},
  stagePropertyId?: string,
): { decision?: NotionPropertyConfigRaw; reviewer?: NotionPropertyConfigRaw; decidedOn?: NotionPropertyConfigRaw } {
  const all = Object.values(properties);
  const choice = all.filter((p) => (p.type === 'select' || p.type === 'status') && p.id !== stagePropertyId);
  const decision = cfg.property ? findProperty(properties, cfg.property) : choice.find((p) => /^(decision|approval|verdict)$/i.test(p.name.trim()));
  const reviewer = cfg.reviewer ? findProperty(properties, cfg.reviewer) : all.find((p) => p.type === 'people' && /^(reviewer|approver)s?$/i.test(p.name.trim()));
  const decidedOn = cfg.decidedOn ? findProperty(properties, cfg.decidedOn) : all.find((p) => p.type === 'date' && /^(decided on|decision date|approved on)$/i.test(p.name.trim()));
  return { ...(decision ? { decision } : {}), ...(reviewer ? { reviewer } : {}), ...(decidedOn ? { decidedOn } : {}) };
}

/**
 * The verdict the page holds now, as a Decision. Notion keeps no history of it, so each verdict a page
 * is seen with is one decision (id: page, property, option), decided at the decided-on date when the
 * schema has one, else at the page's last edit. No complete set: an earlier verdict replaced by a new
 * one is still a decision that was made.
 */
function pushDecision(props: Parsed[], page: NotionPageRaw, assetId: string, ctx: NotionNormalizeContext, people: People, out: Batch): void {
  const roles = decisionRoles(ctx.dataSource.properties, ctx.decisions, ctx.stage.propertyId);
  const p = roles.decision ? props.find((x) => x.id === roles.decision!.id) : undefined;
  if (!p || (p.type !== 'select' && p.type !== 'status') || !p.value) return;
  const option = p.value.name;
  const kind = ctx.decisions?.map ? (ctx.decisions.map[option] ?? null) : (DEFAULT_DECISION_MAP[option.trim().toLowerCase()] ?? null);
  if (!kind) return;
  const reviewerProp = roles.reviewer ? props.find((x) => x.id === roles.reviewer!.id) : undefined;
  const reviewerId = (reviewerProp?.type === 'people' ? reviewerProp.value.map((u) => people.entry(u)).find((x) => x !== null) : undefined) ?? people.byId(page.last_edited_by.id);
  const dateProp = roles.decidedOn ? props.find((x) => x.id === roles.decidedOn!.id) : undefined;
  const decidedOn = dateProp?.type === 'date' && dateProp.value ? toIso(dateProp.value.start) : null;
  const externalId = `${page.id}/${p.id}/${p.value.id ?? option}`;
  const d = validate(Decision, {
    id: stableId(ctx.connectionId, 'notion_decision', externalId),
    connectionId: ctx.connectionId,
    externalId,
    assetId,
    versionId: null, // attributed in SQL to the version current at decision time
    decision: kind,
    reviewerId,
    role: ctx.rolesOf(people.email(reviewerId))[0] ?? null,
    decidedAt: decidedOn ?? page.last_edited_time,
    raw: { property: p.name, option: p.value },
  });
  if (d.ok) out.decisions.push(d.value);
  else out.rejected.push({ stream: 'decisions', externalId, issues: d.issues, raw: { property: p.name, option: p.value } });
}

// ---- helpers ---------------------------------------------------------------------------------------------

/** A Notion time as ISO 8601 in UTC, or null: a bare date is midnight UTC. */
export function toIso(v: string | null | undefined): string | null {
  if (!v) return null;
  const s = v.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return `${s}T00:00:00.000Z`;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(s)) return null;
  const t = Date.parse(s);
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

function urlOrNull(u: string | null | undefined): string | null {
  return u && z.url().safeParse(u).success ? u : null;
}

function hostOf(u: string): string | null {
  try {
    return new URL(u).hostname || null;
  } catch {
    return null;
  }
}

function validate<T>(schema: z.ZodType<T>, value: unknown): Normalized<T> {
  const r = schema.safeParse(value);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: toIssues(r.error) };
}

function fail(issue: Issue): Normalized<never> {
  return { ok: false, issues: [issue] };
}

function idOfRaw(x: unknown): string | null {
  const id = x && typeof x === 'object' ? (x as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : null;
}
