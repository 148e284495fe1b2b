// The agency's Notion workspace, built from the same generated agency as the Asana, Drive and monday
// simulators: the same people (same emails; client reviewers are guests, and some of them show no
// email), a Clients database, and one database per campaign project (or fewer, larger ones) whose
// single data source holds every asset as a page: Stage is a status property whose options are the
// agency's stages, Owner and Reviewers are people, Due a date, Files the asset's versions (hosted
// uploads and Drive/external links), Client a two-way relation to the Clients data source, and
// comments are the task's feedback threads (some resolved). Notion keeps no property history, so a
// page carries its current state and the time and author of its last edit. An optional archive
// data source of any size (cheap pages ten minutes apart) exercises the 10,000-row query cap.

import { createHash } from 'node:crypto';
import { CF, type GeneratedAgency, generateAgency } from '../../asana/simulator';
import {
  type AttachmentRec,
  type EnumOptionRec,
  type ProjectRec,
  type StoryRec,
  type TaskRec,
  type UserRec as AsanaUser,
  SECTION_NAMES,
} from '../../asana/simulator/model';
import { Rng } from '../../asana/simulator/rng';
import { AGENCY, CLIENTS } from '../../asana/simulator/vocabulary';
import {
  type CommentRec,
  type DataSourceRec,
  type DataSourceRole,
  type DatabaseRec,
  type FileRec,
  type GeneratedNotion,
  type NotionDataset,
  type OptionRec,
  type PageRec,
  type PropValue,
  type PropertyRec,
  type PropertyType,
  type SelectColor,
  type StatusGroupRec,
  type UserRec,
  floorMinute,
  textItem,
} from './model';
import { PROPERTY_NAMES } from './names';
import { computeTruth } from './truth';

export { PROPERTY_NAMES };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Notion's text.content limit per rich-text item (vendor-apis §3.7). */
const TEXT_CHUNK = 2000;

export interface GenerateNotionOptions {
  seed: number | string;
  /** The agency to build the workspace for; default generateAgency({ seed, tasks, projects, now }). */
  agency?: GeneratedAgency;
  /** For the default agency: top-level tasks (default 300), projects and end of history. */
  tasks?: number;
  projects?: number;
  now?: string | Date;
  /** Campaign databases; default one per project. Fewer groups several projects per database. */
  databases?: number;
  /** Pages of an extra "Asset archive" data source (ten minutes apart); default 0 (none). */
  bulkPages?: number;
  /** Share of client reviewers whose email Notion does not give out; default 1/3. */
  emaillessShare?: number;
}


/** The Stage options' colours and the status groups they sit in (Notion's To-do / In progress / Complete). */
const STAGE_STYLE: Record<string, { color: SelectColor; group: 'To-do' | 'In progress' | 'Complete' }> = {
  Briefing: { color: 'gray', group: 'To-do' },
  'In Production': { color: 'blue', group: 'In progress' },
  'Internal Review': { color: 'purple', group: 'In progress' },
  'Client Review': { color: 'orange', group: 'In progress' },
  Approved: { color: 'green', group: 'Complete' },
  Delivered: { color: 'green', group: 'Complete' },
  'On Hold': { color: 'yellow', group: 'To-do' },
  Cancelled: { color: 'red', group: 'Complete' },
};
const GROUP_COLORS: Record<string, SelectColor> = { 'To-do': 'gray', 'In progress': 'blue', Complete: 'green' };
const COLORS: readonly SelectColor[] = ['default', 'gray', 'brown', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink', 'red'];
const REPLIES = ['Thanks, on it.', 'Updated in the latest version.', 'Agreed, will fix today.', 'Done, please take another look.', 'Good catch, changing it now.'];

export function generateNotion(options: GenerateNotionOptions): GeneratedNotion {
  const seed = String(options.seed);
  const agency = options.agency ?? generateAgency({ seed: options.seed, tasks: options.tasks ?? 300, projects: options.projects, now: options.now });
  const projects = agency.dataset.projects;
  const n = options.databases ?? projects.length;
  if (!Number.isInteger(n) || n < 1 || n > projects.length) {
    throw new RangeError(`databases: expected an integer between 1 and ${projects.length} (the agency's projects), got ${String(options.databases)}`);
  }
  const bulk = options.bulkPages ?? 0;
  if (!Number.isInteger(bulk) || bulk < 0 || bulk > 200_000) throw new RangeError(`bulkPages: expected an integer between 0 and 200000, got ${String(options.bulkPages)}`);
  const share = options.emaillessShare ?? 1 / 3;
  if (!(share >= 0 && share <= 1)) throw new RangeError(`emaillessShare: expected a number between 0 and 1, got ${String(share)}`);
  return new NotionGenerator(agency, seed, n, bulk, share).run();
}

class NotionGenerator {
  private readonly rng: Rng;
  private readonly now: number;
  private readonly dataset: NotionDataset;
  private readonly people = new Map<string, UserRec>();
  private counter = 0;

  constructor(
    private readonly agency: GeneratedAgency,
    private readonly seed: string,
    private readonly databaseCount: number,
    private readonly bulkPages: number,
    private readonly emaillessShare: number,
  ) {
    this.rng = new Rng(`stageline-notion:${seed}`);
    this.now = Date.parse(agency.dataset.now);
    const bot = this.user('bot', 'Creative Ops Bot', null, null, false);
    this.dataset = {
      seed,
      now: agency.dataset.now,
      workspace: { id: this.uuid(), name: AGENCY.name },
      integrationId: this.uuid(),
      bot,
      users: [bot],
      databases: [],
      usersById: new Map([[bot.id, bot]]),
      databasesById: new Map(),
      dataSourcesById: new Map(),
      pagesById: new Map(),
      commentsById: new Map(),
      discussions: new Map(),
      nextSeq: 0,
    };
  }

  /** A UUID derived from the seed and a counter: the same workspace for the same seed. */
  private uuid(): string {
    const h = createHash('sha1').update(`${this.seed}:${this.counter++}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h.slice(16, 17), 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** Notion's property ids are short and URL-encoded; some start with an encoded colon. */
  private propertyId(): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    let s = this.rng.chance(0.4) ? '%3A' : '';
    const n = s ? 3 : 4;
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.rng.next() * alphabet.length)];
    return s;
  }

  private user(type: 'person' | 'bot', name: string, email: string | null, asana: AsanaUser | null, guest: boolean): UserRec {
    return {
      kind: 'user',
      id: this.uuid(),
      type,
      name,
      avatarUrl: type === 'person' ? `https://s3-us-west-2.amazonaws.com/public.notion-static.com/avatar-${this.counter}.png` : null,
      email,
      guest,
      role: asana?.role ?? null,
      asanaGid: asana?.gid ?? null,
    };
  }

  run(): GeneratedNotion {
    const ds = this.dataset;
    let reviewers = 0;
    for (const u of this.agency.dataset.users) {
      if (u.role === 'integration') {
        this.people.set(u.gid, ds.bot);
        continue;
      }
      const guest = u.role === 'client_reviewer';
      // Every k-th client reviewer shows no email (a guest whose address Notion keeps back).
      const hidden = guest && this.emaillessShare > 0 && Math.floor((reviewers + 1) * this.emaillessShare) > Math.floor(reviewers * this.emaillessShare);
      if (guest) reviewers++;
      const rec = this.user('person', u.name, hidden ? null : u.email, u, guest);
      this.people.set(u.gid, rec);
      ds.users.push(rec);
      ds.usersById.set(rec.id, rec);
    }
    const zap = this.user('bot', 'Zapier', null, null, false);
    ds.users.push(zap);
    ds.usersById.set(zap.id, zap);

    const projects = this.agency.dataset.projects;
    const start = Math.min(...projects.map((p) => p.createdAt)) - 30 * DAY;
    const owner = this.person(projects[0]?.owner ?? null) ?? ds.bot;

    // Clients first: the campaign data sources relate to it.
    const clientsDb = this.database('Clients', 'Every client company the agency works for.', start, owner);
    const clients = this.dataSource(clientsDb, 'Clients', 'clients', start, owner);
    this.property(clients, 'Name', 'title', { id: 'title' });
    const domain = this.property(clients, 'Domain', 'url');
    const clientPage = new Map<string, PageRec>();
    for (const c of CLIENTS) {
      if (!projects.some((p) => p.client === c.company)) continue;
      const page = this.page(clients, start + clientPage.size * HOUR, owner, null);
      page.values.set('title', { t: 'title', items: [textItem(c.company)] });
      page.values.set(domain.id, { t: 'url', url: `https://${c.domain}` });
      clientPage.set(c.company, page);
    }

    const groups: ProjectRec[][] = Array.from({ length: this.databaseCount }, () => []);
    projects.forEach((p, i) => groups[i % this.databaseCount]?.push(p));
    groups.forEach((group, i) => {
      const first = group[0] as ProjectRec;
      const title = this.databaseCount === projects.length ? first.name : `Campaign assets ${i + 1}`;
      const created = Math.min(...group.map((p) => p.createdAt)) - DAY;
      const db = this.database(title, group.map((p) => p.notes).join('\n\n').slice(0, TEXT_CHUNK), created, this.person(first.owner) ?? owner);
      const source = this.dataSource(db, title, 'assets', created, db.createdBy);
      source.projectGids = group.map((p) => p.gid);
      this.assetSchema(source, clients, group);
      for (const p of group) for (const t of p.tasks) this.assetPage(source, p, t, clientPage.get(p.client) ?? null);
    });

    if (this.bulkPages > 0) this.archive(owner);
    ds.nextSeq = this.counter;
    return { dataset: ds, truth: computeTruth(ds) };
  }

  private person(u: AsanaUser | null): UserRec | null {
    if (!u) return null;
    const rec = this.people.get(u.gid);
    if (!rec) throw new Error(`no Notion user for ${u.email}`);
    return rec;
  }

  // ---- containers ---------------------------------------------------------------------------------

  private database(title: string, description: string, at: number, by: UserRec): DatabaseRec {
    const db: DatabaseRec = {
      kind: 'database',
      id: this.uuid(),
      title,
      description,
      createdTime: floorMinute(at),
      lastEditedTime: floorMinute(at),
      createdBy: by,
      lastEditedBy: by,
      inTrash: false,
      isLocked: false,
      shared: true,
      dataSources: [],
    };
    this.dataset.databases.push(db);
    this.dataset.databasesById.set(db.id, db);
    return db;
  }

  private dataSource(db: DatabaseRec, name: string, role: DataSourceRole, at: number, by: UserRec): DataSourceRec {
    const s: DataSourceRec = {
      kind: 'data_source',
      id: this.uuid(),
      name,
      role,
      database: db,
      properties: [],
      pages: [],
      nextUniqueId: 1,
      createdTime: floorMinute(at),
      lastEditedTime: floorMinute(at),
      createdBy: by,
      lastEditedBy: by,
      projectGids: [],
    };
    db.dataSources.push(s);
    this.dataset.dataSourcesById.set(s.id, s);
    return s;
  }

  private property(s: DataSourceRec, name: string, type: PropertyType, extra: Partial<PropertyRec> = {}): PropertyRec {
    const p: PropertyRec = { id: this.propertyId(), name, type, description: null, options: [], groups: [], numberFormat: 'number', relation: null, prefix: null, ...extra };
    if (s.properties.some((q) => q.id === p.id)) return this.property(s, name, type, extra);
    s.properties.push(p);
    return p;
  }

  private options(names: readonly string[], color?: (name: string, i: number) => SelectColor): OptionRec[] {
    return names.map((name, i) => ({ id: this.propertyId(), name, color: color ? color(name, i) : (COLORS[i % COLORS.length] as SelectColor), description: null }));
  }

  private assetSchema(s: DataSourceRec, clients: DataSourceRec, projects: ProjectRec[]): void {
    const P = PROPERTY_NAMES;
    this.property(s, P.name, 'title', { id: 'title' });
    const stageOptions = this.options(SECTION_NAMES, (n) => STAGE_STYLE[n]?.color ?? 'default');
    const groups: StatusGroupRec[] = ['To-do', 'In progress', 'Complete'].map((g) => ({
      id: this.propertyId(),
      name: g,
      color: GROUP_COLORS[g] as SelectColor,
      optionIds: stageOptions.filter((o) => STAGE_STYLE[o.name]?.group === g).map((o) => o.id),
    }));
    this.property(s, P.stage, 'status', { options: stageOptions, groups });
    this.property(s, P.owner, 'people');
    this.property(s, P.reviewers, 'people');
    this.property(s, P.due, 'date');
    this.property(s, P.files, 'files');
    const synced = `Assets (${s.name})`;
    const client = this.property(s, P.client, 'relation');
    const back = this.property(clients, synced, 'relation', { relation: { dataSource: s, syncedPropertyId: client.id, syncedPropertyName: client.name, mirror: true } });
    client.relation = { dataSource: clients, syncedPropertyId: back.id, syncedPropertyName: back.name, mirror: false };
    this.property(s, P.assetKey, 'rich_text');
    const typeNames = new Set<string>();
    const channelNames = new Set<string>();
    for (const p of projects) {
      const typeSetting = p.settings[CF.assetType];
      const channelSetting = p.settings[CF.channels];
      for (const o of typeSetting?.field.options ?? []) typeNames.add(o.name);
      for (const o of channelSetting?.field.options ?? []) channelNames.add(o.name);
    }
    typeNames.add('Milestone');
    this.property(s, P.assetType, 'select', { options: this.options([...typeNames]) });
    this.property(s, P.channels, 'multi_select', { options: this.options([...channelNames]) });
    this.property(s, P.campaign, 'select', { options: this.options(projects.map((p) => p.name)) });
    this.property(s, P.budget, 'number', { numberFormat: 'dollar' });
    this.property(s, P.brief, 'rich_text');
    this.property(s, P.id, 'unique_id', { prefix: 'AST' });
    this.property(s, P.created, 'created_time');
    this.property(s, P.createdBy, 'created_by');
    this.property(s, P.lastEdited, 'last_edited_time');
    this.property(s, P.lastEditedBy, 'last_edited_by');
    this.property(s, P.opsStatus, 'rich_text', { description: 'Written by Stageline' });
    this.property(s, P.revisionRound, 'number');
    this.property(s, P.daysInStage, 'number');
    this.property(s, P.cycleTime, 'number');
  }

  private page(s: DataSourceRec, at: number, by: UserRec, taskGid: string | null): PageRec {
    const page: PageRec = {
      kind: 'page',
      id: this.uuid(),
      dataSource: s,
      values: new Map(),
      uniqueId: s.nextUniqueId++,
      createdTime: floorMinute(at),
      lastEditedTime: floorMinute(at),
      createdBy: by,
      lastEditedBy: by,
      inTrash: false,
      isLocked: false,
      comments: [],
      taskGid,
      assetKey: null,
    };
    s.pages.push(page);
    this.dataset.pagesById.set(page.id, page);
    return page;
  }

  // ---- asset pages --------------------------------------------------------------------------------

  private prop(s: DataSourceRec, name: string): PropertyRec {
    const p = s.properties.find((q) => q.name === name);
    if (!p) throw new Error(`no property ${name} on ${s.name}`);
    return p;
  }

  private option(s: DataSourceRec, prop: string, name: string): string | null {
    return this.prop(s, prop).options.find((o) => o.name === name)?.id ?? null;
  }

  private assetPage(s: DataSourceRec, project: ProjectRec, task: TaskRec, client: PageRec | null): void {
    const P = PROPERTY_NAMES;
    const creator = this.person(task.createdBy) ?? this.dataset.bot;
    const page = this.page(s, task.createdAt, creator, task.gid);
    const truth = this.agency.truth.tasks.get(task.gid);
    page.assetKey = truth?.assetKey ?? null;
    const set = (name: string, v: PropValue): void => void page.values.set(this.prop(s, name).id, v);

    set(P.name, { t: 'title', items: [textItem(task.name)] });
    set(P.stage, { t: 'status', optionId: this.option(s, P.stage, task.section?.name ?? 'Briefing') });
    const owner = this.person(task.assignee);
    set(P.owner, { t: 'people', userIds: owner ? [owner.id] : [] });
    const reviewers = Array.isArray(task.values[CF.reviewer]) ? (task.values[CF.reviewer] as AsanaUser[]) : [];
    set(P.reviewers, { t: 'people', userIds: reviewers.map((r) => this.person(r)?.id).filter((id): id is string => !!id) });
    if (task.dueAt !== null) set(P.due, { t: 'date', date: { start: new Date(task.dueAt).toISOString().replace('Z', '+00:00'), end: null, timeZone: null } });
    else if (task.dueOn) set(P.due, { t: 'date', date: { start: task.dueOn, end: null, timeZone: null } });
    set(P.files, { t: 'files', files: task.attachments.filter((a) => !a.deleted).map((a) => this.file(a)) });
    set(P.client, { t: 'relation', pageIds: client ? [client.id] : [] });
    const key = task.values[CF.assetKey];
    set(P.assetKey, { t: 'rich_text', items: typeof key === 'string' && key ? [textItem(key)] : [] });
    const type = task.subtype === 'milestone' ? 'Milestone' : ((task.values[CF.assetType] as EnumOptionRec | null)?.name ?? null);
    set(P.assetType, { t: 'select', optionId: type ? this.option(s, P.assetType, type) : null });
    const channels = Array.isArray(task.values[CF.channels]) ? (task.values[CF.channels] as EnumOptionRec[]) : [];
    set(P.channels, { t: 'multi_select', optionIds: channels.map((c) => this.option(s, P.channels, c.name)).filter((id): id is string => !!id) });
    set(P.campaign, { t: 'select', optionId: this.option(s, P.campaign, project.name) });
    set(P.budget, { t: 'number', n: typeof task.values[CF.budget] === 'number' ? (task.values[CF.budget] as number) : null });
    const chunks: string[] = [];
    for (let i = 0; i < task.notes.length; i += TEXT_CHUNK) chunks.push(task.notes.slice(i, i + TEXT_CHUNK));
    set(P.brief, { t: 'rich_text', items: chunks.map((c) => textItem(c)) });

    // The last edit: the latest event of the task's history (comments count: they touch the page).
    let last = task.createdAt;
    let lastBy = creator;
    const stories: StoryRec[] = [...task.stories];
    for (const sub of task.subtasks) stories.push(...sub.stories);
    stories.sort((a, b) => a.createdAt - b.createdAt);
    for (const st of stories) {
      if (st.createdAt >= last) {
        last = st.createdAt;
        lastBy = this.person(st.author) ?? lastBy;
      }
    }
    for (const st of stories) {
      if (st.subtype !== 'comment_added' || !st.text) continue;
      const author = this.person(st.author) ?? this.dataset.bot;
      const first = this.comment(page, this.uuid(), st.text, author, st.createdAt);
      if (this.rng.chance(0.2)) {
        const at = st.createdAt + Math.round(this.rng.range(10 * MINUTE, 8 * HOUR));
        const who = author === owner ? (this.person(project.owner) ?? author) : (owner ?? this.person(project.owner) ?? author);
        if (at < this.now && who !== author) {
          this.comment(page, first.discussionId, this.rng.pick(REPLIES), who, at);
          if (at > last) {
            last = at;
            lastBy = who;
          }
        }
      }
      // Some threads were settled in the app: resolved discussions disappear from the API's list.
      if (this.rng.chance(0.12)) for (const c of this.dataset.discussions.get(first.discussionId) ?? []) c.resolved = true;
    }
    page.lastEditedTime = floorMinute(last);
    page.lastEditedBy = lastBy;

    // Cancelled work is sometimes thrown away.
    if (task.section?.name === 'Cancelled' && last + 3 * DAY < this.now && this.rng.chance(0.3)) {
      const at = Math.round(last + this.rng.range(DAY, Math.min(10 * DAY, this.now - last - HOUR)));
      page.inTrash = true;
      page.lastEditedTime = floorMinute(at);
      page.lastEditedBy = this.person(project.owner) ?? lastBy;
    }
  }

  private file(a: AttachmentRec): FileRec {
    if (a.host === 'asana') return { kind: 'file', name: a.name, fileId: this.uuid() };
    const url = a.host === 'gdrive' ? `https://drive.google.com/file/d/${a.externalRef ?? ''}/view` : (a.externalRef ?? `https://files.example/${encodeURIComponent(a.name)}`);
    return { kind: 'external', name: a.name, url };
  }

  private comment(page: PageRec, discussionId: string, text: string, author: UserRec, at: number): CommentRec {
    const c: CommentRec = {
      kind: 'comment',
      id: this.uuid(),
      page,
      discussionId,
      createdTime: floorMinute(at),
      lastEditedTime: floorMinute(at),
      author,
      richText: [textItem(text.slice(0, TEXT_CHUNK))],
      displayName: author.type === 'bot' ? { type: 'integration', resolvedName: author.name } : { type: 'user', resolvedName: author.name },
      resolved: false,
    };
    page.comments.push(c);
    this.dataset.commentsById.set(c.id, c);
    const thread = this.dataset.discussions.get(discussionId);
    if (thread) thread.push(c);
    else this.dataset.discussions.set(discussionId, [c]);
    return c;
  }

  // ---- the archive --------------------------------------------------------------------------------

  private archive(owner: UserRec): void {
    const step = 10 * MINUTE;
    const first = this.now - 30 * DAY - this.bulkPages * step;
    const db = this.database('Asset archive', 'Delivered assets of past years.', first - DAY, owner);
    const s = this.dataSource(db, 'Asset archive', 'bulk', first - DAY, owner);
    this.property(s, 'Name', 'title', { id: 'title' });
    const stage = this.property(s, 'Stage', 'status', {
      options: this.options(['Delivered', 'Cancelled'], (n) => (n === 'Delivered' ? 'green' : 'red')),
    });
    const delivered = stage.options[0] as OptionRec;
    const cancelled = stage.options[1] as OptionRec;
    stage.groups = [{ id: this.propertyId(), name: 'Complete', color: 'green', optionIds: [delivered.id, cancelled.id] }];
    this.property(s, 'ID', 'unique_id', { prefix: 'ARC' });
    this.property(s, 'Created', 'created_time');
    this.property(s, 'Last edited', 'last_edited_time');
    for (let i = 0; i < this.bulkPages; i++) {
      const page = this.page(s, first + i * step, owner, null);
      page.values.set('title', { t: 'title', items: [textItem(`Archived asset ${i + 1}`)] });
      page.values.set(stage.id, { t: 'status', optionId: i % 17 === 0 ? cancelled.id : delivered.id });
      page.lastEditedTime = floorMinute(first + i * step + (i % 7) * MINUTE);
    }
  }
}
