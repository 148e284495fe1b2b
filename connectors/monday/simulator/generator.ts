// The agency's monday account, built from the same generated agency as the Asana simulator: one
// board per campaign project (named like it), each with a subitems board, the same people (same
// emails; client reviewers are guests), and every asset as an item whose history is the Asana
// task's, told the way monday records it: stage moves as status-column changes (`update_column_value`
// with label objects) on "status" boards, or as moves between stage groups (`move_pulse_into_group`)
// on "group" boards; uploads into a file column (or Google Drive links in it); comments as updates,
// feedback with replies; approval rounds as subitems with a Decision status. Some finished items are
// archived or deleted. The ground truth is recorded as it goes. The agency is not modified.

import { CF, type GeneratedAgency } from '../../asana/simulator';
import {
  type AttachmentRec,
  type EnumOptionRec,
  type ProjectRec,
  type SectionName,
  type StoryRec,
  type TaskRec,
  type UserRec as AsanaUser,
  DEFAULT_STAGE_MAP,
  SECTION_NAMES,
} from '../../asana/simulator/model';
import { Rng, hash32 } from '../../asana/simulator/rng';
import { AGENCY, ASSET_TYPES, COMMENTS } from '../../asana/simulator/vocabulary';
import {
  type AssetRec,
  type BoardRec,
  type BoardTruth,
  type Cell,
  type ColumnRec,
  type ColumnType,
  type FileEntry,
  type GeneratedMonday,
  type GroupRec,
  type ItemRec,
  type ItemTruth,
  type MondayDataset,
  type MondayTruth,
  type StageSource,
  type StatusLabel,
  type UpdateRec,
  type UserRec,
  type WorkspaceRec,
  isoMillis,
  isoDate,
} from './model';
import { htmlBody, logColumnChange, logCreate, logGroupMove, logRename, logState, newItem, nextId } from './records';
import {
  CHANNEL_GROUPS,
  DECISION_LABELS,
  DECISION_LABEL_OF,
  PRIORITY_LABELS,
  REPLIES,
  STAGE_GROUP_COLOURS,
  STAGE_LABELS,
  TITLES,
  WORKSPACES,
} from './vocabulary';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface GenerateMondayOptions {
  seed: number | string;
  /** How many of the agency's projects become boards (the first ones); default all. */
  boards?: number;
  /** Share of boards that carry the stage in groups instead of a status column; default 0.35. */
  groupBoardShare?: number;
  /**
   * A fixed shape for benchmarks (engineering-facts §7's reference: C comments and F files per task):
   * every item gets exactly `updatesPerItem` updates (no replies) and `filesPerItem` uploaded files,
   * spread over its life, in place of the task's comments, feedback and attachments; and no item is
   * archived or deleted, so every item is live and the counts follow from the shape alone. Stage
   * history, columns and approval subitems are the task's, as without it. Default: none (the agency's
   * own comments and files).
   */
  shape?: GenerateMondayShape;
}

export interface GenerateMondayShape {
  updatesPerItem: number;
  filesPerItem: number;
}

/** The texts of shaped updates: the agency's everyday comments. */
const SHAPE_TEXTS: readonly string[] = [...COMMENTS.production, ...COMMENTS.general];

/** Column ids of the generated boards (monday's classic ids; a new column gets a generated one). */
export const COLUMN_IDS = {
  name: 'name',
  owner: 'person',
  stage: 'status',
  priority: 'priority',
  due: 'date4',
  assetKey: 'text',
  size: 'text0',
  files: 'files',
  budget: 'numbers',
  goLive: 'date1',
  reviewer: 'people',
  milestone: 'connect_boards',
  brief: 'long_text',
  subitems: 'subitems',
  // On subitem boards:
  subOwner: 'person',
  decision: 'status',
  subDue: 'date0',
} as const;

export function generateMonday(agency: GeneratedAgency, options: GenerateMondayOptions): GeneratedMonday {
  const projects = agency.dataset.projects;
  const n = options.boards ?? projects.length;
  if (!Number.isInteger(n) || n < 1 || n > projects.length) {
    throw new RangeError(`boards: expected an integer between 1 and ${projects.length} (the agency's projects), got ${String(options.boards)}`);
  }
  const share = options.groupBoardShare ?? 0.35;
  if (!(share >= 0 && share <= 1)) throw new RangeError(`groupBoardShare: expected a number between 0 and 1, got ${String(share)}`);
  const shape = options.shape ?? null;
  if (shape) {
    for (const k of ['updatesPerItem', 'filesPerItem'] as const) {
      const v = shape[k];
      if (!Number.isInteger(v) || v < 0 || v > 1_000) throw new RangeError(`shape.${k}: expected an integer between 0 and 1000, got ${String(v)}`);
    }
  }
  return new MondayGenerator(agency, String(options.seed), n, share, shape).run();
}

class MondayGenerator {
  private readonly rng: Rng;
  private readonly now: number;
  private readonly dataset: MondayDataset;
  private readonly truth: MondayTruth;
  private readonly users = new Map<string, UserRec>();
  private archived = 0;
  private deleted = 0;

  constructor(
    private readonly agency: GeneratedAgency,
    seed: string,
    private readonly boardCount: number,
    private readonly groupShare: number,
    private readonly shape: GenerateMondayShape | null,
  ) {
    this.rng = new Rng(`stageline-monday:${seed}`);
    this.now = Date.parse(agency.dataset.now);
    const h = hash32(seed);
    const start = Math.min(...agency.dataset.projects.map((p) => p.createdAt)) - 400 * DAY;
    this.dataset = {
      seed,
      now: agency.dataset.now,
      account: { id: String(20_000_000 + (h % 9_000_000)), name: AGENCY.name, slug: 'lumenlark', tier: 'pro', createdAt: start - 300 * DAY },
      workspaces: [],
      users: [],
      bot: null as unknown as UserRec,
      boards: [],
      webhooks: [],
      // Item and update ids above 2^31, as monday's are today: they do not fit a 32-bit integer.
      nextIds: {
        board: 9_100_000_000 + (h % 50_000) * 1000,
        item: 2_300_000_000 + (h % 100_000) * 10_000,
        update: 3_700_000_000 + (h % 100_000) * 10_000,
        asset: 1_900_000_000 + (h % 100_000) * 10_000,
        user: 60_000_000 + (h % 1_000) * 10_000,
        webhook: 510_000_000 + (h % 1_000) * 1_000,
        file: 700_000 + (h % 1_000) * 1_000,
      },
    };
    this.truth = { stageNames: SECTION_NAMES, defaultStageMap: DEFAULT_STAGE_MAP, boards: new Map(), items: new Map() };
  }

  private uuid = (): string => {
    const h = (): string => Math.floor(this.rng.next() * 0x1_0000_0000).toString(16).padStart(8, '0');
    const a = h();
    const b = h();
    const c = h();
    return `${a}-${b.slice(0, 4)}-4${b.slice(5)}-${'89ab'[Math.floor(this.rng.next() * 4)]}${c.slice(1, 4)}-${c.slice(4)}${h()}`;
  };

  run(): GeneratedMonday {
    this.people();
    const start = Math.min(...this.agency.dataset.projects.map((p) => p.createdAt)) - 200 * DAY;
    for (const w of WORKSPACES) {
      const ws: WorkspaceRec = { kind: 'workspace', id: String(1_000_000 + hash32(`${this.dataset.seed}:${w.name}`) % 8_000_000), name: w.name, description: w.description, createdAt: start };
      this.dataset.workspaces.push(ws);
    }
    const projects = this.agency.dataset.projects.slice(0, this.boardCount);
    projects.forEach((p, i) => {
      const source: StageSource = i === 0 ? 'status' : i === 1 ? 'group' : this.rng.chance(this.groupShare) ? 'group' : 'status';
      this.board(p, source);
    });
    return { dataset: this.dataset, truth: this.truth };
  }

  // ---- people -----------------------------------------------------------------------------------

  private people(): void {
    let admin = false;
    for (const u of this.agency.dataset.users) {
      const kind = u.role === 'client_reviewer' ? 'guest' : u.role === 'creative_director' && !admin ? 'admin' : 'member';
      if (kind === 'admin') admin = true;
      const rec: UserRec = {
        kind: 'user',
        id: nextId(this.dataset, 'user'),
        name: u.name,
        email: u.email,
        userKind: kind,
        title: this.rng.pick(TITLES[u.role]),
        role: u.role,
        createdAt: this.dataset.account.createdAt + this.rng.int(1, 250) * DAY,
        asanaGid: u.gid,
        enabled: true,
      };
      this.dataset.users.push(rec);
      this.users.set(u.gid, rec);
      if (u.role === 'integration') this.dataset.bot = rec;
    }
    if (!this.dataset.bot) this.dataset.bot = this.dataset.users[0] as UserRec;
  }

  private user(u: AsanaUser): UserRec {
    const rec = this.users.get(u.gid);
    if (!rec) throw new Error(`no monday user for ${u.email}`);
    return rec;
  }

  // ---- boards -----------------------------------------------------------------------------------

  private column(board: BoardRec, id: string, title: string, type: ColumnType, labels: readonly StatusLabel[] = [], width: number | null = null): ColumnRec {
    const col: ColumnRec = { kind: 'column', id, title, type, description: null, width, archived: false, labels: labels.map((l) => ({ ...l })), linkedBoardIds: [], revision: 1, board };
    board.columns.push(col);
    return col;
  }

  private group(board: BoardRec, id: string, title: string, color: string, archived = false): GroupRec {
    const g: GroupRec = { kind: 'group', id, title, color, position: `${(board.groups.length + 1) * 65536}`, archived, deleted: false, board };
    board.groups.push(g);
    return g;
  }

  private groupId(first: boolean): string {
    if (first) return 'topics';
    let s = 'group_mk';
    for (let i = 0; i < 6; i++) s += 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(this.rng.next() * 36)];
    return s;
  }

  private newBoard(init: Pick<BoardRec, 'name' | 'description' | 'type' | 'workspace' | 'createdAt' | 'owner' | 'subscribers' | 'stageSource' | 'stageColumnId' | 'projectGid'>): BoardRec {
    const id = nextId(this.dataset, 'board');
    const board: BoardRec = {
      kind: 'board',
      id,
      seq: Number(id),
      boardKind: 'public',
      state: 'active',
      updatedAt: init.createdAt,
      columns: [],
      groups: [],
      items: [],
      activity: [],
      subitemsBoard: null,
      parentBoard: null,
      ...init,
    };
    this.dataset.boards.push(board);
    return board;
  }

  private board(project: ProjectRec, source: StageSource): void {
    const rng = this.rng;
    const ws = this.dataset.workspaces[hash32(project.client) % this.dataset.workspaces.length] as WorkspaceRec;
    const board = this.newBoard({
      name: project.name,
      description: project.notes,
      type: 'board',
      workspace: ws,
      createdAt: project.createdAt,
      owner: this.user(project.owner),
      subscribers: project.members.map((m) => this.user(m)),
      stageSource: source,
      stageColumnId: source === 'status' ? COLUMN_IDS.stage : null,
      projectGid: project.gid,
    });
    const sub = this.newBoard({
      name: `Subitems of ${project.name}`,
      description: '',
      type: 'sub_items_board',
      workspace: ws,
      createdAt: project.createdAt,
      owner: board.owner,
      subscribers: board.subscribers,
      stageSource: null,
      stageColumnId: null,
      projectGid: null,
    });
    board.subitemsBoard = sub;
    sub.parentBoard = board;

    this.column(board, COLUMN_IDS.name, 'Name', 'name', [], 340);
    this.column(board, COLUMN_IDS.subitems, 'Subitems', 'subtasks');
    this.column(board, COLUMN_IDS.owner, 'Owner', 'people');
    if (source === 'status') this.column(board, COLUMN_IDS.stage, 'Stage', 'status', STAGE_LABELS);
    else this.column(board, COLUMN_IDS.priority, 'Priority', 'status', PRIORITY_LABELS);
    this.column(board, COLUMN_IDS.due, 'Due date', 'date');
    this.column(board, COLUMN_IDS.assetKey, 'Asset key', 'text');
    this.column(board, COLUMN_IDS.size, 'Size', 'text');
    this.column(board, COLUMN_IDS.files, 'Files', 'file');
    this.column(board, COLUMN_IDS.budget, 'Budget', 'numbers');
    this.column(board, COLUMN_IDS.goLive, 'Go-live', 'date');
    this.column(board, COLUMN_IDS.reviewer, 'Client reviewer', 'people');
    this.column(board, COLUMN_IDS.milestone, 'Go-live milestone', 'board_relation').linkedBoardIds.push(board.id);
    this.column(board, COLUMN_IDS.brief, 'Brief', 'long_text');

    this.column(sub, COLUMN_IDS.name, 'Name', 'name');
    this.column(sub, COLUMN_IDS.subOwner, 'Reviewer', 'people');
    this.column(sub, COLUMN_IDS.decision, 'Decision', 'status', DECISION_LABELS);
    this.column(sub, COLUMN_IDS.subDue, 'Due', 'date');
    this.group(sub, 'topics', 'Subitems', '#579bfc');

    // Groups: one per stage on group boards (plus an archived leftover), channel families on status boards.
    const groupOf = new Map<string, GroupRec>();
    if (source === 'group') {
      SECTION_NAMES.forEach((s, i) => groupOf.set(s, this.group(board, i === 0 ? 'topics' : `new_group${rng.int(10_000, 99_999)}`, s, STAGE_GROUP_COLOURS[s])));
      this.group(board, `new_group${rng.int(10_000, 99_999)}`, 'Old requests', '#c4c4c4', true);
    } else {
      const codes = new Set(project.tasks.map((t) => this.typeCode(t)));
      for (const g of CHANNEL_GROUPS) {
        const used = g.codes.length === 0 ? codes.has('MILESTONE') : g.codes.some((c) => codes.has(c));
        if (used) groupOf.set(g.title, this.group(board, this.groupId(board.groups.length === 0), g.title, g.color));
      }
    }

    const stageLabels: Record<string, string> = {};
    for (const s of SECTION_NAMES) stageLabels[s] = s;
    const bt: BoardTruth = {
      boardId: board.id,
      name: board.name,
      projectGid: project.gid,
      workspaceId: ws.id,
      stageSource: source,
      stageColumnId: board.stageColumnId,
      subitemsBoardId: sub.id,
      stageLabels,
    };
    this.truth.boards.set(board.id, bt);

    let milestone: ItemRec | null = null;
    for (const task of project.tasks) {
      const item = this.item(board, task, groupOf, source);
      if (task.subtype === 'milestone') milestone = item;
      else if (milestone && this.rng.chance(0.85)) {
        const col = board.columns.find((c) => c.id === COLUMN_IDS.milestone) as ColumnRec;
        item.values.set(col.id, { t: 'board_relation', itemIds: [milestone.id], changedAt: item.createdAt + MINUTE });
      }
    }
    for (const b of [board, sub]) {
      for (const it of b.items) if (it.updatedAt > b.updatedAt) b.updatedAt = it.updatedAt;
      // Histories were told item by item; the log is kept oldest first (a stable sort keeps same-instant order).
      b.activity.sort((x, y) => x.createdAt - y.createdAt);
    }
  }

  private typeCode(task: TaskRec): string {
    if (task.subtype === 'milestone') return 'MILESTONE';
    const opt = task.values[CF.assetType] as EnumOptionRec | null;
    return ASSET_TYPES.find((a) => a.name === opt?.name)?.code ?? 'BANNER';
  }

  // ---- items ------------------------------------------------------------------------------------

  private set(item: ItemRec, columnId: string, cell: Cell | null, user: UserRec, at: number, log: boolean): void {
    const col = item.board.columns.find((c) => c.id === columnId);
    if (!col) throw new Error(`no column ${columnId} on ${item.board.name}`);
    const prev = item.values.get(columnId) ?? null;
    if (cell) item.values.set(columnId, cell);
    else item.values.delete(columnId);
    if (log) logColumnChange(item, col, prev, cell, this.uuid, user, at);
    if (at > item.updatedAt) item.updatedAt = at;
  }

  private item(board: BoardRec, task: TaskRec, groupOf: Map<string, GroupRec>, source: StageSource): ItemRec {
    const rng = this.rng;
    const taskTruth = this.agency.truth.tasks.get(task.gid);
    if (!taskTruth) throw new Error(`no truth for task ${task.gid}`);
    const creator = this.user(task.createdBy);
    const renames = task.stories.filter((s) => s.subtype === 'name_changed');
    const initialName = renames.length > 0 ? String(renames[0]?.before) : task.name;
    const code = this.typeCode(task);
    const channel = CHANNEL_GROUPS.find((g) => (code === 'MILESTONE' ? g.codes.length === 0 : g.codes.includes(code)))?.title ?? 'Display & programmatic';
    const group = (source === 'group' ? groupOf.get('Briefing') : groupOf.get(channel)) as GroupRec;
    const item = newItem(this.dataset, { name: initialName, board, group, createdAt: task.createdAt, creator, parent: null, taskGid: task.gid });
    const at0 = task.createdAt;
    const created = logCreate(item, this.uuid, creator, at0);

    const truth: ItemTruth = {
      itemId: item.id,
      boardId: board.id,
      taskGid: task.gid,
      kind: task.subtype === 'milestone' ? 'milestone' : 'asset',
      assetKey: taskTruth.assetKey,
      stageSource: source,
      stage: 'Briefing',
      transitions: [],
      versions: [],
      updates: [],
      decisions: [],
      state: 'active',
    };
    this.truth.items.set(item.id, truth);

    // Values set when the item was made.
    const stageCol = source === 'status' ? (board.columns.find((c) => c.id === COLUMN_IDS.stage) as ColumnRec) : null;
    if (stageCol) {
      const entry = this.setStage(item, stageCol, 'Briefing', creator, at0);
      truth.transitions.push({ from: null, to: 'Briefing', at: isoMillis(at0), userEmail: creator.email, activityLogId: entry });
    } else {
      truth.transitions.push({ from: null, to: 'Briefing', at: isoMillis(at0), userEmail: creator.email, activityLogId: created.id });
      if (rng.chance(0.6)) {
        const pri = board.columns.find((c) => c.id === COLUMN_IDS.priority) as ColumnRec;
        this.set(item, pri.id, { t: 'status', index: (rng.pick(pri.labels) as StatusLabel).index, changedAt: at0 }, creator, at0, true);
      }
    }
    const values = task.values;
    const text = (columnId: string, v: unknown): void => {
      if (typeof v === 'string' && v !== '') this.set(item, columnId, { t: 'text', text: v }, creator, at0, false);
    };
    text(COLUMN_IDS.assetKey, values[CF.assetKey]);
    text(COLUMN_IDS.size, values[CF.size]);
    if (typeof values[CF.budget] === 'number') this.set(item, COLUMN_IDS.budget, { t: 'numbers', number: String(values[CF.budget]) }, creator, at0, false);
    const goLive = values[CF.goLive];
    if (typeof goLive === 'string') this.set(item, COLUMN_IDS.goLive, { t: 'date', date: goLive, time: null, changedAt: at0 }, creator, at0, false);
    const reviewers = Array.isArray(values[CF.reviewer]) ? (values[CF.reviewer] as AsanaUser[]) : [];
    if (reviewers.length > 0) this.set(item, COLUMN_IDS.reviewer, { t: 'people', persons: reviewers.map((r) => ({ id: this.user(r).id, kind: 'person' as const })), changedAt: at0 }, creator, at0, false);
    if (task.notes) this.set(item, COLUMN_IDS.brief, { t: 'long_text', text: task.notes, changedAt: at0 }, creator, at0, false);
    const dueStory = task.stories.find((s) => s.subtype === 'due_date_changed');
    const firstDue = dueStory ? (dueStory.before as { dueOn: string | null; dueAt: number | null }) : { dueOn: task.dueOn, dueAt: task.dueAt };
    const dueCell = (d: { dueOn: string | null; dueAt: number | null }, at: number): Cell | null =>
      d.dueAt !== null ? { t: 'date', date: isoDate(d.dueAt), time: new Date(d.dueAt).toISOString().slice(11, 19), changedAt: at } : d.dueOn ? { t: 'date', date: d.dueOn, time: null, changedAt: at } : null;
    const due0 = dueCell(firstDue, at0);
    if (due0) this.set(item, COLUMN_IDS.due, due0, creator, at0, false);
    if (task.subtype === 'milestone' && task.assignee) this.set(item, COLUMN_IDS.owner, { t: 'people', persons: [{ id: this.user(task.assignee).id, kind: 'person' }], changedAt: at0 }, creator, at0, false);

    const versionOf = new Map(taskTruth.versions.map((v) => [v.attachmentGid, v]));
    let latestVersion: number | null = null;
    let lastEvent = at0;
    const uploader = task.assignee ? this.user(task.assignee) : board.owner;

    // Stories of the task, the approval subtasks' creation and their stories, in time order.
    type Ev =
      | { t: number; k: 'story'; story: StoryRec; sub: TaskRec | null }
      | { t: number; k: 'subitem'; sub: TaskRec }
      | { t: number; k: 'shape_update' }
      | { t: number; k: 'shape_file'; n: number };
    const events: Ev[] = task.stories.map((s) => ({ t: s.createdAt, k: 'story' as const, story: s, sub: null }));
    for (const sub of task.subtasks) {
      events.push({ t: sub.createdAt, k: 'subitem', sub });
      for (const st of sub.stories) events.push({ t: st.createdAt, k: 'story', story: st, sub });
    }
    const shape = this.shape;
    if (shape) {
      // Spread over the item's told life (at least two days, never past now): files in its first
      // half, updates over all of it.
      const end = Math.min(this.now - MINUTE, Math.max(at0 + 2 * DAY, ...events.map((e) => e.t)));
      const span = Math.max(0, end - at0);
      for (let k = 0; k < shape.filesPerItem; k++) events.push({ t: at0 + Math.round((span * (k + 1)) / (2 * shape.filesPerItem + 1)), k: 'shape_file', n: k + 1 });
      for (let k = 0; k < shape.updatesPerItem; k++) events.push({ t: at0 + Math.round((span * (k + 1)) / (shape.updatesPerItem + 1)), k: 'shape_update' });
    }
    events.sort((a, b) => a.t - b.t);
    const subitemOf = new Map<string, ItemRec>();

    for (const ev of events) {
      const at = ev.t;
      if (ev.k === 'subitem') {
        subitemOf.set(ev.sub.gid, this.subitem(item, ev.sub));
        continue;
      }
      if (ev.k === 'shape_update') {
        this.update(item, this.rng.pick(SHAPE_TEXTS), this.rng.pick([uploader, board.owner, ...board.subscribers]), at, truth);
        continue;
      }
      if (ev.k === 'shape_file') {
        latestVersion = this.shapedUpload(item, task, code, ev.n, uploader, at, truth);
        continue;
      }
      const s = ev.story;
      const actor = this.user(s.author);
      if (ev.sub) {
        const subitem = subitemOf.get(ev.sub.gid) as ItemRec;
        if (s.subtype === 'approval_status_changed') {
          const status = s.after as 'approved' | 'changes_requested' | 'rejected';
          const decisionCol = subitem.board.columns.find((c) => c.id === COLUMN_IDS.decision) as ColumnRec;
          const l = decisionCol.labels.find((x) => x.label === DECISION_LABEL_OF[status]) as StatusLabel;
          this.set(subitem, decisionCol.id, { t: 'status', index: l.index, changedAt: at }, actor, at, true);
          const d = shape ? undefined : taskTruth.decisions.find((x) => x.subtaskGid === ev.sub?.gid && x.at === isoMillis(at));
          truth.decisions.push({ subitemId: subitem.id, status, reviewerEmail: actor.email, at: isoMillis(at), versionNumber: d ? d.versionNumber : latestVersion });
        } else if (s.subtype === 'comment_added' && s.text && !shape) {
          // Reviewers give their feedback on the asset's item, and the team answers in a reply.
          const u = this.update(item, s.text, actor, at, truth);
          const status = ev.sub.approvalStatus;
          if (this.rng.chance(0.6)) {
            const replyAt = at + Math.round(this.rng.range(20 * MINUTE, 6 * HOUR));
            if (replyAt < this.now) {
              const pool = status === 'approved' ? REPLIES.toApproval : REPLIES.toChanges;
              const who = status === 'approved' ? board.owner : uploader;
              this.reply(u, this.rng.pick(pool), who, replyAt, truth);
            }
          }
        }
        continue;
      }
      switch (s.subtype) {
        case 'section_changed': {
          const from = (s.before as { name: SectionName }).name;
          const to = (s.after as { name: SectionName }).name;
          let logId: string;
          if (stageCol) logId = this.setStage(item, stageCol, to, actor, at);
          else {
            const fromG = item.group;
            const toG = groupOf.get(to) as GroupRec;
            item.group = toG;
            logId = logGroupMove(item, fromG, toG, this.uuid, actor, at).id;
            if (at > item.updatedAt) item.updatedAt = at;
          }
          truth.transitions.push({ from, to, at: isoMillis(at), userEmail: actor.email, activityLogId: logId });
          truth.stage = to;
          lastEvent = at;
          break;
        }
        case 'assigned': {
          const who = s.after as AsanaUser;
          this.set(item, COLUMN_IDS.owner, { t: 'people', persons: [{ id: this.user(who).id, kind: 'person' }], changedAt: at }, actor, at, true);
          break;
        }
        case 'due_date_changed': {
          this.set(item, COLUMN_IDS.due, dueCell(s.after as { dueOn: string | null; dueAt: number | null }, at), actor, at, true);
          break;
        }
        case 'name_changed': {
          const previous = item.name;
          item.name = String(s.after);
          logRename(item, previous, this.uuid, actor, at);
          if (at > item.updatedAt) item.updatedAt = at;
          break;
        }
        case 'attachment_added': {
          if (shape) break;
          const att = s.after as AttachmentRec;
          const v = versionOf.get(att.gid);
          const number = v ? v.number : truth.versions.length + 1;
          const prev = item.values.get(COLUMN_IDS.files);
          const files: FileEntry[] = prev && prev.t === 'file' ? [...prev.files] : [];
          let entry: FileEntry;
          if (att.host === 'asana') {
            const asset: AssetRec = {
              kind: 'asset',
              id: nextId(this.dataset, 'asset'),
              name: att.name,
              extension: att.name.includes('.') ? (att.name.split('.').pop() as string) : '',
              size: att.size,
              createdAt: at,
              uploadedBy: actor,
              item,
              columnId: COLUMN_IDS.files,
              isImage: /\.(png|jpe?g|gif|webp)$/i.test(att.name),
            };
            entry = { kind: 'asset', asset };
          } else {
            const url = att.host === 'gdrive' ? `https://drive.google.com/file/d/${att.externalRef ?? ''}/view` : (att.externalRef ?? '');
            entry = { kind: 'link', fileId: nextId(this.dataset, 'file'), linkKind: att.host === 'gdrive' ? 'google_drive' : 'link', name: att.name, url, createdAt: at, creator: actor };
          }
          files.push(entry);
          this.set(item, COLUMN_IDS.files, { t: 'file', files, changedAt: at }, actor, at, true);
          truth.versions.push({
            number,
            name: att.name,
            createdAt: isoMillis(at),
            uploaderEmail: actor.email,
            source: entry.kind === 'asset' ? 'asset' : entry.linkKind === 'google_drive' ? 'google_drive' : 'link',
            fileId: entry.kind === 'asset' ? entry.asset.id : entry.fileId,
          });
          latestVersion = number;
          break;
        }
        case 'comment_added': {
          if (!s.text || shape) break;
          const u = this.update(item, s.text, actor, at, truth);
          if (this.rng.chance(0.2)) {
            const replyAt = at + Math.round(this.rng.range(10 * MINUTE, 8 * HOUR));
            const who = actor === uploader ? board.owner : uploader;
            if (replyAt < this.now && who !== actor) this.reply(u, this.rng.pick(REPLIES.toComment), who, replyAt, truth);
          }
          break;
        }
        default:
          break;
      }
      if (at > lastEvent) lastEvent = at;
    }

    // Finished work is sometimes archived, and a cancelled item sometimes deleted.
    const final = truth.stage;
    if (!shape && (final === 'Delivered' || final === 'Cancelled') && lastEvent + 3 * DAY < this.now) {
      const at = Math.round(lastEvent + this.rng.range(2 * DAY, Math.min(20 * DAY, this.now - lastEvent - HOUR)));
      const who = board.owner;
      if (final === 'Cancelled' && (this.rng.chance(0.08) || (this.deleted === 0 && board.items.length > 20))) {
        this.setState(item, 'deleted', who, at);
        this.deleted++;
      } else if (this.rng.chance(0.05) || (this.archived === 0 && board.items.length > 10)) {
        this.setState(item, 'archived', who, at);
        this.archived++;
      }
      truth.state = item.state;
    }
    return item;
  }

  /** A shaped upload: version `n` of the item as an asset in its file column, logged like a person's upload; returns its number. */
  private shapedUpload(item: ItemRec, task: TaskRec, code: string, n: number, uploader: UserRec, at: number, truth: ItemTruth): number {
    const type = ASSET_TYPES.find((a) => a.code === code);
    const ext = type?.ext ?? 'pdf';
    const [lo, hi] = type?.bytes ?? [200e3, 2e6];
    const name = `${truth.assetKey ?? `MILESTONE-${task.gid}`}_v${String(n).padStart(2, '0')}.${ext}`;
    const prev = item.values.get(COLUMN_IDS.files);
    const files: FileEntry[] = prev && prev.t === 'file' ? [...prev.files] : [];
    const asset: AssetRec = {
      kind: 'asset',
      id: nextId(this.dataset, 'asset'),
      name,
      extension: ext,
      size: Math.round(this.rng.range(lo, hi)),
      createdAt: at,
      uploadedBy: uploader,
      item,
      columnId: COLUMN_IDS.files,
      isImage: /^(png|jpe?g|gif|webp)$/i.test(ext),
    };
    files.push({ kind: 'asset', asset });
    this.set(item, COLUMN_IDS.files, { t: 'file', files, changedAt: at }, uploader, at, true);
    truth.versions.push({ number: n, name, createdAt: isoMillis(at), uploaderEmail: uploader.email, source: 'asset', fileId: asset.id });
    return n;
  }

  /** Sets the Stage label and logs it; returns the log entry's id. */
  private setStage(item: ItemRec, col: ColumnRec, label: string, user: UserRec, at: number): string {
    const l = col.labels.find((x) => x.label === label);
    if (!l) throw new Error(`no stage label ${label}`);
    const prev = item.values.get(col.id) ?? null;
    const cell: Cell = { t: 'status', index: l.index, changedAt: at };
    item.values.set(col.id, cell);
    if (at > item.updatedAt) item.updatedAt = at;
    return logColumnChange(item, col, prev, cell, this.uuid, user, at).id;
  }

  private setState(item: ItemRec, state: 'archived' | 'deleted', user: UserRec, at: number): void {
    item.state = state;
    for (const s of item.subitems) s.state = state;
    logState(item, state === 'archived' ? 'archive_pulse' : 'delete_pulse', this.uuid, user, at);
    if (at > item.updatedAt) item.updatedAt = at;
  }

  private subitem(parent: ItemRec, sub: TaskRec): ItemRec {
    const board = parent.board.subitemsBoard as BoardRec;
    const creator = this.user(sub.createdBy);
    const at = sub.createdAt;
    const item = newItem(this.dataset, { name: sub.name, board, group: board.groups[0] as GroupRec, createdAt: at, creator, parent, taskGid: sub.gid });
    logCreate(item, this.uuid, creator, at);
    const decision = board.columns.find((c) => c.id === COLUMN_IDS.decision) as ColumnRec;
    this.set(item, decision.id, { t: 'status', index: 0, changedAt: at }, creator, at, true);
    if (sub.assignee) this.set(item, COLUMN_IDS.subOwner, { t: 'people', persons: [{ id: this.user(sub.assignee).id, kind: 'person' }], changedAt: at }, creator, at, false);
    if (sub.dueOn) this.set(item, COLUMN_IDS.subDue, { t: 'date', date: sub.dueOn, time: null, changedAt: at }, creator, at, false);
    return item;
  }

  private update(item: ItemRec, text: string, author: UserRec, at: number, truth: ItemTruth): UpdateRec {
    const id = nextId(this.dataset, 'update');
    const u: UpdateRec = { kind: 'update', id, seq: Number(id), body: htmlBody(text), textBody: text, creator: author, createdAt: at, updatedAt: at, item, replies: [], deleted: false };
    item.updates.push(u);
    truth.updates.push({ updateId: id, parentUpdateId: null, itemId: item.id, authorEmail: author.email, createdAt: isoMillis(at), text });
    return u;
  }

  private reply(u: UpdateRec, text: string, author: UserRec, at: number, truth: ItemTruth): void {
    const id = nextId(this.dataset, 'update');
    u.replies.push({ kind: 'reply', id, body: htmlBody(text), textBody: text, creator: author, createdAt: at, updatedAt: at, update: u });
    if (at > u.updatedAt) u.updatedAt = at;
    truth.updates.push({ updateId: id, parentUpdateId: u.id, itemId: u.item.id, authorEmail: author.email, createdAt: isoMillis(at), text });
  }
}
