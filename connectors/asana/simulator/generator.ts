// Deterministic creative-agency workspace: people, client campaigns (projects) with the eight stage
// sections and eight custom fields, and creative assets (tasks) with the histories Asana would hold
// for them: stage moves with their Stage-field echo, file versions, approval subtasks per review
// round, comments. The ground truth (what really happened) is recorded while the history is built,
// so a connector's output can be compared with it.

import {
  type AgencyDataset,
  type AgencyRole,
  type AgencyTruth,
  type ApprovalStatus,
  type AttachmentHost,
  type CfValue,
  type CustomFieldRec,
  type CustomFieldSettingRec,
  type CustomFieldType,
  type EnumOptionRec,
  type ProjectRec,
  type SectionName,
  type SectionRec,
  type TaskRec,
  type TaskTruth,
  type UserRec,
  type WorkspaceRec,
  DEFAULT_STAGE_MAP,
  GidRegistry,
  SECTION_NAMES,
  isoDate,
  isoTime,
} from './model';
import { createAttachmentRec, createStoryRec, createTaskRec } from './records';
import { Rng, hash32 } from './rng';
import {
  AGENCY,
  ASSET_TYPES,
  type AssetTypeDef,
  CAMPAIGNS,
  CHANNELS,
  CLIENTS,
  COMMENTS,
  type ClientDef,
  DRIVE_ID_ALPHABET,
  ENUM_COLORS,
  FIRST_NAMES,
  KEY_MESSAGES,
  LAST_NAMES,
  PROJECT_COLORS,
} from './vocabulary';

/** The instant generated histories end at, unless `now` is given: fixed, so output never varies. */
export const DEFAULT_NOW = '2026-11-20T12:00:00.000Z';
export const MAX_TASKS = 200_000;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const HISTORY_DAYS = 90;

/** Indexes of the custom fields in every project's settings (and in each task's `values`). */
export const CF = { stage: 0, assetType: 1, channels: 2, size: 3, assetKey: 4, budget: 5, goLive: 6, reviewer: 7 } as const;

export interface GenerateAgencyOptions {
  seed: number | string;
  /** Top-level tasks (assets and one go-live milestone per project); 50..100,000 is the supported range. */
  tasks: number;
  /** Campaign projects; default max(2, round(tasks / 500)). */
  projects?: number;
  /** End of the generated histories (ISO string or Date); default DEFAULT_NOW. */
  now?: string | Date;
}

export interface GeneratedAgency {
  dataset: AgencyDataset;
  truth: AgencyTruth;
}

// Final-stage deck: every 50 consecutive assets hold each stage this many times, so even the
// smallest dataset has assets in every stage.
const STAGE_DECK: readonly (readonly [SectionName, number])[] = [
  ['Briefing', 6],
  ['In Production', 11],
  ['Internal Review', 6],
  ['Client Review', 6],
  ['Approved', 5],
  ['Delivered', 10],
  ['On Hold', 3],
  ['Cancelled', 3],
];

type Round = 'internal' | 'client';

interface SubPlan {
  round: Round;
  reviewer: UserRec;
  creator: UserRec;
  version: number;
  status: ApprovalStatus;
  rec: TaskRec | null;
}

type Op =
  | { t: number; k: 'added'; actor: UserRec }
  | { t: number; k: 'assign'; actor: UserRec; user: UserRec }
  | { t: number; k: 'move'; actor: UserRec; to: SectionName }
  | { t: number; k: 'upload'; actor: UserRec }
  | { t: number; k: 'subtask'; sub: SubPlan }
  | { t: number; k: 'decide'; sub: SubPlan; status: Exclude<ApprovalStatus, 'pending'> }
  | { t: number; k: 'subcomment'; sub: SubPlan; text: string }
  | { t: number; k: 'comment'; actor: UserRec; text: string }
  | { t: number; k: 'due'; actor: UserRec; dueOn: string | null; dueAt: number | null }
  | { t: number; k: 'rename'; actor: UserRec; name: string }
  | { t: number; k: 'complete'; actor: UserRec };

interface Team {
  cd: UserRec;
  designers: UserRec[];
  copywriter: UserRec;
  am: UserRec;
  producer: UserRec;
  reviewers: UserRec[];
}

interface AssetSpec {
  type: AssetTypeDef;
  size: string;
  key: string;
  name: string;
}

export function generateAgency(options: GenerateAgencyOptions): GeneratedAgency {
  const tasks = options.tasks;
  if (!Number.isInteger(tasks) || tasks < 1 || tasks > MAX_TASKS) {
    throw new RangeError(`tasks: expected an integer between 1 and ${MAX_TASKS}, got ${String(tasks)}`);
  }
  const projects = options.projects ?? Math.max(2, Math.round(tasks / 500));
  if (!Number.isInteger(projects) || projects < 1 || projects > tasks) {
    throw new RangeError(`projects: expected an integer between 1 and tasks (${tasks}), got ${String(projects)}`);
  }
  const now = options.now === undefined ? Date.parse(DEFAULT_NOW) : new Date(options.now).getTime();
  if (!Number.isFinite(now)) throw new RangeError(`now: not a valid date: ${String(options.now)}`);
  return new AgencyGenerator(String(options.seed), tasks, projects, now).run();
}

class AgencyGenerator {
  private readonly rng: Rng;
  private readonly reg: GidRegistry;
  private readonly truth: AgencyTruth;
  private readonly dataset: AgencyDataset;
  private readonly staff = new Map<AgencyRole, UserRec[]>();
  private readonly reviewersByClient = new Map<string, UserRec[]>();
  private readonly clients: ClientDef[];
  private deckPos = 0;
  private deck: SectionName[] = [];

  constructor(
    seed: string,
    private readonly taskCount: number,
    private readonly projectCount: number,
    private readonly now: number,
  ) {
    this.rng = new Rng(`stageline-asana:${seed}`);
    // Gids look like Asana's 16-digit ids; each seed gets its own range.
    this.reg = new GidRegistry(1_200_000_000_000_000 + (hash32(seed) % 700_000) * 1_000_000_000);
    const workspace = this.reg.put<WorkspaceRec>({
      kind: 'workspace',
      gid: this.reg.peek().gid,
      name: AGENCY.name,
      emailDomains: [AGENCY.domain],
    });
    this.clients = this.rng.sample(CLIENTS, this.rng.int(5, 12));
    this.dataset = {
      seed,
      now: isoTime(now),
      registry: this.reg,
      workspace,
      users: [],
      customFields: [],
      projects: [],
      counts: { tasks: 0, subtasks: 0, stories: 0, attachments: 0 },
    };
    this.truth = { sectionNames: SECTION_NAMES, defaultStageMap: DEFAULT_STAGE_MAP, tasks: new Map() };
  }

  run(): GeneratedAgency {
    this.people();
    this.customFields();
    const base = Math.floor(this.taskCount / this.projectCount);
    const extra = this.taskCount % this.projectCount;
    const clientOffset = this.clients.map(() => this.rng.int(0, CAMPAIGNS.length - 1));
    for (let p = 0; p < this.projectCount; p++) {
      const ci = p % this.clients.length;
      const round = Math.floor(p / this.clients.length);
      const campaign = CAMPAIGNS[(round + (clientOffset[ci] ?? 0)) % CAMPAIGNS.length] as (typeof CAMPAIGNS)[number];
      const wave = Math.floor(round / CAMPAIGNS.length);
      this.project(this.clients[ci] as ClientDef, campaign, wave, base + (p < extra ? 1 : 0));
    }
    return { dataset: this.dataset, truth: this.truth };
  }

  // ---- people ---------------------------------------------------------------------------------

  private people(): void {
    const rng = this.rng;
    const counts: [AgencyRole, number][] = [
      ['creative_director', rng.int(2, 4)],
      ['designer', rng.int(6, 13)],
      ['copywriter', rng.int(3, 7)],
      ['account_manager', rng.int(3, 6)],
      ['producer', rng.int(2, 5)],
    ];
    const pairs: [string, string][] = [];
    for (const f of FIRST_NAMES) for (const l of LAST_NAMES) pairs.push([f, l]);
    rng.shuffle(pairs);
    let next = 0;
    const person = (role: AgencyRole, domain: string, client: string | null): UserRec => {
      const [first, last] = pairs[next++] as [string, string];
      const user = this.reg.put<UserRec>({
        kind: 'user',
        gid: this.reg.peek().gid,
        name: `${first} ${last}`,
        email: `${first}.${last}@${domain}`.toLowerCase(),
        role,
        client,
      });
      this.dataset.users.push(user);
      return user;
    };
    // The integration's own user: the default token acts as it, so write-back echoes are recognisable.
    const bot = this.reg.put<UserRec>({
      kind: 'user',
      gid: this.reg.peek().gid,
      name: 'Creative Ops Bot',
      email: `ops-bot@${AGENCY.domain}`,
      role: 'integration',
      client: null,
    });
    this.dataset.users.push(bot);
    let total = 1;
    for (const [role, n] of counts) {
      const list: UserRec[] = [];
      for (let i = 0; i < n; i++) list.push(person(role, AGENCY.domain, null));
      this.staff.set(role, list);
      total += n;
    }
    for (const client of this.clients) {
      // Two or three reviewers per client, keeping the workspace at 60 people at most.
      const stillToStaff = 2 * (this.clients.length - this.reviewersByClient.size - 1);
      const n = total + 3 + stillToStaff <= 60 && rng.chance(0.4) ? 3 : 2;
      const list: UserRec[] = [];
      for (let i = 0; i < n; i++) list.push(person('client_reviewer', client.domain, client.company));
      total += n;
      this.reviewersByClient.set(client.code, list);
    }
  }

  private role(role: AgencyRole): UserRec[] {
    return this.staff.get(role) ?? [];
  }

  // ---- custom fields ----------------------------------------------------------------------------

  private customFields(): void {
    const creator = this.rng.pick(this.role('producer'));
    const field = (name: string, type: CustomFieldType, description: string, options: string[] = []): CustomFieldRec => {
      const rec = this.reg.put<CustomFieldRec>({
        kind: 'custom_field',
        gid: this.reg.peek().gid,
        name,
        type,
        description,
        options: [],
        precision: 0,
        createdBy: creator,
        global: true,
        notifications: true,
      });
      options.forEach((o, i) => {
        rec.options.push(
          this.reg.put<EnumOptionRec>({
            kind: 'enum_option',
            gid: this.reg.peek().gid,
            name: o,
            color: ENUM_COLORS[(i * 3 + 1) % ENUM_COLORS.length] as string,
            enabled: true,
          }),
        );
      });
      this.dataset.customFields.push(rec);
      return rec;
    };
    // Order must match CF.
    field('Stage', 'enum', 'Creative stage; kept equal to the section by a project rule.', [...SECTION_NAMES]);
    field('Asset type', 'enum', 'Kind of deliverable.', ASSET_TYPES.map((a) => a.name));
    field('Channels', 'multi_enum', 'Where the asset runs.', CHANNELS);
    field('Size', 'text', 'Format or pixel size, e.g. 300x250.');
    field('Asset key', 'text', 'CLIENT_CAMPAIGN_TYPE-SIZE; file names are <Asset key>_vNN.<ext>.');
    field('Budget', 'number', 'Production budget in USD.');
    field('Go-live', 'date', 'Date the asset goes live.');
    field('Reviewer', 'people', 'Client reviewer who signs the asset off.');
  }

  private option(fieldIndex: number, name: string): EnumOptionRec {
    const field = this.dataset.customFields[fieldIndex] as CustomFieldRec;
    const opt = field.options.find((o) => o.name === name);
    if (!opt) throw new Error(`no option ${name} on ${field.name}`);
    return opt;
  }

  // ---- projects ---------------------------------------------------------------------------------

  private project(client: ClientDef, campaign: { title: string; code: string }, wave: number, taskCount: number): void {
    const rng = this.rng;
    const reviewers = this.reviewersByClient.get(client.code) ?? [];
    const team: Team = {
      cd: rng.pick(this.role('creative_director')),
      designers: rng.sample(this.role('designer'), 3),
      copywriter: rng.pick(this.role('copywriter')),
      am: rng.pick(this.role('account_manager')),
      producer: rng.pick(this.role('producer')),
      reviewers,
    };
    const start = this.now - HISTORY_DAYS * DAY + Math.floor(rng.range(0, 30) * DAY);
    const waveLabel = wave > 0 ? ` (Wave ${wave + 1})` : '';
    const project = this.reg.put<ProjectRec>({
      kind: 'project',
      gid: this.reg.peek().gid,
      name: `${client.code} — ${campaign.title}${waveLabel}`,
      client: client.company,
      campaignCode: `${campaign.code}${wave > 0 ? `W${wave + 1}` : ''}`,
      createdAt: start,
      modifiedAt: start,
      archived: false,
      color: rng.pick(PROJECT_COLORS),
      notes: `${client.company} ${campaign.title}${waveLabel}. Account lead: ${team.am.name}. Creative director: ${team.cd.name}.`,
      owner: team.am,
      members: [team.am, team.producer, team.cd, ...team.designers, team.copywriter, ...reviewers],
      startOn: isoDate(start),
      dueOn: isoDate(start + rng.int(95, 120) * DAY),
      sections: [],
      settings: [],
      tasks: [],
    });
    this.dataset.projects.push(project);
    for (const name of SECTION_NAMES) {
      project.sections.push(
        this.reg.put<SectionRec>({ kind: 'section', gid: this.reg.peek().gid, name, project, createdAt: start, tasks: [] }),
      );
    }
    this.dataset.customFields.forEach((field, i) => {
      project.settings.push(
        this.reg.put<CustomFieldSettingRec>({
          kind: 'custom_field_setting',
          gid: this.reg.peek().gid,
          project,
          field,
          important: i <= CF.assetKey,
        }),
      );
    });

    const plans: TaskPlan[] = [];
    const keys = new Map<string, number>();
    const milestone = taskCount >= 10;
    if (milestone) plans.push(this.planMilestone(project, team, campaign.title));
    for (let i = plans.length; i < taskCount; i++) {
      plans.push(this.planAsset(project, team, this.asset(client, campaign.title, project.campaignCode, keys)));
    }
    // Asana gids grow with creation time: materialize the project's tasks oldest first.
    plans.sort((a, b) => a.createdAt - b.createdAt);
    for (const plan of plans) this.materialize(project, plan);
    for (const t of project.tasks) if (t.modifiedAt > project.modifiedAt) project.modifiedAt = t.modifiedAt;
  }

  private asset(client: ClientDef, campaignTitle: string, campaignCode: string, keys: Map<string, number>): AssetSpec {
    const type = this.rng.pick(ASSET_TYPES);
    const size = this.rng.pick(type.sizes);
    const baseKey = `${client.code}_${campaignCode}_${type.code}`;
    const n = (keys.get(`${baseKey}-${size}`) ?? 0) + 1;
    keys.set(`${baseKey}-${size}`, n);
    const key = `${baseKey}${n > 1 ? n : ''}-${size}`;
    const name = `${campaignTitle} ${type.name.toLowerCase()} ${size}${n > 1 ? ` #${n}` : ''}`;
    return { type, size, key, name };
  }

  private nextStage(): SectionName {
    if (this.deckPos >= this.deck.length) {
      this.deck = [];
      for (const [stage, n] of STAGE_DECK) for (let i = 0; i < n; i++) this.deck.push(stage);
      this.rng.shuffle(this.deck);
      this.deckPos = 0;
    }
    return this.deck[this.deckPos++] as SectionName;
  }

  // ---- planning a task's history ------------------------------------------------------------------

  private planMilestone(project: ProjectRec, team: Team, campaignTitle: string): TaskPlan {
    const createdAt = project.createdAt + HOUR;
    const goLive = project.createdAt + this.rng.int(60, 80) * DAY;
    const ops: Op[] = [{ t: createdAt + DAY, k: 'move', actor: team.am, to: 'In Production' }];
    if (goLive < this.now) {
      ops.push({ t: goLive, k: 'move', actor: team.am, to: 'Delivered' }, { t: goLive, k: 'complete', actor: team.am });
    }
    return {
      createdAt,
      creator: team.am,
      subtype: 'milestone',
      name: `Go-live: ${campaignTitle}`,
      notes: `Campaign go-live for ${project.name}.`,
      assignee: team.am,
      dueOn: isoDate(goLive),
      dueAt: null,
      asset: null,
      team,
      goLive: isoDate(goLive),
      budget: null,
      reviewer: null,
      ops,
    };
  }

  private planAsset(project: ProjectRec, team: Team, asset: AssetSpec): TaskPlan {
    const rng = this.rng;
    const target = this.nextStage();
    const creator = rng.chance(0.6) ? team.am : team.producer;
    const isCopy = asset.type.code === 'EMAIL' && rng.chance(0.5);
    const assignee = rng.chance(0.1) ? null : isCopy ? team.copywriter : rng.pick(team.designers);
    const uploader = assignee ?? rng.pick(team.designers);
    const reviewer = team.reviewers.length > 0 ? rng.pick(team.reviewers) : team.am;

    // Build the path in relative time (0 = creation).
    const ops: Op[] = [];
    let t = 0;
    let version = 0;
    const briefing = rng.range(4 * HOUR, 5 * DAY);
    if (assignee) ops.push({ t: rng.range(5 * MINUTE, Math.min(briefing * 0.8, DAY)), k: 'assign', actor: creator, user: assignee });

    const failures: Round[] = [];
    const nFail = rng.weighted([[0, 68], [1, 24], [2, 7], [3, 1]] as const);
    for (let i = 0; i < nFail; i++) failures.push(rng.chance(0.6) ? 'internal' : 'client');

    type Reachable = 'Briefing' | 'In Production' | 'Internal Review' | 'Client Review' | 'Approved' | 'Delivered';
    let base: Reachable;
    if (target === 'On Hold') base = rng.weighted([['Briefing', 30], ['In Production', 35], ['Internal Review', 15], ['Client Review', 20]] as const);
    else if (target === 'Cancelled') base = rng.weighted([['Briefing', 25], ['In Production', 30], ['Internal Review', 20], ['Client Review', 25]] as const);
    else base = target;

    const move = (to: SectionName, actor: UserRec): void => {
      ops.push({ t, k: 'move', actor, to });
    };
    const review = (round: Round): SubPlan => {
      const sub: SubPlan = {
        round,
        reviewer: round === 'internal' ? team.cd : reviewer,
        creator: team.producer,
        version,
        status: 'pending',
        rec: null,
      };
      ops.push({ t: t + MINUTE, k: 'subtask', sub });
      return sub;
    };
    const decide = (sub: SubPlan, status: Exclude<ApprovalStatus, 'pending'>, commentChance: number): void => {
      sub.status = status;
      ops.push({ t, k: 'decide', sub, status });
      if (rng.chance(commentChance)) {
        const pool =
          sub.round === 'internal'
            ? status === 'approved'
              ? COMMENTS.internalApproved
              : COMMENTS.internalChanges
            : status === 'approved'
              ? COMMENTS.clientApproved
              : status === 'rejected'
                ? COMMENTS.clientRejected
                : COMMENTS.clientChanges;
        ops.push({ t: t + rng.range(MINUTE, 20 * MINUTE), k: 'subcomment', sub, text: rng.pick(pool) });
      }
    };

    let pending: SubPlan | null = null;
    let reachedClient = false;
    t = briefing;
    if (base !== 'Briefing') {
      let first = true;
      for (;;) {
        move('In Production', first ? creator : team.producer);
        t += first ? rng.range(1 * DAY, 7 * DAY) : rng.range(12 * HOUR, 3 * DAY);
        first = false;
        if (rng.chance(0.03)) {
          t += rng.range(DAY, 3 * DAY);
          move('On Hold', team.producer);
          t += rng.range(2 * DAY, 8 * DAY);
          move('In Production', team.producer);
          t += rng.range(12 * HOUR, 2 * DAY);
        }
        const fail = failures.shift();
        if (base === 'In Production' && fail === undefined) break;

        version++;
        ops.push({ t: t - rng.range(5 * MINUTE, 2 * HOUR), k: 'upload', actor: uploader });
        move('Internal Review', uploader);
        const internal = review('internal');
        if (base === 'Internal Review' && fail === undefined) {
          pending = internal;
          break;
        }
        t += rng.range(2 * HOUR, 3 * DAY);
        if (fail === 'internal') {
          decide(internal, rng.chance(0.1) ? 'rejected' : 'changes_requested', 1);
          t += rng.range(30 * MINUTE, DAY);
          continue;
        }
        decide(internal, 'approved', 0.5);
        t += rng.range(20 * MINUTE, DAY);
        move('Client Review', team.am);
        reachedClient = true;
        const client = review('client');
        if (base === 'Client Review' && fail === undefined) {
          pending = client;
          break;
        }
        t += rng.range(DAY, 6 * DAY);
        if (fail === 'client') {
          decide(client, rng.chance(0.15) ? 'rejected' : 'changes_requested', 1);
          t += rng.range(HOUR, DAY);
          continue;
        }
        decide(client, 'approved', 0.6);
        t += rng.range(HOUR, DAY);
        move('Approved', team.am);
        if (base === 'Approved') break;
        t += rng.range(DAY, 7 * DAY);
        move('Delivered', team.producer);
        ops.push({ t, k: 'complete', actor: team.producer });
        break;
      }
    }
    if (target === 'On Hold' || target === 'Cancelled') {
      t += rng.range(DAY, 5 * DAY);
      if (target === 'Cancelled' && pending && rng.chance(0.5)) {
        decide(pending, 'rejected', 1);
        t += rng.range(HOUR, DAY);
      }
      move(target, rng.chance(0.5) ? team.producer : team.am);
    }
    const span = t;

    // Place the path between the project's start and now, shrinking it if it does not fit.
    const window = this.now - project.createdAt - 2 * HOUR;
    let scale = 1;
    if (span > window * 0.9) scale = (window * 0.9 * rng.range(0.5, 1)) / span;
    const scaled = span * scale;
    const terminal = target === 'Delivered' || target === 'Cancelled' || target === 'Approved';
    const u = rng.next();
    const tail = (window - scaled) * (terminal ? u : u * u * u);
    const createdAt = Math.round(this.now - tail - scaled);
    for (const op of ops) op.t = Math.round(createdAt + op.t * scale);
    const end = createdAt + scaled;
    const until = terminal ? Math.min(this.now, end + 3 * DAY) : this.now - MINUTE;

    // Comments, date changes and renames, spread over the asset's life.
    const nComments = rng.weighted([[0, 30], [1, 30], [2, 20], [3, 12], [5, 8]] as const);
    const talkers = [uploader, uploader, team.am, team.producer, team.cd, team.copywriter, rng.pick(team.designers)];
    for (let i = 0; i < nComments; i++) {
      const client = reachedClient && team.reviewers.length > 0 && rng.chance(0.25);
      ops.push({
        t: Math.round(rng.range(createdAt + 30 * MINUTE, until)),
        k: 'comment',
        actor: client ? reviewer : rng.pick(talkers),
        text: rng.pick(client ? COMMENTS.clientChanges : rng.chance(0.7) ? COMMENTS.production : COMMENTS.general),
      });
    }
    const dueKind = rng.weighted([['on', 50], ['at', 20], ['none', 30]] as const);
    const due = createdAt + rng.int(10, 35) * DAY;
    const dueOn = dueKind === 'on' ? isoDate(due) : null;
    const dueAt = dueKind === 'at' ? Math.floor(due / DAY) * DAY + 17 * HOUR : null;
    if (dueKind !== 'none' && rng.chance(0.2)) {
      const moved = due + rng.int(2, 10) * DAY;
      ops.push({
        t: Math.round(rng.range(createdAt + HOUR, until)),
        k: 'due',
        actor: creator,
        dueOn: dueKind === 'on' ? isoDate(moved) : null,
        dueAt: dueKind === 'at' ? Math.floor(moved / DAY) * DAY + 17 * HOUR : null,
      });
    }
    let name = asset.name;
    if (rng.chance(0.04)) {
      ops.push({ t: Math.round(rng.range(createdAt + 10 * MINUTE, until)), k: 'rename', actor: creator, name });
      // Created with a sloppy name, corrected later.
      name = name.toLowerCase();
    }
    if (rng.chance(0.15)) ops.unshift({ t: createdAt, k: 'added', actor: creator });
    // Stable sort: same-instant operations keep their planned order.
    ops.sort((a, b) => a.t - b.t);

    const goLive = rng.chance(0.85) ? isoDate(createdAt + rng.int(20, 60) * DAY) : null;
    return {
      createdAt,
      creator,
      subtype: 'default_task',
      name,
      notes: this.brief(asset, project),
      assignee,
      dueOn,
      dueAt,
      asset,
      team,
      goLive,
      budget: rng.chance(0.8) ? rng.int(10, 500) * 50 : null,
      reviewer: rng.chance(0.85) ? reviewer : null,
      ops,
    };
  }

  private brief(asset: AssetSpec, project: ProjectRec): string {
    return [
      `Deliverable: ${asset.type.name} ${asset.size} for ${project.name}.`,
      `Key message: ${this.rng.pick(KEY_MESSAGES)}.`,
      `File naming: ${asset.key}_vNN.${asset.type.ext}`,
    ].join('\n');
  }

  // ---- materializing a planned history into records -----------------------------------------------

  private fileName(asset: AssetSpec, version: number): string {
    const nn = String(version).padStart(2, '0');
    // A few uploads break the naming convention, as real teams do; the ground truth still
    // numbers them by upload order.
    const r = this.rng.next();
    if (r < 0.015) return `${asset.key}_v${version}.${asset.type.ext}`;
    if (r < 0.025) return `${asset.key.toLowerCase()}_v${nn}.${asset.type.ext}`;
    if (r < 0.035) return `${asset.key}_FINAL.${asset.type.ext}`;
    return `${asset.key}_v${nn}.${asset.type.ext}`;
  }

  private driveId(): string {
    let s = '1';
    for (let i = 0; i < 32; i++) s += DRIVE_ID_ALPHABET[Math.floor(this.rng.next() * DRIVE_ID_ALPHABET.length)];
    return s;
  }

  private materialize(project: ProjectRec, plan: TaskPlan): void {
    const reg = this.reg;
    const rng = this.rng;
    const counts = this.dataset.counts;
    const sectionOf = (name: SectionName): SectionRec => project.sections.find((s) => s.name === name) as SectionRec;
    const asset = plan.asset;
    const values: CfValue[] = [
      this.option(CF.stage, 'Briefing'),
      asset ? this.option(CF.assetType, asset.type.name) : null,
      asset ? rng.sample(asset.type.channels, rng.int(1, asset.type.channels.length)).map((c) => this.option(CF.channels, c)) : [],
      asset ? asset.size : null,
      asset ? asset.key : null,
      plan.budget,
      plan.goLive,
      plan.reviewer ? [plan.reviewer] : [],
    ];
    const task = createTaskRec(reg, {
      name: plan.name,
      notes: plan.notes,
      subtype: plan.subtype,
      approvalStatus: null,
      assignee: null,
      dueOn: plan.dueOn,
      dueAt: plan.dueAt,
      createdAt: plan.createdAt,
      createdBy: plan.creator,
      parent: null,
      project,
      section: sectionOf('Briefing'),
      values,
    });
    // The milestone is assigned at creation; assets get an `assigned` story instead.
    if (plan.subtype === 'milestone') {
      task.assignee = plan.assignee;
      task.assignedBy = plan.creator;
    }
    counts.tasks++;
    const truth: TaskTruth = {
      taskGid: task.gid,
      projectGid: project.gid,
      resourceSubtype: plan.subtype,
      assetKey: asset ? asset.key : null,
      section: 'Briefing',
      transitions: [{ from: null, to: 'Briefing', at: isoTime(plan.createdAt), storyGid: null }],
      versions: [],
      comments: [],
      decisions: [],
      deleted: false,
    };
    this.truth.tasks.set(task.gid, truth);
    const stageField = this.dataset.customFields[CF.stage] as CustomFieldRec;
    const touch = (t: number): void => {
      if (t > task.modifiedAt) task.modifiedAt = t;
    };

    for (const op of plan.ops) {
      switch (op.k) {
        case 'added':
          createStoryRec(reg, { subtype: 'added_to_project', createdAt: op.t, author: op.actor, task, after: project });
          break;
        case 'assign':
          task.assignee = op.user;
          task.assignedBy = op.actor;
          if (!task.followers.includes(op.user)) task.followers.push(op.user);
          createStoryRec(reg, { subtype: 'assigned', createdAt: op.t, author: op.actor, task, after: op.user });
          break;
        case 'move': {
          const from = task.section as SectionRec;
          const to = sectionOf(op.to);
          task.section = to;
          const oldOpt = task.values[CF.stage] as EnumOptionRec;
          const newOpt = this.option(CF.stage, op.to);
          task.values[CF.stage] = newOpt;
          const story = createStoryRec(reg, { subtype: 'section_changed', createdAt: op.t, author: op.actor, task, before: from, after: to });
          createStoryRec(reg, {
            subtype: 'enum_custom_field_changed',
            createdAt: op.t,
            author: op.actor,
            task,
            field: stageField,
            before: oldOpt,
            after: newOpt,
          });
          truth.transitions.push({ from: from.name, to: op.to, at: isoTime(op.t), storyGid: story.gid });
          truth.section = op.to;
          break;
        }
        case 'upload': {
          const a = asset as AssetSpec;
          const number = truth.versions.length + 1;
          const host: AttachmentHost = rng.weighted([['asana', 80], ['gdrive', 15], ['external', 5]] as const);
          const name = this.fileName(a, number);
          const size = host === 'external' ? 0 : Math.round(rng.range(a.type.bytes[0], a.type.bytes[1]));
          const ref = host === 'gdrive' ? this.driveId() : host === 'external' ? `https://proofs.${AGENCY.domain}/share/${encodeURIComponent(name)}` : null;
          const att = createAttachmentRec(reg, { name, host, createdAt: op.t, task, size, externalRef: ref });
          createStoryRec(reg, { subtype: 'attachment_added', createdAt: op.t, author: op.actor, task, after: att });
          counts.attachments++;
          truth.versions.push({ attachmentGid: att.gid, name, number, createdAt: isoTime(op.t), uploaderEmail: op.actor.email });
          break;
        }
        case 'subtask': {
          const s = op.sub;
          const label = s.round === 'internal' ? 'internal review' : 'client review';
          const sub = createTaskRec(reg, {
            name: `Approve v${String(s.version).padStart(2, '0')} (${label})`,
            notes: `Please review version ${s.version} of ${asset ? asset.key : task.name}.`,
            subtype: 'approval',
            approvalStatus: 'pending',
            assignee: s.reviewer,
            dueOn: isoDate(op.t + (s.round === 'internal' ? 2 : 4) * DAY),
            dueAt: null,
            createdAt: op.t,
            createdBy: s.creator,
            parent: task,
            project: null,
            section: null,
            values: [],
          });
          task.subtasks.push(sub);
          s.rec = sub;
          counts.subtasks++;
          break;
        }
        case 'decide': {
          const sub = op.sub.rec as TaskRec;
          sub.approvalStatus = op.status;
          sub.completed = true;
          sub.completedAt = op.t;
          sub.completedBy = op.sub.reviewer;
          sub.modifiedAt = op.t;
          createStoryRec(reg, {
            subtype: 'approval_status_changed',
            createdAt: op.t,
            author: op.sub.reviewer,
            task: sub,
            before: 'pending',
            after: op.status,
          });
          counts.stories++;
          truth.decisions.push({
            subtaskGid: sub.gid,
            status: op.status,
            reviewerEmail: op.sub.reviewer.email,
            at: isoTime(op.t),
            versionNumber: truth.versions.length > 0 ? truth.versions.length : null,
          });
          break;
        }
        case 'subcomment': {
          const sub = op.sub.rec as TaskRec;
          const story = createStoryRec(reg, { subtype: 'comment_added', createdAt: op.t, author: op.sub.reviewer, task: sub, text: op.text });
          sub.modifiedAt = Math.max(sub.modifiedAt, op.t);
          counts.stories++;
          truth.comments.push({ storyGid: story.gid, taskGid: sub.gid, authorEmail: op.sub.reviewer.email, createdAt: isoTime(op.t) });
          break;
        }
        case 'comment': {
          const story = createStoryRec(reg, { subtype: 'comment_added', createdAt: op.t, author: op.actor, task, text: op.text });
          truth.comments.push({ storyGid: story.gid, taskGid: task.gid, authorEmail: op.actor.email, createdAt: isoTime(op.t) });
          break;
        }
        case 'due': {
          const before = { startOn: null, dueOn: task.dueOn, dueAt: task.dueAt };
          task.dueOn = op.dueOn;
          task.dueAt = op.dueAt;
          createStoryRec(reg, {
            subtype: 'due_date_changed',
            createdAt: op.t,
            author: op.actor,
            task,
            before,
            after: { startOn: null, dueOn: op.dueOn, dueAt: op.dueAt },
          });
          break;
        }
        case 'rename': {
          const old = task.name;
          task.name = op.name;
          createStoryRec(reg, { subtype: 'name_changed', createdAt: op.t, author: op.actor, task, before: old, after: op.name });
          break;
        }
        case 'complete':
          task.completed = true;
          task.completedAt = op.t;
          task.completedBy = op.actor;
          createStoryRec(reg, { subtype: 'marked_complete', createdAt: op.t, author: op.actor, task });
          break;
      }
      if (op.k !== 'subtask' && op.k !== 'decide' && op.k !== 'subcomment') touch(op.t);
    }
    counts.stories += task.stories.length;
    project.tasks.push(task);
    (task.section as SectionRec).tasks.push(task);
  }
}

interface TaskPlan {
  createdAt: number;
  creator: UserRec;
  subtype: 'default_task' | 'milestone';
  name: string;
  notes: string;
  assignee: UserRec | null;
  dueOn: string | null;
  dueAt: number | null;
  asset: AssetSpec | null;
  team: Team;
  goLive: string | null;
  budget: number | null;
  reviewer: UserRec | null;
  ops: Op[];
}
