// Standards as data: the rules a creative-ops lead writes once in stageline.yaml (`rules:` and
// `enforcement:`), and their pure evaluation against one asset's facts. No I/O and no clock: `now`,
// the time zone, the calendar and the pipeline come in through the context, so the same facts always
// give the same violations, in the same order.
//
//   enforcement: { mode: preview, ops_status_field: Ops status, connections: { agency-drive: enforce } }
//   rules:
//     - { id: file-naming, kind: naming, target: files, action: comment }
//     - { id: client-approval-before-delivery, kind: approval_gate, before: delivered,
//         require: { client: [approved, approved_with_changes] }, action: revert }
//     - { id: client-review-sla, kind: review_sla, stage: client_review, business_days: 3, escalate_to: [creative_director] }
//     - { id: scope-creep, kind: revision_cap, max_rounds: 3 }
//     - { id: brief-complete, kind: required_fields, before: in_progress, fields: [owner, due_date, Brief link] }
//
// What each kind checks is written above its evaluator below. Acting on a violation (a comment, the
// Ops status field, moving a task back) is the caller's business, per the rule's mode (modeFor).
import { z } from 'zod';
import { addBusinessDays, businessDaysBetween, type CalendarConfig } from './calendar';
import type { StagelineConfig } from './config';
import { DEFAULT_PIPELINE, SIDE_STAGES, StageId, type DecisionKind, type Issue } from './model';
import { compileNaming, DEFAULT_NAMING, type Naming, type NamingConfigInput, type ParsedName } from './naming';

export { CalendarConfig } from './calendar';

// ----------------------------------------------------------------------------------- schema

/** off: not evaluated. preview: evaluated and reported in Stageline, nothing written to the tools. enforce: acted on. */
export const RuleMode = z.enum(['off', 'preview', 'enforce']);
export type RuleMode = z.infer<typeof RuleMode>;

/** flag: the Ops status field only. comment: and a comment on the task. revert: and the task moved back (approval gates only). */
export const RuleAction = z.enum(['flag', 'comment', 'revert']);
export type RuleAction = z.infer<typeof RuleAction>;

export const RULE_KINDS = ['naming', 'approval_gate', 'review_sla', 'revision_cap', 'required_fields'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

/** The decisions a gate may accept: changes_requested and rejected are what void an approval. */
export const ACCEPTING_DECISIONS = ['approved', 'approved_with_changes'] as const satisfies readonly DecisionKind[];
const VOIDING_DECISIONS: ReadonlySet<DecisionKind> = new Set(['changes_requested', 'rejected']);

const RuleId = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'a rule id is lower-case letters, digits, - and _ (e.g. client-approval-before-delivery)');
const Role = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a role is lower_snake_case');
const ModeByConnection = z.record(z.string().min(1), RuleMode);

/** Which assets a rule looks at; every list given must match (AND); an absent list matches everything. */
export const RuleScope = z.strictObject({
  /** Project names (case-insensitive) or ids (Stageline's or the tool's). */
  projects: z.array(z.string().min(1)).min(1).optional(),
  /** Asset types (case-insensitive). */
  asset_types: z.array(z.string().min(1)).min(1).optional(),
  /** The asset's current stage. */
  stages: z.array(StageId).min(1).optional(),
});
export type RuleScope = z.infer<typeof RuleScope>;

const common = {
  id: RuleId,
  scope: RuleScope.optional(),
  /** Defaults to flag, the least intrusive. */
  action: RuleAction.default('flag'),
  /** Overrides enforcement.mode (and enforcement.connections) for this rule. */
  mode: RuleMode.optional(),
  /** Per connection id: overrides everything else for this rule on that connection. */
  connections: ModeByConnection.optional(),
};

export const NamingRule = z.strictObject({
  kind: z.literal('naming'),
  /** files: the Drive files of an asset. assets: the asset's key (or its name when it has none). */
  target: z.enum(['files', 'assets']).default('files'),
  /** Default workspace.linking.naming.pattern (or the built-in default). */
  pattern: z.string().min(1).optional(),
  /** Default workspace.linking.naming.key. */
  key: z.string().min(1).optional(),
  /** Added to (and overriding) workspace.linking.naming.parts. */
  parts: z.record(z.string(), z.string().min(1)).optional(),
  ...common,
});
export const ApprovalGateRule = z.strictObject({
  kind: z.literal('approval_gate'),
  before: StageId,
  /** Role → the decisions that satisfy it. */
  require: z
    .record(Role, z.array(z.enum(ACCEPTING_DECISIONS, { error: 'a gate accepts approved or approved_with_changes (changes_requested and rejected void an approval)' })).min(1))
    .refine((r) => Object.keys(r).length > 0, 'name at least one role and the decisions it must give, e.g. { client: [approved] }'),
  ...common,
});
export const ReviewSlaRule = z.strictObject({
  kind: z.literal('review_sla'),
  stage: StageId,
  business_days: z.number().positive().finite(),
  remind_at: z.number().gt(0, 'remind_at is a fraction of the SLA, between 0 and 1').lt(1, 'remind_at is a fraction of the SLA, between 0 and 1').default(0.5),
  escalate_to: z.array(Role).default([]),
  ...common,
});
export const RevisionCapRule = z.strictObject({
  kind: z.literal('revision_cap'),
  max_rounds: z.number().int().nonnegative(),
  ...common,
});
export const RequiredFieldsRule = z.strictObject({
  kind: z.literal('required_fields'),
  before: StageId,
  /** `owner`, `due_date`, or a task field name. */
  fields: z.array(z.string().min(1)).min(1),
  ...common,
});

export const RuleConfig = z.discriminatedUnion('kind', [NamingRule, ApprovalGateRule, ReviewSlaRule, RevisionCapRule, RequiredFieldsRule]);
export type RuleConfig = z.infer<typeof RuleConfig>;
export const RulesConfig = z.array(RuleConfig);
export type RulesConfig = z.infer<typeof RulesConfig>;
export type NamingRule = z.infer<typeof NamingRule>;
export type ApprovalGateRule = z.infer<typeof ApprovalGateRule>;
export type ReviewSlaRule = z.infer<typeof ReviewSlaRule>;
export type RevisionCapRule = z.infer<typeof RevisionCapRule>;
export type RequiredFieldsRule = z.infer<typeof RequiredFieldsRule>;

/** An Asana custom field name: surrounding spaces are dropped (Asana matches names exactly). */
const FieldName = z.string().trim().min(1, 'a field name (not empty)').max(100, 'at most 100 characters');

/**
 * Metrics written back into the tools (activities/metrics.ts, docs/METRICS.md "Written back to the
 * tools"): each asset's revision round, days in its current stage and cycle time, as number custom
 * fields on its Asana task and as appProperties on its linked Drive files. Off unless turned on:
 * the first write creates three fields in the Asana workspace and adds them to every project, which
 * is the lead's call, as enforcing a rule is.
 *
 *   enforcement:
 *     metrics: { enabled: true, connections: { agency-drive: false }, fields: { days_in_stage: Days in stage } }
 */
export const MetricsWriteConfig = z.strictObject({
  /** Write the metrics back on every connection (unless `connections` says otherwise). */
  enabled: z.boolean().default(false),
  /** Per connection id: true or false, over `enabled`. */
  connections: z.record(z.string().min(1), z.boolean()).default({}),
  /** The Asana number custom fields the metrics go into (found by exact name, or created). */
  fields: z
    .strictObject({
      revision_round: FieldName.default('Revision round'),
      days_in_stage: FieldName.default('Days in stage'),
      cycle_time: FieldName.default('Cycle time (days)'),
    })
    .prefault({}),
});
export type MetricsWriteConfig = z.infer<typeof MetricsWriteConfig>;
const DEFAULT_METRICS_WRITE: MetricsWriteConfig = MetricsWriteConfig.parse({});

/** The metrics write-back settings, defaults filled in when `enforcement.metrics` is absent. */
export function metricsWriteConfig(cfg: { enforcement: EnforcementConfig }): MetricsWriteConfig {
  return cfg.enforcement.metrics ?? DEFAULT_METRICS_WRITE;
}

/** Whether metrics are written into the records of this connection. */
export function metricsWriteEnabled(cfg: { enforcement: EnforcementConfig }, connectionId: string): boolean {
  const m = metricsWriteConfig(cfg);
  return m.connections[connectionId] ?? m.enabled;
}

export const EnforcementConfig = z.strictObject({
  /**
   * The mode of every rule on every connection unless said otherwise. Preview by default: rules
   * written into the file are evaluated and reported, and nothing is written to a tool until the
   * lead says enforce.
   */
  mode: RuleMode.default('preview'),
  /** The task field Stageline writes its status into (an Asana enum custom field name). */
  ops_status_field: z.string().min(1).default('Ops status'),
  /** Per connection id: the default mode of every rule there. */
  connections: ModeByConnection.default({}),
  /** Metrics written back (revision round, days in stage, cycle time): its own switch, off by default. */
  metrics: MetricsWriteConfig.optional(),
});
export type EnforcementConfig = z.infer<typeof EnforcementConfig>;

// ------------------------------------------------------------------------ cross-field checks

/**
 * The rules' checks across fields, on the raw (interpolated) config, run by parseConfig with its own
 * so that one run lists every problem: stages not in the pipeline, roles no person has, revert on a
 * kind other than approval_gate, duplicate ids, invalid naming patterns, unknown connection ids.
 */
export function rulesCrossFieldIssues(data: unknown): Issue[] {
  const issues: Issue[] = [];
  const add = (path: (string | number)[], message: string, code = 'custom') => issues.push({ code, path, message });
  const cfg = (isObject(data) ? data : {}) as {
    workspace?: { pipeline?: unknown; linking?: { naming?: unknown } };
    people?: unknown;
    connections?: unknown;
    enforcement?: { connections?: unknown; ops_status_field?: unknown; metrics?: unknown };
    rules?: unknown;
  };
  const ws = isObject(cfg.workspace) ? cfg.workspace : {};
  const pipeline = Array.isArray(ws.pipeline) ? ws.pipeline.filter((x): x is string => typeof x === 'string') : [...DEFAULT_PIPELINE];
  const stages = new Set<string>([...pipeline, ...SIDE_STAGES]);
  const roles = new Set<string>();
  for (const p of Array.isArray(cfg.people) ? cfg.people : []) {
    const r = isObject(p) ? p.roles : undefined;
    if (Array.isArray(r)) for (const x of r) if (typeof x === 'string') roles.add(x);
  }
  const connectionIds = new Set<string>();
  for (const c of Array.isArray(cfg.connections) ? cfg.connections : []) if (isObject(c) && typeof c.id === 'string') connectionIds.add(c.id);
  const connectionsKnown = Array.isArray(cfg.connections);

  const checkConnections = (value: unknown, path: (string | number)[]) => {
    if (!connectionsKnown || !isObject(value)) return;
    for (const id of Object.keys(value)) {
      if (!connectionIds.has(id)) add([...path, id], `no connection "${id}" (connections: ${[...connectionIds].join(', ') || 'none'})`);
    }
  };
  checkConnections(isObject(cfg.enforcement) ? cfg.enforcement.connections : undefined, ['enforcement', 'connections']);
  if (isObject(cfg.enforcement) && isObject(cfg.enforcement.metrics)) {
    const m = cfg.enforcement.metrics;
    checkConnections(m.connections, ['enforcement', 'metrics', 'connections']);
    metricFieldIssues(m.fields, cfg.enforcement.ops_status_field, cfg.connections, ws.linking).forEach((i) => issues.push(i));
  }

  const checkStage = (value: unknown, path: (string | number)[]) => {
    if (typeof value === 'string' && StageId.safeParse(value).success && !stages.has(value)) {
      add(path, `"${value}" is not a stage of the pipeline (${[...stages].join(', ')})`);
    }
  };
  const checkRole = (value: unknown, path: (string | number)[]) => {
    if (typeof value === 'string' && Role.safeParse(value).success && !roles.has(value)) {
      add(path, roles.size ? `no person has the role "${value}" (roles: ${[...roles].sort().join(', ')})` : `no person has the role "${value}" (no one in people has a role yet)`);
    }
  };

  const inherited = workspaceNaming(isObject(ws.linking) ? ws.linking.naming : undefined);
  const ids = new Map<string, number>();
  (Array.isArray(cfg.rules) ? cfg.rules : []).forEach((r: unknown, i: number) => {
    if (!isObject(r)) return;
    const at = (...p: (string | number)[]) => ['rules', i, ...p];
    if (typeof r.id === 'string') {
      const prev = ids.get(r.id);
      if (prev !== undefined) add(at('id'), `duplicate rule id "${r.id}" (also rules.${prev}.id)`);
      else ids.set(r.id, i);
    }
    if (r.action === 'revert' && typeof r.kind === 'string' && r.kind !== 'approval_gate' && (RULE_KINDS as readonly string[]).includes(r.kind)) {
      add(at('action'), `revert is only for approval_gate rules (a ${r.kind} rule can flag or comment)`);
    }
    checkConnections(r.connections, at('connections'));
    const scope = isObject(r.scope) ? r.scope : {};
    if (Array.isArray(scope.stages)) scope.stages.forEach((s: unknown, j: number) => checkStage(s, at('scope', 'stages', j)));
    switch (r.kind) {
      case 'approval_gate':
        checkStage(r.before, at('before'));
        if (isObject(r.require)) for (const role of Object.keys(r.require)) checkRole(role, at('require', role));
        break;
      case 'required_fields':
        checkStage(r.before, at('before'));
        break;
      case 'review_sla':
        checkStage(r.stage, at('stage'));
        if (Array.isArray(r.escalate_to)) r.escalate_to.forEach((role: unknown, j: number) => checkRole(role, at('escalate_to', j)));
        break;
      case 'naming':
        for (const i2 of ruleNamingIssues(r, inherited)) add(at(...i2.path), i2.message, i2.code);
        break;
    }
  });
  return issues;
}

/**
 * The metric field names must name three different fields, none of which Stageline or the stage map
 * already uses for something else: writing a number into the Ops status, the stage field or the asset
 * key field would fail, or worse, be read back as a stage or a key.
 */
function metricFieldIssues(fields: unknown, opsStatusField: unknown, connections: unknown, linking: unknown): Issue[] {
  if (fields !== undefined && !isObject(fields)) return [];
  const out: Issue[] = [];
  const names = { ...DEFAULT_METRICS_WRITE.fields } as Record<string, unknown>;
  for (const [k, v] of Object.entries(fields ?? {})) if (k in names) names[k] = v;
  const taken = new Map<string, string>();
  taken.set(typeof opsStatusField === 'string' ? opsStatusField.trim() : 'Ops status', 'the Ops status field (enforcement.ops_status_field)');
  const keyField = isObject(linking) && typeof linking.key_field === 'string' ? linking.key_field.trim() : 'Asset key';
  taken.set(keyField, 'the asset key field (workspace.linking.key_field)');
  (Array.isArray(connections) ? connections : []).forEach((c: unknown, i: number) => {
    const source = isObject(c) && isObject(c.stage) && isObject(c.stage.source) ? c.stage.source : null;
    if (source && typeof source.field === 'string') taken.set(source.field.trim(), `the stage field of connections.${i}`);
  });
  const seen = new Map<string, string>();
  for (const [key, value] of Object.entries(names)) {
    if (typeof value !== 'string' || value.trim() === '') continue; // the schema reports it
    const name = value.trim();
    // Asana refuses a second field whose name differs only in case (simulator assumption, store.ts createCustomField).
    const folded = name.toLowerCase();
    const clash = [...taken].find(([n]) => n.toLowerCase() === folded);
    if (clash) out.push({ code: 'custom', path: ['enforcement', 'metrics', 'fields', key], message: `"${name}" is already ${clash[1]}: choose another field name` });
    const prev = seen.get(folded);
    if (prev !== undefined) out.push({ code: 'custom', path: ['enforcement', 'metrics', 'fields', key], message: `"${name}" is also the field of ${prev}: each metric needs its own field` });
    else seen.set(folded, key);
  }
  return out;
}

/** The workspace's naming when it is valid, else the built-in default (its own errors are reported at its path). */
function workspaceNaming(raw: unknown): NamingConfigInput {
  if (isObject(raw) && typeof raw.pattern === 'string' && typeof raw.key === 'string') {
    const parts = isObject(raw.parts) ? (raw.parts as Record<string, string>) : undefined;
    const input: NamingConfigInput = { pattern: raw.pattern, key: raw.key, parts };
    if (compileNaming(input).ok) return input;
  }
  return { ...DEFAULT_NAMING };
}

/** The naming a rule uses: its own pattern, key and parts over the workspace's. */
function ruleNamingInput(rule: { pattern?: unknown; key?: unknown; parts?: unknown }, inherited: NamingConfigInput): NamingConfigInput {
  const own = isObject(rule.parts) ? (rule.parts as Record<string, string>) : {};
  return {
    pattern: typeof rule.pattern === 'string' ? rule.pattern : inherited.pattern,
    key: typeof rule.key === 'string' ? rule.key : inherited.key,
    parts: { ...(inherited.parts ?? {}), ...own },
  };
}

/** A naming rule's own pattern, key and parts, compiled; issues at `pattern`, `key`, `parts.<name>` of the rule. */
function ruleNamingIssues(rule: Record<string, unknown>, inherited: NamingConfigInput): Issue[] {
  const hasOwn = (k: string) => rule[k] !== undefined;
  if (!hasOwn('pattern') && !hasOwn('key') && !hasOwn('parts')) return [];
  // Wrong types are the schema's to report.
  const badString = (k: string) => hasOwn(k) && (typeof rule[k] !== 'string' || rule[k] === '');
  if (badString('pattern') || badString('key') || (hasOwn('parts') && !isObject(rule.parts))) return [];
  const r = compileNaming(ruleNamingInput(rule, inherited));
  if (r.ok) return [];
  const out: Issue[] = [];
  const inheritedKey = r.issues.filter((i) => i.path[0] === 'key' && !hasOwn('key'));
  if (inheritedKey.length) {
    // One problem, however many parts are missing: the rule's pattern does not fit the key it inherits.
    out.push({
      code: 'invalid_pattern',
      path: ['pattern'],
      message: `this pattern does not fit the key the rule takes from the workspace, "${inherited.key}" (${inheritedKey.map((i) => i.message).join('; ')}): give the rule a key`,
    });
  }
  for (const i of r.issues) {
    const [head, name] = i.path;
    if (head === 'parts') {
      // A part the rule takes from the workspace is reported there.
      if (typeof name === 'string' && isObject(rule.parts) && Object.hasOwn(rule.parts, name)) out.push(i);
    } else if (head === 'key' && !hasOwn('key')) {
      continue;
    } else if (head === 'pattern' && !hasOwn('pattern')) {
      out.push({ ...i, path: hasOwn('key') ? ['key'] : ['parts'], message: `${i.message} (in the pattern this rule takes: "${inherited.pattern}")` });
    } else out.push(i);
  }
  return out;
}

/**
 * The fields of required_fields rules that no synced task has (matched as evaluation matches them:
 * exactly, else ignoring case and surrounding spaces), each at its path, for `stageline config check`
 * once data has been synced. `owner` and `due_date` are built in.
 */
export function unknownFields(rules: readonly RuleConfig[], knownFieldNames: Set<string>): Issue[] {
  const known = new Map<string, string>();
  for (const n of knownFieldNames) known.set(fold(n), n);
  const out: Issue[] = [];
  rules.forEach((rule, i) => {
    if (rule.kind !== 'required_fields') return;
    rule.fields.forEach((field, j) => {
      if (BUILTIN_FIELDS.has(field) || known.has(fold(field))) return;
      const near = closest(field, [...knownFieldNames]);
      out.push({ code: 'unknown_field', path: ['rules', i, 'fields', j], message: `no synced task has a field "${field}"${near ? ` (did you mean "${near}"?)` : ''}` });
    });
  });
  return out;
}

// ---------------------------------------------------------------------------------- compiling

interface CompiledScope {
  projects: ReadonlySet<string> | null;
  assetTypes: ReadonlySet<string> | null;
  stages: ReadonlySet<string> | null;
}

interface CompiledBase {
  id: string;
  action: RuleAction;
  scope: CompiledScope;
  /** rule.connections, then rule.mode, then enforcement.connections, then enforcement.mode. */
  modes: { rule: ReadonlyMap<string, RuleMode>; own: RuleMode | null; connections: ReadonlyMap<string, RuleMode>; fallback: RuleMode };
}

export type CompiledNamingRule = CompiledBase & {
  kind: 'naming';
  config: NamingRule;
  /** The rule's own pattern over the workspace's (or the workspace's, or the default). */
  naming: Naming;
  /** The rule has its own pattern or parts: file names are parsed under it, not only taken from linking. */
  ownNaming: boolean;
};
export type CompiledApprovalGate = CompiledBase & { kind: 'approval_gate'; config: ApprovalGateRule; require: ReadonlyMap<string, ReadonlySet<DecisionKind>> };
export type CompiledReviewSla = CompiledBase & { kind: 'review_sla'; config: ReviewSlaRule };
export type CompiledRevisionCap = CompiledBase & { kind: 'revision_cap'; config: RevisionCapRule };
export type CompiledRequiredFields = CompiledBase & { kind: 'required_fields'; config: RequiredFieldsRule };
export type CompiledRule = CompiledNamingRule | CompiledApprovalGate | CompiledReviewSla | CompiledRevisionCap | CompiledRequiredFields;

export class RulesError extends Error {
  constructor(readonly issues: Issue[]) {
    super(`invalid rules:\n${issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
    this.name = 'RulesError';
  }
}

/**
 * The config's rules, ready to evaluate: naming patterns compiled, scope lists as sets, modes
 * resolved. Rules in mode off are kept (evaluateAsset skips them), so a status page can list them.
 * Throws RulesError when the rules are invalid (parseConfig has already reported that).
 */
export function compileRules(cfg: StagelineConfig): CompiledRule[] {
  const issues = rulesCrossFieldIssues(cfg);
  if (issues.length) throw new RulesError(issues);
  const inherited = workspaceNaming(cfg.workspace.linking?.naming);
  const enforcement = cfg.enforcement;
  return cfg.rules.map((rule): CompiledRule => {
    const base: CompiledBase = {
      id: rule.id,
      action: rule.action,
      scope: {
        projects: rule.scope?.projects ? new Set(rule.scope.projects.map(fold)) : null,
        assetTypes: rule.scope?.asset_types ? new Set(rule.scope.asset_types.map(fold)) : null,
        stages: rule.scope?.stages ? new Set(rule.scope.stages) : null,
      },
      modes: {
        rule: new Map(Object.entries(rule.connections ?? {})),
        own: rule.mode ?? null,
        connections: new Map(Object.entries(enforcement.connections)),
        fallback: enforcement.mode,
      },
    };
    switch (rule.kind) {
      case 'naming': {
        const r = compileNaming(ruleNamingInput(rule, inherited));
        if (!r.ok) throw new RulesError(r.issues.map((i) => ({ ...i, path: ['rules', cfg.rules.indexOf(rule), ...i.path] })));
        return { ...base, kind: 'naming', config: rule, naming: r.naming, ownNaming: rule.pattern !== undefined || rule.parts !== undefined };
      }
      case 'approval_gate':
        return { ...base, kind: 'approval_gate', config: rule, require: new Map(Object.entries(rule.require).map(([role, kinds]) => [role, new Set<DecisionKind>(kinds)])) };
      case 'review_sla':
        return { ...base, kind: 'review_sla', config: rule };
      case 'revision_cap':
        return { ...base, kind: 'revision_cap', config: rule };
      case 'required_fields':
        return { ...base, kind: 'required_fields', config: rule };
    }
  });
}

/**
 * A rule's mode on a connection, most specific first: the rule's own `connections` entry, the rule's
 * `mode`, `enforcement.connections`, then `enforcement.mode`. A rule that says its mode outright wins
 * over a connection's default; to switch a rule off on one connection, say so in the rule.
 */
export function modeFor(rule: CompiledRule, connectionId: string): RuleMode {
  const m = rule.modes;
  return m.rule.get(connectionId) ?? m.own ?? m.connections.get(connectionId) ?? m.fallback;
}

// --------------------------------------------------------------------------------- evaluation

export interface AssetFacts {
  assetId: string;
  /** The asset's own (task tool) connection. */
  connectionId: string;
  project: { id: string; externalId: string; name: string } | null;
  name: string;
  /** The asset key (workspace.linking.key_field). */
  key: string | null;
  assetType: string | null;
  /** Canonical stage now. */
  stage: string | null;
  ownerId: string | null;
  dueOn: string | null;
  fields: Record<string, string | number | boolean | null | string[]>;
  /** Live versions (several rows may share a number: one version from several tools). */
  versions: { number: number; createdAt: string }[];
  decisions: {
    decision: DecisionKind;
    role: string | null;
    reviewerId: string | null;
    reviewerName: string | null;
    versionNumber: number | null;
    decidedAt: string;
  }[];
  /** The stage history, any order. */
  transitions: { fromStage: string | null; toStage: string | null; at: string }[];
  /** Drive files linked to or meant for this asset. */
  files: { connectionId: string; fileId: string; name: string; linkState: 'linked' | 'misnamed' | 'orphan' | 'conflict'; suggestion: string | null; reason: string | null }[];
}

export interface SlaSchedule {
  stage: string;
  enteredAt: string;
  remindAt: string;
  deadlineAt: string;
  /** Roles. */
  escalateTo: string[];
  state: 'running' | 'reminder_due' | 'overdue';
}

export interface Violation {
  ruleId: string;
  kind: RuleConfig['kind'];
  assetId: string;
  /** What the violation is about: 'asset', or `file:<connectionId>/<fileId>` for a file. Stable: (ruleId, assetId, subject) identifies a violation across evaluations. */
  subject: string;
  /** What is wrong, for a PM. */
  message: string;
  /** How to fix it: the corrected file name, the missing approvers, the missing fields. */
  fix: string | null;
  /** The facts that made the decision (version numbers, decisions counted and not counted and why, entered-at times, rounds…). */
  evidence: Record<string, unknown>;
  /** approval_gate: the stage to move back to (the stage before the gated one in the asset's history, else the pipeline stage before it). */
  revertTo?: string | null;
  /** review_sla: when the asset entered the stage, when to remind, the deadline, and who to escalate to. */
  sla?: SlaSchedule;
}

export interface EvalContext {
  /** ISO timestamp: the evaluation's clock. */
  now: string;
  /** IANA zone of the workspace (business days are counted there). */
  timezone: string;
  calendar: CalendarConfig;
  pipeline: readonly string[];
}

/**
 * Every violation of the rules by one asset, sorted by (ruleId, subject). Rules whose scope does not
 * match are skipped, and so are rules in mode off on the asset's connection (for file subjects, on
 * the file's connection).
 */
export function evaluateAsset(facts: AssetFacts, rules: readonly CompiledRule[], ctx: EvalContext): Violation[] {
  const out: Violation[] = [];
  for (const rule of rules) {
    if (!inScope(rule.scope, facts)) continue;
    if (rule.kind === 'naming' && rule.config.target === 'files') {
      out.push(...namingFiles(facts, rule));
      continue;
    }
    if (modeFor(rule, facts.connectionId) === 'off') continue;
    let v: Violation | null = null;
    switch (rule.kind) {
      case 'naming':
        v = namingAsset(facts, rule);
        break;
      case 'approval_gate':
        v = approvalGate(facts, rule, ctx);
        break;
      case 'review_sla':
        v = reviewSla(facts, rule, ctx);
        break;
      case 'revision_cap':
        v = revisionCap(facts, rule);
        break;
      case 'required_fields':
        v = requiredFields(facts, rule, ctx);
        break;
    }
    if (v) out.push(v);
  }
  return out.sort((a, b) => cmp(a.ruleId, b.ruleId) || cmp(a.subject, b.subject));
}

/** Scope: projects by name (case-insensitive) or id; asset types (case-insensitive); the current stage. */
function inScope(scope: CompiledScope, facts: AssetFacts): boolean {
  if (scope.projects) {
    const p = facts.project;
    if (!p || !(scope.projects.has(fold(p.name)) || scope.projects.has(fold(p.externalId)) || scope.projects.has(fold(p.id)))) return false;
  }
  if (scope.assetTypes && (facts.assetType === null || !scope.assetTypes.has(fold(facts.assetType)))) return false;
  if (scope.stages && (facts.stage === null || !scope.stages.has(facts.stage))) return false;
  return true;
}

/**
 * Whether an asset at `stage` is at or past `gate`: by pipeline order for a pipeline stage (a stage
 * skipped over counts as passed), and never from a side stage (on hold, cancelled) or an unmapped
 * one. A gate on a side stage itself applies only while the asset is in that stage.
 */
export function atOrPast(stage: string | null, gate: string, pipeline: readonly string[]): boolean {
  if (stage === null) return false;
  const g = pipeline.indexOf(gate);
  if (g < 0) return stage === gate;
  return pipeline.indexOf(stage) >= g;
}

// ------------------------------------------------------------------------------ approval_gate

type DecisionFact = AssetFacts['decisions'][number];

/**
 * approval_gate: applies when the asset is at or past the gated stage (atOrPast). The latest version
 * is the highest version number. Each required role needs a decision by someone with that role ON
 * the latest version, of a kind the rule accepts for the role, not followed (strictly later
 * decidedAt) by changes_requested or rejected from anyone with that role on that version. Decisions
 * on older versions, without a version, without a role, or by roles the gate does not ask for do not
 * count; the evidence lists every decision with whether it counted and why. No version at all: the
 * gate is not met. `revertTo`: the stage the asset was in before it last crossed into the gated part
 * of the pipeline, from its history; else the pipeline stage before the gate (null before the first).
 */
function approvalGate(facts: AssetFacts, rule: CompiledApprovalGate, ctx: EvalContext): Violation | null {
  const gate = rule.config.before;
  if (!atOrPast(facts.stage, gate, ctx.pipeline)) return null;
  const latest = facts.versions.length ? Math.max(...facts.versions.map((v) => v.number)) : null;
  const decisions = [...facts.decisions].sort((a, b) => ms(a.decidedAt) - ms(b.decidedAt));
  const rows: (Record<string, unknown> & { counted: boolean; why: string })[] = [];
  const met = new Set<string>();
  for (const d of decisions) {
    const row = { role: d.role, decision: d.decision, version: d.versionNumber, reviewer: d.reviewerName ?? d.reviewerId, decidedAt: d.decidedAt };
    const why = decisionVerdict(d, decisions, rule, latest);
    if (why === null && d.role !== null) met.add(d.role);
    rows.push({ ...row, counted: why === null, why: why ?? `counts for ${label(d.role ?? '')}` });
  }
  const missing = [...rule.require].filter(([role]) => !met.has(role)).map(([role, kinds]) => ({ role, accepts: [...kinds] }));
  if (!missing.length) return null;

  const revertTo = revertTarget(facts, gate, ctx.pipeline);
  const roles = sentence(missing.map((m) => label(m.role)).join(' and '));
  const needs = missing.map((m) => `${label(m.role)} (${m.accepts.map(label).join(' | ')})`).join('; ');
  let message = latest === null ? `${roles} approval missing before ${stageLabel(gate)}: no version yet` : `${roles} approval missing on v${latest}: ${needs}`;
  const mode = modeFor(rule, facts.connectionId);
  if (rule.action === 'revert' && revertTo) message += mode === 'enforce' ? ` — moved back to ${stageLabel(revertTo)}` : ` — would move back to ${stageLabel(revertTo)}`;
  const asks = missing.map((m) => `${label(m.role)}: ${m.accepts.map(label).join(' or ')}`).join('; ');
  return {
    ruleId: rule.id,
    kind: rule.kind,
    assetId: facts.assetId,
    subject: 'asset',
    message,
    fix: latest === null ? `Add a version, then get ${asks}` : `Get on v${latest} — ${asks}`,
    evidence: {
      gate,
      stage: facts.stage,
      crossedAt: crossedAt(facts, gate, ctx.pipeline),
      latestVersion: latest,
      ...(latest === null ? { note: 'no version: nothing to approve yet' } : {}),
      required: Object.fromEntries([...rule.require].map(([role, kinds]) => [role, [...kinds]])),
      met: [...rule.require.keys()].filter((r) => met.has(r)),
      missing,
      decisions: rows,
    },
    revertTo,
  };
}

/** Null when the decision satisfies its role on this gate; else why it does not count. */
function decisionVerdict(d: DecisionFact, all: readonly DecisionFact[], rule: CompiledApprovalGate, latest: number | null): string | null {
  if (d.role === null) return 'the reviewer has no role (add them to people in stageline.yaml)';
  const accepts = rule.require.get(d.role);
  if (!accepts) return `${label(d.role)} is not a role this gate asks for`;
  if (latest === null) return 'no version';
  if (d.versionNumber === null) return `not on a known version (the latest is v${latest})`;
  if (d.versionNumber !== latest) return `on v${d.versionNumber}, not the latest v${latest}: ignored`;
  if (VOIDING_DECISIONS.has(d.decision)) return `${label(d.decision)}: voids earlier approvals by ${label(d.role)} on v${latest}`;
  if (!accepts.has(d.decision)) return `${label(d.decision)} does not satisfy ${label(d.role)} (needs ${[...accepts].map(label).join(' or ')})`;
  const t = ms(d.decidedAt);
  const voiding = all.find((o) => o.role === d.role && o.versionNumber === latest && VOIDING_DECISIONS.has(o.decision) && ms(o.decidedAt) > t);
  if (voiding) return `voided by ${label(voiding.decision)}${voiding.reviewerName ? ` from ${voiding.reviewerName}` : ''} at ${voiding.decidedAt}`;
  return null;
}

/** The stage the asset was in before it last entered the gated part of the pipeline (or the gated side stage). */
function revertTarget(facts: AssetFacts, gate: string, pipeline: readonly string[]): string | null {
  const g = pipeline.indexOf(gate);
  const before = (s: string | null): s is string => s !== null && (g < 0 ? s !== gate && pipeline.includes(s) : pipeline.indexOf(s) >= 0 && pipeline.indexOf(s) < g);
  for (const t of byTimeDesc(facts.transitions)) {
    if (before(t.toStage)) return t.toStage;
    if (before(t.fromStage)) return t.fromStage;
  }
  return g > 0 ? (pipeline[g - 1] ?? null) : null;
}

/** When the asset last crossed into the gated part of the pipeline, from the history (null when it does not say). */
function crossedAt(facts: AssetFacts, gate: string, pipeline: readonly string[]): string | null {
  for (const t of byTimeDesc(facts.transitions)) {
    if (atOrPast(t.toStage, gate, pipeline) && !atOrPast(t.fromStage, gate, pipeline)) return t.at;
  }
  return null;
}

// --------------------------------------------------------------------------------- review_sla

/**
 * The SLA clock of an asset in the rule's stage, whatever its state (for the timer workflow): null
 * when the asset is not in the stage, is outside the rule's scope, or its history has no transition
 * into the stage. enteredAt = the latest transition into the stage (from another stage); deadline =
 * enteredAt + business_days business days in the workspace zone and calendar (calendar.ts);
 * remindAt = enteredAt + remind_at × business_days business days. State: overdue once now ≥
 * deadline, reminder_due once now ≥ remindAt, else running. The rule's mode is the caller's to check.
 */
export function slaSchedule(facts: AssetFacts, rule: CompiledReviewSla, ctx: EvalContext): SlaSchedule | null {
  const stage = rule.config.stage;
  if (facts.stage !== stage || !inScope(rule.scope, facts)) return null;
  const entry = byTimeDesc(facts.transitions).find((t) => t.toStage === stage && t.fromStage !== stage);
  if (!entry) return null;
  const entered = new Date(entry.at);
  const days = rule.config.business_days;
  const deadline = addBusinessDays(entered, days, ctx.timezone, ctx.calendar);
  const remind = addBusinessDays(entered, rule.config.remind_at * days, ctx.timezone, ctx.calendar);
  const now = ms(ctx.now);
  const state = now >= deadline.getTime() ? 'overdue' : now >= remind.getTime() ? 'reminder_due' : 'running';
  return { stage, enteredAt: entered.toISOString(), remindAt: remind.toISOString(), deadlineAt: deadline.toISOString(), escalateTo: [...rule.config.escalate_to], state };
}

/** review_sla: a violation once the reminder is due (reminder_due) or the deadline has passed (overdue); see slaSchedule. */
function reviewSla(facts: AssetFacts, rule: CompiledReviewSla, ctx: EvalContext): Violation | null {
  const sla = slaSchedule(facts, rule, ctx);
  if (!sla || sla.state === 'running') return null;
  const fmt = (iso: string) => localTime(iso, ctx.timezone);
  const days = rule.config.business_days;
  const span = `${days} business day${days === 1 ? '' : 's'}`;
  const escalate = sla.escalateTo.map(label).join(' and ');
  const message =
    sla.state === 'overdue'
      ? `${stageLabel(sla.stage)} overdue: ${span} from ${fmt(sla.enteredAt)} ran out ${fmt(sla.deadlineAt)} (${ctx.timezone})`
      : `${stageLabel(sla.stage)} due ${fmt(sla.deadlineAt)} (${ctx.timezone}): ${span} from ${fmt(sla.enteredAt)}`;
  const fix =
    sla.state === 'overdue'
      ? escalate
        ? `Escalate to ${escalate}, and get a decision or move it on`
        : 'Get a decision or move it on'
      : `Remind the reviewers: a decision is due by ${fmt(sla.deadlineAt)}`;
  return {
    ruleId: rule.id,
    kind: rule.kind,
    assetId: facts.assetId,
    subject: 'asset',
    message,
    fix,
    evidence: {
      stage: sla.stage,
      enteredAt: sla.enteredAt,
      businessDays: days,
      remindAt: rule.config.remind_at,
      now: ctx.now,
      elapsedBusinessDays: round3(businessDaysBetween(new Date(sla.enteredAt), new Date(ctx.now), ctx.timezone, ctx.calendar)),
      timezone: ctx.timezone,
    },
    sla,
  };
}

// ------------------------------------------------------------------------------- revision_cap

const REVIEW_STAGES: ReadonlySet<string> = new Set(['internal_review', 'client_review']);
const REWORK_STAGES: ReadonlySet<string> = new Set(['in_progress', 'brief']);

/**
 * revision_cap: a round is a transition from a review stage (internal_review, client_review) back to
 * in_progress or brief. A violation when rounds > max_rounds (exactly at the cap is fine); the
 * evidence lists each round's time, in order.
 */
function revisionCap(facts: AssetFacts, rule: CompiledRevisionCap): Violation | null {
  const rounds = [...facts.transitions]
    .filter((t) => t.fromStage !== null && t.toStage !== null && REVIEW_STAGES.has(t.fromStage) && REWORK_STAGES.has(t.toStage))
    .sort((a, b) => ms(a.at) - ms(b.at));
  const max = rule.config.max_rounds;
  if (rounds.length <= max) return null;
  const over = rounds.length - max;
  return {
    ruleId: rule.id,
    kind: rule.kind,
    assetId: facts.assetId,
    subject: 'asset',
    message: `${rounds.length} revision rounds, ${over} over the cap of ${max}`,
    fix: `Agree a change of scope for the extra round${over === 1 ? '' : 's'} with the client, or stop revising`,
    evidence: { rounds: rounds.length, maxRounds: max, roundTimes: rounds.map((t) => ({ at: t.at, from: t.fromStage, to: t.toStage })) },
  };
}

// ---------------------------------------------------------------------------- required_fields

const BUILTIN_FIELDS = new Set(['owner', 'due_date']);

/**
 * required_fields: applies when the asset is at or past `before` (atOrPast). `owner`: an owner is
 * set; `due_date`: a due date is set; any other name: the task field of that name (exact, else
 * ignoring case and surrounding spaces) is present and not empty (null, '' and [] are empty).
 */
function requiredFields(facts: AssetFacts, rule: CompiledRequiredFields, ctx: EvalContext): Violation | null {
  const before = rule.config.before;
  if (!atOrPast(facts.stage, before, ctx.pipeline)) return null;
  const missing: { field: string; why: string }[] = [];
  for (const field of rule.config.fields) {
    if (field === 'owner') {
      if (facts.ownerId === null) missing.push({ field, why: 'no owner' });
    } else if (field === 'due_date') {
      if (facts.dueOn === null) missing.push({ field, why: 'no due date' });
    } else {
      const name = fieldName(facts.fields, field);
      if (name === null) missing.push({ field, why: 'the task has no such field' });
      else if (isEmpty(facts.fields[name])) missing.push({ field, why: 'empty' });
    }
  }
  if (!missing.length) return null;
  const names = missing.map((m) => fieldLabel(m.field)).join(', ');
  return {
    ruleId: rule.id,
    kind: rule.kind,
    assetId: facts.assetId,
    subject: 'asset',
    message: `Missing at ${stageLabel(facts.stage ?? before)} (required from ${stageLabel(before)}): ${names}`,
    fix: `Fill in ${names}`,
    evidence: { before, stage: facts.stage, required: rule.config.fields, missing },
  };
}

function fieldName(fields: AssetFacts['fields'], name: string): string | null {
  if (Object.hasOwn(fields, name)) return name;
  const want = fold(name);
  return Object.keys(fields).find((k) => fold(k) === want) ?? null;
}

function isEmpty(v: AssetFacts['fields'][string] | undefined): boolean {
  return v === null || v === undefined || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);
}

// ------------------------------------------------------------------------------------- naming

/**
 * naming, target files: one violation per file (subject `file:<connection>/<file id>`) that linking
 * found misnamed, or, when the rule has its own pattern or parts, whose name does not parse under
 * them. fix = the corrected name: the rule's suggestion when its own pattern failed, else linking's
 * suggestion, else the rule's. Files on a connection where the rule is off are skipped.
 */
function namingFiles(facts: AssetFacts, rule: CompiledNamingRule): Violation[] {
  const out = new Map<string, Violation>();
  for (const f of facts.files) {
    const subject = `file:${f.connectionId}/${f.fileId}`;
    if (out.has(subject) || modeFor(rule, f.connectionId) === 'off') continue;
    const parsed = rule.naming.parseName(f.name);
    const ownFails = rule.ownNaming && !parsed.ok;
    if (f.linkState !== 'misnamed' && !ownFails) continue;
    const ruleSuggestion = parsed.ok ? null : (parsed.suggestion ?? null);
    const linkingFits = f.suggestion !== null && (!rule.ownNaming || rule.naming.parseName(f.suggestion).ok);
    const fix = ownFails ? (ruleSuggestion ?? (linkingFits ? f.suggestion : null)) : (f.suggestion ?? ruleSuggestion);
    const reason = ownFails && !parsed.ok ? parsed.reason : (f.reason ?? (parsed.ok ? 'its key is close to, but not, the asset key' : parsed.reason));
    out.set(subject, {
      ruleId: rule.id,
      kind: rule.kind,
      assetId: facts.assetId,
      subject,
      message: `File "${f.name}" is misnamed: ${reason}${fix ? ` — should be "${fix}"` : ''}`,
      fix,
      evidence: {
        file: { connectionId: f.connectionId, fileId: f.fileId, name: f.name, linkState: f.linkState },
        pattern: rule.naming.pattern,
        reason,
        suggestionFrom: fix === null ? null : ownFails ? (fix === ruleSuggestion ? 'rule' : 'linking') : fix === f.suggestion ? 'linking' : 'rule',
      },
    });
  }
  return [...out.values()];
}

/**
 * naming, target assets: the asset's key must parse under the rule's key template; an asset with no
 * key passes when its name parses under the pattern, or as a key (task names are often the bare
 * key). fix = the corrected key or name.
 */
function namingAsset(facts: AssetFacts, rule: CompiledNamingRule): Violation | null {
  const n = rule.naming;
  let what: string;
  let value: string;
  let parsed: ParsedName;
  if (facts.key !== null) {
    what = 'key';
    value = facts.key;
    parsed = n.parseKey(value);
  } else {
    what = 'name';
    value = facts.name;
    parsed = n.parseName(value);
    if (!parsed.ok) {
      const asKey = n.parseKey(value);
      if (asKey.ok) return null;
      if (!parsed.suggestion && asKey.suggestion) parsed = asKey;
    }
  }
  if (parsed.ok) return null;
  const fix = parsed.suggestion ?? null;
  return {
    ruleId: rule.id,
    kind: rule.kind,
    assetId: facts.assetId,
    subject: 'asset',
    message: `Asset ${what} "${value}" ${parsed.reason}${fix ? ` — should be "${fix}"` : ''}`,
    fix,
    evidence: { [what]: value, template: what === 'key' ? n.key : n.pattern, reason: parsed.reason, fixes: parsed.fixes ?? [] },
  };
}

// ------------------------------------------------------------------------------------ helpers

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fold(s: string): string {
  return s.trim().toLowerCase();
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function ms(iso: string): number {
  return Date.parse(iso);
}

/** Newest first; equal times keep their input order reversed (the later-listed counts as later). */
function byTimeDesc<T extends { at: string }>(xs: readonly T[]): T[] {
  return xs
    .map((x, i) => ({ x, i, t: ms(x.at) }))
    .sort((a, b) => b.t - a.t || b.i - a.i)
    .map((e) => e.x);
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** `client_review` → `client review`. */
function label(id: string): string {
  return id.replace(/_/g, ' ');
}

/** `client_review` → `Client review`. */
function stageLabel(id: string): string {
  return sentence(label(id));
}

function sentence(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function fieldLabel(f: string): string {
  return f === 'due_date' ? 'due date' : f;
}

const timeFormats = new Map<string, Intl.DateTimeFormat>();
/** `Wed 7 Oct 14:00` in the zone. */
function localTime(iso: string, tz: string): string {
  let f = timeFormats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    timeFormats.set(tz, f);
  }
  return f.format(new Date(iso)).replace(',', '');
}

/** The known name closest to `name` (edit distance ≤ 2, ignoring case), if any. */
function closest(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(fold(name), fold(k));
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
