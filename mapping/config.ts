// stageline.yaml: connections, the stage pipeline and maps, people and roles.
// Validated with zod; every problem is reported with its path, all at once (DESIGN.md "Bad input").
// Secrets come from the environment (`${ASANA_TOKEN}`), never from the file.
import { z } from 'zod';
import { parseDocument, isMap, isSeq, isScalar, LineCounter, type Node } from 'yaml';
import { DecisionKind, DEFAULT_PIPELINE, SIDE_STAGES, StageId, type Issue } from './model';
import { NamingConfig } from './naming';
import { CalendarConfig } from './calendar';
import { EnforcementConfig, RULE_KINDS, RulesConfig, rulesCrossFieldIssues } from './rules';

const Duration = z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration like 30s, 15m, 6h or 1d');

export const ScheduleConfig = z.strictObject({
  every: Duration.default('15m'),
  /** How far back a missed run is still started after an outage (Temporal's own default is a year). */
  catchup_window: Duration.default('15m'),
  /** Every Nth scheduled run is a full reconciliation crawl (deletions, anything events missed). */
  full_every: z.number().int().positive().default(24),
  paused: z.boolean().default(false),
});

const StageMap = z.record(z.string().min(1), StageId);

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

/** The leadership report (warehouse/report.ts): where it is written, and its weekly Temporal Schedule. */
export const ReportsConfig = z.strictObject({
  /** Folder for `stageline report` and the weekly run, relative to stageline.yaml's folder unless absolute. */
  folder: z.string().min(1).default('reports'),
  /** Last week's report (Monday–Sunday), produced by a Temporal Schedule; omit for none. */
  weekly: z
    .strictObject({
      day: z.enum(WEEKDAYS).default('monday'),
      /** Local time (workspace.timezone), 24-hour HH:MM. */
      at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a 24-hour time such as 07:00').default('07:00'),
      paused: z.boolean().default(false),
    })
    .optional(),
});
export type ReportsConfig = z.infer<typeof ReportsConfig>;

export const AsanaStageSource = z.union([
  z.strictObject({ from: z.literal('section') }),
  z.strictObject({ from: z.literal('custom_field'), field: z.string().min(1).describe('the enum custom field name or gid') }),
]);

export const AsanaConnectionConfig = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a connection id is lower-case letters, digits, - and _'),
  vendor: z.literal('asana'),
  /** A token from the environment; a literal token in the file is refused. */
  token: z.string().min(1),
  workspace: z.string().regex(/^\d+$/, 'an Asana workspace gid (digits)'),
  projects: z.union([z.literal('all'), z.array(z.string().regex(/^\d+$/, 'an Asana project gid (digits)')).min(1)]).default('all'),
  base_url: z.url().optional(),
  stage: z.strictObject({
    source: AsanaStageSource.default({ from: 'section' }),
    map: StageMap,
  }),
  /** Requests per minute for this token (Asana: 150 free, 1,500 paid). */
  rate_limit_per_minute: z.number().int().positive().max(100_000).default(1500),
  max_concurrency: z.number().int().positive().max(50).default(10),
  schedule: ScheduleConfig.prefault({}),
});
export type AsanaConnectionConfig = z.infer<typeof AsanaConnectionConfig>;

const DriveId = z.string().regex(/^[A-Za-z0-9_-]{10,}$/, 'a Google Drive id (letters, digits, - and _), as in the folder URL after /folders/');

export const DriveConnectionConfig = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a connection id is lower-case letters, digits, - and _'),
  vendor: z.literal('drive'),
  /** An OAuth 2 access token from the environment; a literal token in the file is refused. */
  token: z.string().min(1),
  /** Folders searched recursively (My Drive or shared-drive folders), by id. */
  folders: z.array(DriveId).default([]),
  /** Whole shared drives, by id (one listing per drive instead of a folder walk). */
  shared_drives: z.array(DriveId).default([]),
  /** The API root (`https://www.googleapis.com/` when unset); a simulator's root URL in tests. */
  base_url: z.url().optional(),
  /** Requests per minute for this user (Drive's legacy per-user quota: 12,000). */
  rate_limit_per_minute: z.number().int().positive().max(1_000_000).default(12_000),
  max_concurrency: z.number().int().positive().max(50).default(10),
  schedule: ScheduleConfig.prefault({}),
});
export type DriveConnectionConfig = z.infer<typeof DriveConnectionConfig>;

/** A monday.com id: digits, as in a board URL after /boards/ (or a workspace URL after /workspaces/). */
const MondayId = z.string().regex(/^\d{1,20}$/, 'a monday.com id (digits, as in the board URL after /boards/)');
/** A column by id (`status`, `date4`) or by its exact title (`Stage`). */
const MondayColumnRef = z.string().min(1);

/** Where one board carries the creative stage (connectors/monday/normalize.ts MondayStageSource). */
export const MondayStageSourceConfig = z.discriminatedUnion('from', [
  /** A status column (id or title); `map` goes from its label text to a stage. */
  z.strictObject({ from: z.literal('status_column'), column: MondayColumnRef, map: StageMap }),
  /** The item's group; `map` goes from the group title to a stage. */
  z.strictObject({ from: z.literal('group'), map: StageMap }),
]);

/** monday.com plans: the plan sets the account's daily call cap (connectors/monday/manifest.ts DAILY_CALLS). */
export const MONDAY_PLANS = ['free', 'trial', 'basic', 'standard', 'pro', 'enterprise'] as const;
/** The API version the connector's GraphQL documents are checked against; 2027-01 rebuilds activity_logs. */
export const MONDAY_NEWEST_API_VERSION = '2026-10';

export const MondayConnectionConfig = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a connection id is lower-case letters, digits, - and _'),
  vendor: z.literal('monday'),
  /** A personal API token (or an app's) from the environment; a literal token in the file is refused. */
  token: z.string().min(1),
  /** Boards by id; subitems boards are read through their parent board. */
  boards: z.array(MondayId).min(1).optional(),
  /** Every item board of these workspaces (subitems boards excluded), found again at each sync. */
  workspaces: z.array(MondayId).min(1).optional(),
  /** Per board id, with `*` for every board not listed: a status column or the group, and the map to stages. */
  stage: z.record(z.string().regex(/^(\d{1,20}|\*)$/, 'a board id (digits), or "*" for every board not listed'), MondayStageSourceConfig),
  /** Which columns mean owner, due date, asset type and versions (ids or titles); defaults in connectors/monday/normalize.ts. */
  columns: z
    .strictObject({ owner: MondayColumnRef.optional(), due: MondayColumnRef.optional(), asset_type: MondayColumnRef.optional(), files: z.array(MondayColumnRef).min(1).optional() })
    .optional(),
  /** Approval rounds as subitems: the decision status column, the reviewer people column, label → decision. */
  decisions: z
    .strictObject({ column: MondayColumnRef.optional(), reviewer: MondayColumnRef.optional(), map: z.record(z.string().min(1), DecisionKind).optional() })
    .optional(),
  /** The account's plan: its daily call cap (free 200, basic and standard 1,000, pro 10,000, enterprise 25,000). */
  plan: z.enum(MONDAY_PLANS).default('pro'),
  /** Calls per day for the account, instead of the plan's (Pro and Enterprise caps are soft). */
  daily_call_cap: z.number().int().positive().max(10_000_000).optional(),
  /** A personal token shares one complexity budget between reads and writes; an app token has one each. */
  token_kind: z.enum(['personal', 'app']).default('personal'),
  /** Complexity points per minute, instead of the token's documented budget (10M personal, 1M free or trial, 5M app). */
  complexity_per_minute: z.number().int().positive().max(100_000_000).optional(),
  /** The API root (`https://api.monday.com/v2` when unset); a simulator's `http://127.0.0.1:P/v2` in tests. */
  base_url: z.url().optional(),
  /** `API-Version`; the connector's documents are checked against 2026-10. */
  api_version: z.string().regex(/^\d{4}-(01|04|07|10)$/, 'a monday API version such as 2026-10').default(MONDAY_NEWEST_API_VERSION),
  /** Requests per minute (the smallest published figure for any plan is 250). */
  rate_limit_per_minute: z.number().int().positive().max(100_000).default(250),
  max_concurrency: z.number().int().positive().max(100).default(10),
  /** How far each incremental window reaches back before the last one ended (upserts are idempotent). */
  overlap: Duration.default('5m'),
  /** A board whose last complete crawl is older than this is crawled again on the next sync (deletions, anything missed). */
  reconcile_every: Duration.optional(),
  schedule: ScheduleConfig.prefault({}),
});
export type MondayConnectionConfig = z.infer<typeof MondayConnectionConfig>;

/**
 * A Notion id: 32 hex digits, with or without the dashes of a UUID, as in a database URL (the part
 * after the workspace name and before `?v=`). Kept in the dashed form the API answers with.
 */
export const NotionId = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .pipe(
    z
      .string()
      .regex(/^([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/, 'a Notion id (32 hex digits, as in the database URL, with or without dashes)')
      .transform((s) => notionDashed(s)),
  );

/** `0123…` (32 hex) → `01234567-89ab-cdef-0123-456789abcdef`; a dashed id as it is. */
export function notionDashed(id: string): string {
  const h = id.replace(/-/g, '').toLowerCase();
  return h.length === 32 ? `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}` : id;
}

/** A property by name (`Stage`) or by its id (the short id the schema gives each property). */
const NotionPropertyRef = z.string().min(1);

/** Where a data source carries the creative stage: a status (or select) property, and its option → stage map. */
export const NotionStageSourceConfig = z.strictObject({ property: NotionPropertyRef, map: StageMap });

/** Notion-Version values the connector speaks; 2025-09-03 (databases contain data sources) is the SDK's default. */
export const NOTION_VERSIONS = ['2025-09-03', '2026-03-11'] as const;

export const NotionConnectionConfig = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a connection id is lower-case letters, digits, - and _'),
  vendor: z.literal('notion'),
  /** An internal integration secret (or an OAuth access token) from the environment; a literal token in the file is refused. */
  token: z.string().min(1),
  /** Databases shared with the integration; every data source of each is synced unless `data_sources` narrows them. */
  databases: z.array(NotionId).min(1, 'a Notion connection needs at least one database'),
  /** Only these data sources of the databases (all of them when unset). */
  data_sources: z.array(NotionId).min(1).optional(),
  /** Per database or data source id, with `*` for every one not listed: the status or select property and its map to stages. */
  stage: z.record(z.string().min(1), NotionStageSourceConfig),
  /** Which properties mean owner, reviewers, due date, asset type, versions and the asset key (names or ids); defaults in connectors/notion/normalize.ts. */
  properties: z
    .strictObject({
      owner: NotionPropertyRef.optional(),
      reviewers: NotionPropertyRef.optional(),
      due: NotionPropertyRef.optional(),
      asset_type: NotionPropertyRef.optional(),
      files: z.array(NotionPropertyRef).min(1).optional(),
      client: NotionPropertyRef.optional(),
    })
    .optional(),
  /** An approval decision as a status or select property: its name, the people property of who decided, option → decision. */
  decisions: z
    .strictObject({ property: NotionPropertyRef.optional(), reviewer: NotionPropertyRef.optional(), map: z.record(z.string().min(1), DecisionKind).optional() })
    .optional(),
  /** `Notion-Version`; 2026-03-11 renames `archived` to `in_trash`. */
  notion_version: z.enum(NOTION_VERSIONS).default('2025-09-03'),
  /** The API root (`https://api.notion.com` when unset); a simulator's `http://127.0.0.1:P` in tests (no trailing slash). */
  base_url: z.url().optional(),
  /** Requests per minute for this integration: Notion allows an average of 3 per second. */
  rate_limit_per_minute: z.number().int().positive().max(100_000).default(180),
  max_concurrency: z.number().int().positive().max(50).default(3),
  /** How far each incremental window reaches back: `last_edited_time` is rounded to the minute, so at least 1m. */
  overlap: Duration.default('5m'),
  /** A data source whose last complete crawl is older than this is crawled again on the next sync (pages deleted outright, anything missed). */
  reconcile_every: Duration.optional(),
  /**
   * When pages moved to the trash are looked for. `every_sync`: each incremental sync also asks each
   * data source for its trash (a query serves live pages or trashed ones, never both), so a sync with
   * nothing changed costs two calls per data source. `reconcile`: the reconciliation crawls
   * (`reconcile_every`, `schedule.full_every`) find them, as they tombstone what they do not see, and a
   * sync with nothing changed costs one call per data source.
   */
  trash_check: z.enum(['every_sync', 'reconcile']).default('every_sync'),
  schedule: ScheduleConfig.prefault({}),
});
export type NotionConnectionConfig = z.infer<typeof NotionConnectionConfig>;

export const ConnectionConfig = z.discriminatedUnion('vendor', [AsanaConnectionConfig, DriveConnectionConfig, MondayConnectionConfig, NotionConnectionConfig]);
export type ConnectionConfig = z.infer<typeof ConnectionConfig>;

/**
 * Cross-tool asset linking (mapping/linking.ts): a file joins an asset when a task links to it or when
 * its name carries the asset's key under this naming pattern (mapping/naming.ts). An invalid pattern
 * is reported at its path (e.g. workspace.linking.naming.pattern).
 */
export const LinkingConfig = z.strictObject({
  naming: NamingConfig.optional(),
  /** The task field that holds an asset's key (an Asana custom field, a monday column, a Notion property). */
  key_field: z.string().min(1).default('Asset key'),
});
export type LinkingConfig = z.infer<typeof LinkingConfig>;

const Role = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a role is lower_snake_case');
/** A person by email, or everyone at an email domain (e.g. a client's reviewers). An exact email wins. */
export const PersonConfig = z.union([
  z.strictObject({ email: z.email(), name: z.string().optional(), roles: z.array(Role).min(1) }),
  z.strictObject({ domain: z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'an email domain such as client.example'), roles: z.array(Role).min(1) }),
]);

export const StagelineConfig = z
  .strictObject({
    version: z.literal(1).default(1),
    workspace: z
      .strictObject({
        name: z.string().default('Stageline'),
        timezone: z.string().default('UTC'),
        pipeline: z.array(StageId).min(2).default([...DEFAULT_PIPELINE]),
        linking: LinkingConfig.optional(),
        /** Working days and holidays, for business-day SLAs (mapping/calendar.ts): Mon–Fri, no holidays by default. */
        calendar: CalendarConfig.prefault({}),
      })
      .prefault({}),
    people: z.array(PersonConfig).default([]),
    connections: z.array(ConnectionConfig).min(1, 'at least one connection'),
    /** How rules act: off, preview or enforce, overall and per connection (mapping/rules.ts). */
    enforcement: EnforcementConfig.prefault({}),
    /** The workspace's standards, as data (mapping/rules.ts). */
    rules: RulesConfig.default([]),
    /** The leadership report: output folder and weekly schedule. */
    reports: ReportsConfig.prefault({}),
  });
export type StagelineConfig = z.infer<typeof StagelineConfig>;

/**
 * Checks across fields, run on the raw data even when the schema already failed elsewhere, so that
 * one run lists every problem (zod skips refinements of an object that has other errors).
 */
function crossFieldIssues(data: unknown): Issue[] {
  const issues: Issue[] = [];
  const cfg = (data ?? {}) as { workspace?: { timezone?: unknown; pipeline?: unknown }; connections?: unknown; people?: unknown };
  const tz = cfg.workspace?.timezone;
  if (typeof tz === 'string' && !isValidTimeZone(tz)) {
    issues.push({ code: 'custom', path: ['workspace', 'timezone'], message: `unknown time zone "${tz}" (use an IANA name such as Europe/London)` });
  }
  const pipeline = Array.isArray(cfg.workspace?.pipeline) ? (cfg.workspace.pipeline as unknown[]).filter((x): x is string => typeof x === 'string') : [...DEFAULT_PIPELINE];
  const stages = new Set<string>([...pipeline, ...SIDE_STAGES]);
  const seen = new Map<string, number>();
  (Array.isArray(cfg.connections) ? cfg.connections : []).forEach((c: unknown, i: number) => {
    const conn = (c ?? {}) as { id?: unknown; vendor?: unknown; stage?: { map?: unknown }; folders?: unknown; shared_drives?: unknown };
    if (conn.vendor === 'drive' && !(Array.isArray(conn.folders) && conn.folders.length) && !(Array.isArray(conn.shared_drives) && conn.shared_drives.length)) {
      issues.push({ code: 'custom', path: ['connections', i, 'folders'], message: 'a Drive connection needs at least one folder or shared drive (folders: [<folder id>] or shared_drives: [<drive id>])' });
    }
    if (typeof conn.id === 'string') {
      const prev = seen.get(conn.id);
      if (prev !== undefined) issues.push({ code: 'custom', path: ['connections', i, 'id'], message: `duplicate connection id "${conn.id}" (also connections.${prev}.id)` });
      seen.set(conn.id, i);
    }
    const stageMaps: { path: (string | number)[]; map: unknown }[] = [];
    if (conn.vendor === 'monday' || conn.vendor === 'notion') {
      issues.push(...(conn.vendor === 'monday' ? mondayIssues(conn, i) : notionIssues(conn, i)));
      if (conn.stage && typeof conn.stage === 'object') {
        for (const [board, source] of Object.entries(conn.stage)) stageMaps.push({ path: ['connections', i, 'stage', board, 'map'], map: (source as { map?: unknown } | null)?.map });
      }
    } else stageMaps.push({ path: ['connections', i, 'stage', 'map'], map: conn.stage?.map });
    for (const { path, map } of stageMaps) {
      if (!map || typeof map !== 'object') continue;
      for (const [status, stage] of Object.entries(map)) {
        if (typeof stage === 'string' && StageId.safeParse(stage).success && !stages.has(stage)) {
          issues.push({ code: 'custom', path: [...path, status], message: `"${stage}" is not a stage of the pipeline (${[...stages].join(', ')})` });
        }
      }
    }
  });
  const emails = new Map<string, number>();
  (Array.isArray(cfg.people) ? cfg.people : []).forEach((p: unknown, i: number) => {
    const raw = (p as { email?: unknown; domain?: unknown }) ?? {};
    const e = typeof raw.email === 'string' ? raw.email.toLowerCase() : typeof raw.domain === 'string' ? `@${raw.domain.toLowerCase()}` : null;
    if (!e) return;
    if (emails.has(e)) issues.push({ code: 'custom', path: ['people', i, 'email'], message: `duplicate person ${e} (also people.${emails.get(e)})` });
    emails.set(e, i);
  });
  issues.push(...rulesCrossFieldIssues(data));
  return issues;
}

/**
 * A monday.com connection's checks that need no API call: boards or workspaces; with `boards` only,
 * every stage entry names one of them and every board has a stage entry (or `*`); a decision map
 * that is not empty. What needs the live boards (columns, labels, groups, unknown ids) is checked at
 * plan time (activities/monday.ts), with the same paths.
 */
function mondayIssues(conn: Record<string, unknown>, i: number): Issue[] {
  const issues: Issue[] = [];
  const at = (...path: (string | number)[]) => ['connections', i, ...path];
  const name = typeof conn.id === 'string' ? `connection "${conn.id}"` : `connections.${i}`;
  const boards = Array.isArray(conn.boards) ? conn.boards.filter((b): b is string => typeof b === 'string') : null;
  const workspaces = Array.isArray(conn.workspaces) ? conn.workspaces : null;
  if (!boards?.length && !workspaces?.length) {
    issues.push({ code: 'custom', path: at('boards'), message: `${name}: a monday.com connection needs boards: [<board id>] or workspaces: [<workspace id>]` });
  }
  const stage = conn.stage && typeof conn.stage === 'object' && !Array.isArray(conn.stage) ? (conn.stage as Record<string, unknown>) : null;
  if (stage && boards?.length && !workspaces?.length) {
    for (const key of Object.keys(stage)) {
      if (key !== '*' && /^\d+$/.test(key) && !boards.includes(key)) {
        issues.push({ code: 'custom', path: at('stage', key), message: `${name}: board ${key} has a stage source but is not one of its boards (${boards.join(', ')})` });
      }
    }
    if (!Object.hasOwn(stage, '*')) {
      boards.forEach((b, j) => {
        if (!Object.hasOwn(stage, b)) issues.push({ code: 'custom', path: at('boards', j), message: `${name}: board ${b} has no stage source (add stage."${b}", or a "*" entry for every board)` });
      });
    }
  }
  if (stage && Object.keys(stage).length === 0) issues.push({ code: 'custom', path: at('stage'), message: `${name}: no stage source (stage: { "<board id>" or "*": { from: status_column, column: Stage, map: {…} } })` });
  const version = conn.api_version;
  if (typeof version === 'string' && /^\d{4}-\d{2}$/.test(version) && version > MONDAY_NEWEST_API_VERSION) {
    issues.push({ code: 'custom', path: at('api_version'), message: `${name}: API version ${version} is newer than ${MONDAY_NEWEST_API_VERSION}, the version the connector's queries are checked against (2027-01 changes activity_logs)` });
  }
  return issues;
}

/**
 * A Notion connection's checks that need no API call: every stage entry names one of its databases or
 * data sources (or is `*`); every database has a stage entry (its own, one of its data sources', or
 * `*`); the overlap is at least a minute, since Notion keeps `last_edited_time` to the minute
 * (vendor-apis.md §3.4; the simulator rounds the same way) and a shorter window would miss an edit
 * made earlier in the minute a sync looked. What needs the live schema (the property, its options,
 * databases not shared with the integration) is checked at plan time (activities/notion.ts) and by
 * `stageline config check --live`, with the same paths.
 */
function notionIssues(conn: Record<string, unknown>, i: number): Issue[] {
  const issues: Issue[] = [];
  const at = (...path: (string | number)[]) => ['connections', i, ...path];
  const name = typeof conn.id === 'string' ? `connection "${conn.id}"` : `connections.${i}`;
  const ids = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').map((x) => notionDashed(x.trim().toLowerCase())) : []);
  const databases = ids(conn.databases);
  const dataSources = ids(conn.data_sources);
  const stage = conn.stage && typeof conn.stage === 'object' && !Array.isArray(conn.stage) ? (conn.stage as Record<string, unknown>) : null;
  if (stage) {
    if (Object.keys(stage).length === 0) issues.push({ code: 'custom', path: at('stage'), message: `${name}: no stage source (stage: { "<database id>" or "*": { property: Stage, map: {…} } })` });
    const known = new Set([...databases, ...dataSources]);
    for (const key of Object.keys(stage)) {
      if (key === '*') continue;
      if (!known.has(notionDashed(key.trim().toLowerCase()))) {
        issues.push({ code: 'custom', path: at('stage', key), message: `${name}: "${key}" has a stage source but is not one of its databases or data sources (${[...known].join(', ') || 'none'})` });
      }
    }
    // A data source's own entry may cover its database; which data sources a database holds is only
    // known live, so a database without its own entry passes here when any data source has one.
    const keys = new Set(Object.keys(stage).map((k) => (k === '*' ? k : notionDashed(k.trim().toLowerCase()))));
    if (!keys.has('*') && !dataSources.some((d) => keys.has(d))) {
      databases.forEach((d, j) => {
        if (!keys.has(d)) issues.push({ code: 'custom', path: at('databases', j), message: `${name}: database ${d} has no stage source (add stage."${d}", or a "*" entry for every database)` });
      });
    }
  }
  const overlap = conn.overlap;
  if (typeof overlap === 'string' && /^\d+(ms|s|m|h|d)$/.test(overlap) && durationMs(overlap) < 60_000) {
    issues.push({ code: 'custom', path: at('overlap'), message: `${name}: overlap ${overlap} is shorter than a minute; Notion keeps last_edited_time to the minute, so each window must reach back at least 1m` });
  }
  return issues;
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export interface ConfigIssue extends Issue {
  /** 1-based line in the file, where the path exists there. */
  line?: number;
}

export class ConfigError extends Error {
  constructor(readonly source: string, readonly issues: ConfigIssue[]) {
    super(`${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n` + issues.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
  }
}

export function formatIssue(i: ConfigIssue): string {
  const path = i.path.length ? i.path.join('.') : '(file)';
  return `  ${path}${i.line ? ` (line ${i.line})` : ''}: ${i.message} [${i.code}]`;
}

const ENV_REF = /\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}/g;
/** Fields that hold secrets: they must be given as ${ENV_VAR}, never literally. */
const SECRET_KEYS = new Set(['token']);

/**
 * Parses and validates stageline.yaml text. `${VAR}` and `${VAR:-default}` are replaced from `env`;
 * a secret field written literally, or a reference to an unset variable, is an error at its path.
 */
export function parseConfig(text: string, env: Record<string, string | undefined>, source = 'stageline.yaml'): StagelineConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const issues: ConfigIssue[] = [];
  for (const e of doc.errors) {
    const pos = e.linePos?.[0];
    issues.push({ code: 'yaml_syntax', path: [], message: e.message.split('\n')[0] ?? e.message, ...(pos ? { line: pos.line } : {}) });
  }
  if (issues.length) throw new ConfigError(source, issues);

  const lineOf = (path: (string | number)[]): number | undefined => {
    let node: unknown = doc.contents;
    let line: number | undefined;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
        if (!pair) break;
        node = pair.value;
        const r = (pair.key as Node).range;
        if (r) line = lineCounter.linePos(r[0]).line;
      } else if (isSeq(node) && typeof key === 'number') {
        node = node.items[key];
        const r = (node as Node | undefined)?.range;
        if (r) line = lineCounter.linePos(r[0]).line;
      } else break;
    }
    return line;
  };

  const interpolate = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === 'string') {
      const key = path[path.length - 1];
      if (typeof key === 'string' && SECRET_KEYS.has(key) && !/^\$\{[A-Z_][A-Z0-9_]*(:-[^}]*)?\}$/.test(value.trim())) {
        issues.push({ code: 'secret_in_file', path, message: 'secrets must come from the environment: write ${SOME_TOKEN} and set it there' });
        return value;
      }
      return value.replace(ENV_REF, (_m, name: string, dflt: string | undefined) => {
        const v = env[name];
        if (v !== undefined && v !== '') return v;
        if (dflt !== undefined) return dflt;
        issues.push({ code: 'env_missing', path, message: `environment variable ${name} is not set` });
        return '';
      });
    }
    if (Array.isArray(value)) return value.map((v, i) => interpolate(v, [...path, i]));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const r = interpolate(v, [...path, k]);
        // An optional field whose ${VAR:-} default is empty counts as absent.
        if (!(r === '' && typeof v === 'string' && /^\$\{[^}]*:-\}$/.test(v.trim()))) out[k] = r;
      }
      return out;
    }
    return value;
  };

  const data = interpolate(doc.toJS() ?? {}, []);
  const parsed = StagelineConfig.safeParse(data);
  issues.push(...crossFieldIssues(data));
  // A value that is wrong only because its environment variable is unset is reported once, as that.
  const envPaths = new Set(issues.filter((i) => i.code === 'env_missing').map((i) => i.path.join('.')));
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const path = i.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      if (envPaths.has(path.join('.'))) continue;
      // A discriminated union with a bad tag only says "invalid input": say what was expected.
      const last = path[path.length - 1];
      const message =
        i.code === 'invalid_union' && last === 'vendor'
          ? 'unknown vendor (expected: asana, drive, monday, notion)'
          : i.code === 'invalid_union' && last === 'kind' && path[0] === 'rules'
            ? `unknown rule kind (expected: ${RULE_KINDS.join(', ')})`
            : i.message;
      issues.push({ code: i.code, path, message });
    }
  }
  if (issues.length) {
    for (const i of issues) {
      const line = lineOf(i.path);
      if (line) i.line = line;
    }
    issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    throw new ConfigError(source, issues);
  }
  return parsed.data!;
}

/** The roles of a person by email: their own entry, else their domain's, else none. */
export function roleResolver(cfg: Pick<StagelineConfig, 'people'>): (email: string | null | undefined) => string[] {
  const byEmail = new Map<string, string[]>();
  const byDomain = new Map<string, string[]>();
  for (const p of cfg.people) {
    if ('email' in p) byEmail.set(p.email.toLowerCase(), p.roles);
    else byDomain.set(p.domain.toLowerCase(), p.roles);
  }
  return (email) => {
    if (!email) return [];
    const e = email.toLowerCase();
    return byEmail.get(e) ?? byDomain.get(e.slice(e.lastIndexOf('@') + 1)) ?? [];
  };
}

export function durationMs(d: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(d);
  if (!m) throw new Error(`bad duration ${d}`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return n * unit;
}
