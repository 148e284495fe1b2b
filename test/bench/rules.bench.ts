// Benchmarks of standards enforcement (issue "Standards enforced across tools", "Measure"): a plain tsx
// script, not a vitest test: timings never decide a test's outcome.
//
//   npm run bench:rules                          # both sections, report on stdout (≈ 4 min on 2 cores)
//   npm run bench:rules -- --write               # … and docs/BENCHMARKS-rules.md
//   npm run bench:rules -- --only eval           # sections: eval, latency
//   npm run bench:rules -- --assets 200000 --changes 20
//
// eval: pure code. 100,000 synthetic assets (versions, decisions by role on several versions incl.
// voided approvals, stage histories with review rounds, files some misnamed), one rule of each kind,
// compiled from a parsed stageline.yaml; evaluateAsset over all of them, best of 3 after a warm-up.
//
// latency: a real Temporal dev server (data under .stageline/bench-temporal/<pid>/), a throwaway
// PostgreSQL database (migrated with migrate()), the Asana simulator (unlimited) and an in-process
// worker; rules in enforce mode. Each change moves a task without client approval into "Delivered"
// and wakes the connection's sync at once, as a webhook would (startSync(…, { mode: 'incremental' }));
// the write-back is visible when the simulator has the task back in its previous section. Changes run
// one after the other. Every sync is one enforcement round: its write calls (the simulator's count of
// non-GET requests) are compared with its status changes (outbox rows that ended `done`).
//
// Progress goes to stderr, the Markdown report to stdout. It starts everything it needs and stops it
// again, also on failure or Ctrl-C. Checks that fail (a write-back that never showed, a redundant
// write, a write on a round with nothing changed) are listed under "Problems" and make the exit code 1.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { SyncTotals } from '../../activities';
import type { ActivityDeps } from '../../activities/context';
import { createPool, createThrowawayDatabase, defaultDatabaseUrl, ensurePostgres, redactUrl } from '../../activities/db/postgres';
import { migrate } from '../../activities/db/migrate';
import { createAsanaSimulator, DEFAULT_STAGE_MAP, generateAgency, SIM_DEFAULT_TOKEN, type GeneratedAgency } from '../../connectors/asana/simulator';
import { LimiterRegistry } from '../../connectors/limiter';
import { parseConfig } from '../../mapping/config';
import type { DecisionKind } from '../../mapping/model';
import { compileRules, evaluateAsset, RULE_KINDS, type AssetFacts, type CompiledRule, type EvalContext, type RuleKind } from '../../mapping/rules';
import { createWorker } from '../../worker';
import { connectClient, startSync, syncWorkflowId } from '../../worker/orchestration';
import { findOrBuildTemporal, startTemporalDevServer, type TemporalDevServer } from '../../worker/temporal-dev-server';
import { machineFacts, type Machine, intOption, onlySections } from './machine';

// ------------------------------------------------------------------------------------------ options

const SECTIONS = ['eval', 'latency'] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `Usage: tsx test/bench/rules.bench.ts [--only eval,latency] [--assets N] [--changes N] [--tasks N] [--projects P] [--seed S] [--write]
  --only a,b     sections to run: ${SECTIONS.join(', ')} (default all)
  --assets N     synthetic assets of the evaluation run (default 100000)
  --changes N    changes of the latency run (default 100)
  --tasks N      tasks of the simulated agency of the latency run (default 1000)
  --projects P   projects of that agency (default 4)
  --seed S       seed of both datasets (default 42)
  --write        also write docs/BENCHMARKS-rules.md (otherwise only stdout)`;

interface Options {
  only: Set<Section>;
  assets: number;
  changes: number;
  tasks: number;
  projects: number;
  seed: number;
  write: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      assets: { type: 'string' },
      changes: { type: 'string' },
      tasks: { type: 'string' },
      projects: { type: 'string' },
      seed: { type: 'string' },
      write: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = intOption(USAGE);
  const only = onlySections(values.only, SECTIONS);
  return {
    only,
    assets: int('assets', values.assets, 100_000, 100),
    changes: int('changes', values.changes, 100, 1),
    tasks: int('tasks', values.tasks, 1000, 100),
    projects: int('projects', values.projects, 4, 1),
    seed: int('seed', values.seed, 42, 0),
    write: values.write ?? false,
  };
}

// --------------------------------------------------------------------------- logging and cleanup

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const benchStart = performance.now();

function progress(message: string): void {
  process.stderr.write(`[bench:rules +${((performance.now() - benchStart) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}

const cleanups: { name: string; run: () => Promise<void> }[] = [];

/** Registers `fn` to run at the end (last registered, first run) and returns a runner that can be called earlier, once. */
function onCleanup(name: string, fn: () => Promise<void>): () => Promise<void> {
  let done = false;
  const run = async (): Promise<void> => {
    if (done) return;
    done = true;
    await fn();
  };
  cleanups.push({ name, run });
  return run;
}

async function cleanupAll(): Promise<void> {
  while (cleanups.length) {
    const c = cleanups.pop()!;
    try {
      await c.run();
    } catch (err) {
      progress(`cleanup of ${c.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

const problems: string[] = [];
/** Timing targets that were missed: reported, never a failure (timings depend on the machine and its load). */
const missedTargets: string[] = [];
function target(ok: boolean, message: string): void {
  if (!ok) {
    missedTargets.push(message);
    progress(`target missed: ${message}`);
  }
}
function check(ok: boolean, message: string): boolean {
  if (!ok) {
    problems.push(message);
    progress(`PROBLEM: ${message}`);
  }
  return ok;
}

// ------------------------------------------------------------------------------------ formatting

const nf = new Intl.NumberFormat('en-US');
const fmt = (n: number): string => nf.format(Math.round(n));
const fmt1 = (n: number): string => n.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const fmt2 = (n: number): string => n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const ms0 = (ms: number): string => (Number.isFinite(ms) ? `${fmt(ms)} ms` : '—');

function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

/** Nearest-rank percentile of `xs` (p in 0..100); NaN when empty. */
function pct(xs: readonly number[], p: number): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return Number.NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------- §1: evaluation

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EVAL_NOW = '2026-11-25T15:00:00.000Z';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CLIENTS = ['ACME', 'GLOBEX', 'INITECH', 'UMBRELLA', 'HOOLI', 'STARK', 'WAYNE', 'TYRELL', 'SOYLENT', 'WONKA'];
const CAMPAIGNS = ['SPRING26', 'SUMMER26', 'BTS26', 'HOLIDAY26', 'LAUNCH', 'BF26', 'REBRAND'];
const FORMATS: [string, string][] = [['BANNER', '300x250'], ['BANNER', '728x90'], ['STORY', '1080x1920'], ['SOCIAL', '1080x1080'], ['POSTER', 'A2'], ['PRINT', 'DPS'], ['OOH', '48-sheet']];
const EXTS = ['psd', 'ai', 'pdf', 'png', 'mp4', 'indd'];
const PIPELINE = ['brief', 'in_progress', 'internal_review', 'client_review', 'approved', 'delivered'] as const;
/** Where the assets are now (weights), roughly an agency's board mid-campaign. */
const STAGE_WEIGHTS: [string, number][] = [
  ['brief', 8], ['in_progress', 20], ['internal_review', 10], ['client_review', 14], ['approved', 10], ['delivered', 30], ['on_hold', 5], ['cancelled', 3],
];
/** Revision rounds (weights for 0, 1, 2, …): the cap of 3 is passed by a tail of ~7 %. */
const ROUND_WEIGHTS = [45, 25, 15, 8, 4, 2, 1];

const EVAL_YAML = `
version: 1
workspace:
  name: Bench agency
  timezone: Europe/London
  calendar: { holidays: ["2026-12-25", "2026-12-28", "2027-01-01"] }
  linking: { key_field: Asset key }
connections:
  - id: agency-asana
    vendor: asana
    token: \${ASANA_TOKEN}
    workspace: "1200000000000001"
    stage:
      map: { Briefing: brief, In Production: in_progress, Internal Review: internal_review, Client Review: client_review, Approved: approved, Delivered: delivered, On Hold: on_hold, Cancelled: cancelled }
  - id: agency-drive
    vendor: drive
    token: \${DRIVE_TOKEN}
    folders: ["1AbCdEfGhIjKlMnOpQrStUv"]
people:
  - { email: cd@agency.example, name: Creative Director, roles: [creative_director] }
  - { email: producer@agency.example, name: Producer, roles: [producer] }
  - { domain: client.example, roles: [client] }
enforcement:
  mode: enforce
  ops_status_field: Ops status
rules:
  - { id: file-naming, kind: naming, target: files, action: comment }
  - { id: client-approval-before-delivery, kind: approval_gate, before: delivered, require: { client: [approved, approved_with_changes] }, action: revert }
  - { id: client-review-sla, kind: review_sla, stage: client_review, business_days: 3, escalate_to: [creative_director] }
  - { id: scope-creep, kind: revision_cap, max_rounds: 3 }
  - { id: brief-complete, kind: required_fields, before: in_progress, fields: [owner, due_date, Brief link] }
`;

interface FactsStats {
  assets: number;
  versions: number;
  decisions: number;
  voidedApprovals: number;
  transitions: number;
  rounds: number;
  files: number;
  misnamedFiles: number;
  byStage: Record<string, number>;
}

/**
 * n assets' facts: a stage history walked through the pipeline (with review rounds back to in
 * progress), a version per round, decisions by the creative director and the client on the versions
 * of their time (some changes requested, some approvals voided later on the same version, a few by
 * reviewers without a role or on no version), 0–4 files named by the default pattern (≈ 12 % misnamed),
 * and the task's fields (a few without owner, due date or brief link).
 */
function buildFacts(n: number, seed: number): { facts: AssetFacts[]; stats: FactsStats } {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const weighted = <T>(xs: readonly [T, number][]): T => {
    let x = r() * xs.reduce((a, [, w]) => a + w, 0);
    for (const [v, w] of xs) if ((x -= w) < 0) return v;
    return xs[xs.length - 1]![0];
  };
  const now = Date.parse(EVAL_NOW);
  const stats: FactsStats = { assets: n, versions: 0, decisions: 0, voidedApprovals: 0, transitions: 0, rounds: 0, files: 0, misnamedFiles: 0, byStage: {} };
  const projects = Array.from({ length: 40 }, (_, i) => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, externalId: String(1_200_000_000_100_000 + i), name: `${CLIENTS[i % CLIENTS.length]} ${CAMPAIGNS[i % CAMPAIGNS.length]}` }));
  const facts: AssetFacts[] = [];
  for (let i = 0; i < n; i++) {
    const project = projects[i % projects.length]!;
    const [client, campaign] = project.name.split(' ') as [string, string];
    const [format, size] = pick(FORMATS);
    const key = `${client}_${campaign}_${format}${i}-${size}`;
    const stage = weighted(STAGE_WEIGHTS);
    const side = stage === 'on_hold' || stage === 'cancelled';
    const reach = side ? Math.floor(r() * 4) : PIPELINE.indexOf(stage as (typeof PIPELINE)[number]);
    const rounds = reach >= 2 ? weighted(ROUND_WEIGHTS.map((w, k) => [k, w] as [number, number])) : 0;

    // The history, forwards from t = 0; shifted at the end so that it ends 0–10 days before now.
    const transitions: AssetFacts['transitions'] = [];
    const versions: AssetFacts['versions'] = [];
    const decisions: AssetFacts['decisions'] = [];
    let t = 0;
    let cur: string | null = null;
    const go = (to: string) => {
      t += (2 + r() * 70) * HOUR;
      transitions.push({ fromStage: cur, toStage: to, at: String(t) });
      cur = to;
    };
    let latest = 0;
    const version = () => {
      t += (1 + r() * 20) * HOUR;
      versions.push({ number: ++latest, createdAt: String(t) });
      if (r() < 0.1) versions.push({ number: latest, createdAt: String(t + HOUR) }); // the same version from a second tool
    };
    const decide = (role: 'client' | 'creative_director', decision: DecisionKind) => {
      t += (1 + r() * 30) * HOUR;
      const unknown = r() < 0.03;
      const v = latest || null;
      decisions.push({
        decision,
        role: unknown ? null : role,
        reviewerId: `p-${role}-${i % 7}`,
        reviewerName: role === 'client' ? `Client reviewer ${i % 7}` : 'Creative Director',
        versionNumber: r() < 0.02 ? null : v,
        decidedAt: String(t),
      });
    };
    go('brief');
    if (reach >= 1) {
      go('in_progress');
      version();
    }
    for (let k = 0; k < rounds; k++) {
      const atClient = k > 0 && r() < 0.5;
      go(atClient ? 'client_review' : 'internal_review');
      decide(atClient ? 'client' : 'creative_director', r() < 0.8 ? 'changes_requested' : 'rejected');
      go('in_progress');
      version();
    }
    if (reach >= 2) {
      go('internal_review');
      if (r() < 0.9) decide('creative_director', 'approved');
    }
    if (reach >= 3) {
      go('client_review');
      const x = r();
      if (reach > 3 || x < 0.6) {
        if (x < 0.78) decide('client', 'approved');
        else if (x < 0.86) decide('client', 'approved_with_changes');
        else if (x < 0.92) {
          decide('client', 'approved');
          decide('client', 'changes_requested'); // voids the approval on the same version
          stats.voidedApprovals++;
        } // else: no client decision yet
      }
    }
    if (reach >= 4) go('approved');
    if (reach >= 5) go('delivered');
    if (side) go(stage);
    if (latest > 1 && r() < 0.1 && decisions.length) decisions.push({ ...decisions[0]!, decision: 'approved', versionNumber: 1, role: 'client' }); // an approval on an old version: does not count

    const shift = now - (r() * 10 * DAY) - t;
    const iso = (x: string) => new Date(Number(x) + shift).toISOString();
    for (const x of transitions) x.at = iso(x.at);
    for (const x of versions) x.createdAt = iso(x.createdAt);
    for (const x of decisions) x.decidedAt = iso(x.decidedAt);
    if (r() < 0.5) transitions.reverse(); // any order, as the database returns them

    const files: AssetFacts['files'] = [];
    const nFiles = reach >= 1 ? Math.min(4, Math.floor(r() * 5)) : 0;
    for (let f = 0; f < nFiles; f++) {
      const v = String(f + 1).padStart(2, '0');
      const ext = pick(EXTS);
      const good = `${key}_v${v}.${ext}`;
      const fileId = `1${String(i).padStart(7, '0')}${f}AbCdEfGhIjKlMnOpQrSt`;
      if (r() < 0.12) {
        const bad = pick([`${key.toLowerCase()}_v${v}.${ext}`, `${key}_v${f + 1}.${ext}`, `${key.replace(/_/g, ' ')}_v${v}.${ext}`, `${key}_FINAL_v${v}.${ext}`]);
        files.push({ connectionId: 'agency-drive', fileId, name: bad, linkState: 'misnamed', suggestion: bad.includes('FINAL') ? null : good, reason: 'its key is close to, but not, the asset key' });
        stats.misnamedFiles++;
      } else files.push({ connectionId: 'agency-drive', fileId, name: good, linkState: 'linked', suggestion: null, reason: null });
    }

    const briefLink = r() < 0.9 ? `https://docs.example/briefs/${i}` : r() < 0.5 ? '' : null;
    facts.push({
      assetId: `a-${i}`,
      connectionId: 'agency-asana',
      project,
      name: `${format} ${size} — ${client} ${campaign}`,
      key,
      assetType: format.toLowerCase(),
      stage,
      ownerId: r() < 0.97 ? `p-owner-${i % 30}` : null,
      dueOn: r() < 0.95 ? '2026-12-15' : null,
      fields: { 'Asset key': key, 'Brief link': briefLink, Channel: pick(['Social', 'Display', 'Print', 'OOH']), Priority: pick(['Low', 'Medium', 'High']) },
      versions,
      decisions,
      transitions,
      files,
    });
    stats.versions += versions.length;
    stats.decisions += decisions.length;
    stats.transitions += transitions.length;
    stats.rounds += rounds;
    stats.files += files.length;
    stats.byStage[stage] = (stats.byStage[stage] ?? 0) + 1;
  }
  return { facts, stats };
}

interface EvalResult {
  stats: FactsStats;
  buildMs: number;
  compileMs: number;
  rules: { id: string; kind: RuleKind; action: string }[];
  /** Best of 3 over every asset with every rule, and each pass. */
  bestMs: number;
  passesMs: number[];
  checksPerSec: number;
  violationsByKind: Record<string, number>;
  assetsWithViolations: number;
  /** Each rule alone: best of 3 after a warm-up. */
  perRule: { id: string; kind: RuleKind; bestMs: number; checksPerSec: number; violations: number }[];
}

function timePasses(facts: readonly AssetFacts[], rules: readonly CompiledRule[], ctx: EvalContext): { passes: number[]; violations: Record<string, number>; assetsWith: number } {
  const run = () => {
    const violations: Record<string, number> = {};
    let assetsWith = 0;
    const t = performance.now();
    for (const f of facts) {
      const vs = evaluateAsset(f, rules, ctx);
      if (vs.length) assetsWith++;
      for (const v of vs) violations[v.kind] = (violations[v.kind] ?? 0) + 1;
    }
    return { ms: performance.now() - t, violations, assetsWith };
  };
  const warm = run();
  const passes = [run().ms, run().ms, run().ms];
  return { passes, violations: warm.violations, assetsWith: warm.assetsWith };
}

function evaluation(o: Options): EvalResult {
  const t0 = performance.now();
  const { facts, stats } = buildFacts(o.assets, o.seed);
  const buildMs = performance.now() - t0;
  progress(`eval: built ${fmt(facts.length)} assets' facts in ${fmt(buildMs)} ms (${fmt(stats.decisions)} decisions, ${fmt(stats.transitions)} transitions, ${fmt(stats.files)} files)`);
  const t1 = performance.now();
  const cfg = parseConfig(EVAL_YAML, { ASANA_TOKEN: 'x', DRIVE_TOKEN: 'y' }, 'bench rules config');
  const rules = compileRules(cfg);
  const compileMs = performance.now() - t1;
  check(new Set(rules.map((x) => x.kind)).size === RULE_KINDS.length, `eval: the rule set has kinds ${rules.map((x) => x.kind).join(', ')}, not one of each of ${RULE_KINDS.join(', ')}`);
  const ctx: EvalContext = { now: EVAL_NOW, timezone: cfg.workspace.timezone, calendar: cfg.workspace.calendar, pipeline: cfg.workspace.pipeline };

  const all = timePasses(facts, rules, ctx);
  const bestMs = Math.min(...all.passes);
  const checksPerSec = (facts.length * rules.length * 1000) / bestMs;
  progress(`eval: ${fmt(facts.length)} assets × ${rules.length} rules: best ${fmt(bestMs)} ms → ${fmt(checksPerSec)} asset-rule checks/s`);
  target(checksPerSec >= 100_000, `evaluation: ${fmt(checksPerSec)} asset-rule checks/s (target ≥ 100,000)`);
  for (const kind of RULE_KINDS) check((all.violations[kind] ?? 0) > 0, `eval: no ${kind} violation among ${fmt(facts.length)} assets (the dataset should break every rule somewhere)`);

  const perRule = rules.map((rule) => {
    const r = timePasses(facts, [rule], ctx);
    const best = Math.min(...r.passes);
    progress(`eval: ${rule.id} alone: best ${fmt(best)} ms`);
    return { id: rule.id, kind: rule.kind, bestMs: best, checksPerSec: (facts.length * 1000) / best, violations: r.violations[rule.kind] ?? 0 };
  });
  for (const p of perRule) check(p.violations === (all.violations[p.kind] ?? 0), `eval: ${p.id} alone found ${p.violations} violations, with the others ${all.violations[p.kind] ?? 0}`);
  return {
    stats, buildMs, compileMs, rules: rules.map((x) => ({ id: x.id, kind: x.kind, action: x.action })),
    bestMs, passesMs: all.passes, checksPerSec, violationsByKind: all.violations, assetsWithViolations: all.assetsWith, perRule,
  };
}

// ----------------------------------------------------------------------------- §2, §3: latency

interface Db {
  url: string;
  name: string;
  pool: pg.Pool;
}

async function freshDatabase(baseUrl: string): Promise<Db> {
  const db = await createThrowawayDatabase(baseUrl, 'stageline_bench');
  onCleanup(`database ${db.name}`, () => db.drop());
  await migrate(db.url);
  const pool = createPool(db.url, { max: 8, applicationName: 'stageline-bench-rules', log: progress });
  onCleanup(`pool of ${db.name}`, () => pool.end());
  progress(`database ${db.name} created and migrated`);
  return { url: db.url, name: db.name, pool };
}

const OPS = 'Ops status';
/** The one-time creation of the Ops status field, its options and project settings: not status changes. */
const SETUP_ROUTES = new Set(['POST /custom_fields', 'POST /custom_fields/{gid}/enum_options', 'PUT /enum_options/{gid}', 'POST /projects/{gid}/addCustomFieldSetting']);

function latencyYaml(o: { connectionId: string; baseUrl: string; workspace: string; agency: GeneratedAgency }): string {
  const map = Object.entries(DEFAULT_STAGE_MAP).map(([k, v]) => `        "${k}": ${v}`).join('\n');
  const people = o.agency.dataset.users
    .filter((u) => u.role === 'creative_director' || u.role === 'client_reviewer')
    .map((u) => `  - { email: ${u.email}, roles: [${u.role === 'creative_director' ? 'creative_director' : 'client'}] }`)
    .join('\n');
  return `
version: 1
workspace: { name: Bench agency, timezone: UTC }
connections:
  - id: ${o.connectionId}
    vendor: asana
    token: \${ASANA_TOKEN}
    workspace: "${o.workspace}"
    base_url: ${o.baseUrl}
    rate_limit_per_minute: 100000
    stage:
      map:
${map}
people:
${people}
enforcement:
  mode: enforce
  ops_status_field: ${OPS}
rules:
  - { id: client-approval-before-delivery, kind: approval_gate, before: delivered, require: { client: [approved, approved_with_changes] }, action: revert }
  - { id: cd-signoff-before-approved, kind: approval_gate, before: approved, require: { creative_director: [approved] }, action: comment }
  - { id: scope-creep, kind: revision_cap, max_rounds: 3, action: flag }
  - { id: brief-complete, kind: required_fields, before: in_progress, fields: [owner, due_date], action: flag }
`;
}

type RoundKind = 'initial' | 'settle' | 'change' | 'quiet';

interface Round {
  kind: RoundKind;
  label: string;
  status: string;
  /** Non-GET calls the simulator received during the round, setup routes excluded. */
  writeCalls: number;
  setupCalls: number;
  getCalls: number;
  writeRoutes: Record<string, number>;
  readRoutes: Record<string, number>;
  /** Outbox rows that ended in each state during the round. */
  done: number;
  skipped: number;
  dropped: number;
  evaluated: number;
  queued: number;
  syncMs: number;
}

interface Change {
  taskGid: string;
  from: string;
  /** Change → task back in `from` in the simulator (NaN if it never was). */
  latencyMs: number;
  /** Change → sync workflow finished. */
  syncMs: number;
  endSection: string;
  /** From the workflow's history (server clock, same machine as the script's): change → workflow started. */
  wakeMs: number;
  /** Start-to-close of each activity type (summed over its runs). */
  activityMs: Record<string, number>;
  /** Runs of each activity type. */
  activityRuns: Record<string, number>;
  /** Up to the start of drainOutbox: activities run, their schedule-to-start times, workflow tasks (schedule to completed). */
  activitiesBefore: number;
  activityQueueMs: number;
  workflowTasksBefore: number;
  workflowTaskMs: number;
  /** drainOutbox start → visible. */
  drainToVisibleMs: number;
  /** Every single hop of the sync (for per-hop medians). */
  hops: { activityQueue: number[]; workflowTask: number[] };
  round: Round;
}

interface LatencyResult {
  tasks: number;
  projects: number;
  seed: number;
  rules: string[];
  fullSyncMs: number;
  rounds: Round[];
  changes: Change[];
  endState: Record<string, number>;
}

const num = (x: unknown): number => (x === null || x === undefined ? Number.NaN : Number(String(x)));
const tsMs = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number => (t ? num(t.seconds) * 1000 + (t.nanos ?? 0) / 1e6 : Number.NaN);

interface Timeline {
  startedAt: number;
  activities: { name: string; scheduledAt: number; startedAt: number; completedAt: number }[];
  workflowTasks: { scheduledAt: number; startedAt: number; completedAt: number }[];
}

/** The sync workflow's start and its activities' times (one run: an incremental sync of a few tasks never continues as new). */
async function timelineOf(client: Client, workflowId: string, runId: string): Promise<Timeline> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  let startedAt = Number.NaN;
  const byId = new Map<number, { name: string; scheduledAt: number; startedAt: number; completedAt: number }>();
  const wfts = new Map<number, { scheduledAt: number; startedAt: number; completedAt: number }>();
  for (const e of history.events ?? []) {
    if (e.workflowExecutionStartedEventAttributes) startedAt = tsMs(e.eventTime);
    if (e.workflowTaskScheduledEventAttributes) wfts.set(num(e.eventId), { scheduledAt: tsMs(e.eventTime), startedAt: Number.NaN, completedAt: Number.NaN });
    const ws = e.workflowTaskStartedEventAttributes;
    if (ws) {
      const w = wfts.get(num(ws.scheduledEventId));
      if (w) w.startedAt = tsMs(e.eventTime);
    }
    const wc = e.workflowTaskCompletedEventAttributes;
    if (wc) {
      const w = wfts.get(num(wc.scheduledEventId));
      if (w) w.completedAt = tsMs(e.eventTime);
    }
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (name) byId.set(num(e.eventId), { name, scheduledAt: tsMs(e.eventTime), startedAt: Number.NaN, completedAt: Number.NaN });
    const s = e.activityTaskStartedEventAttributes;
    if (s) {
      const a = byId.get(num(s.scheduledEventId));
      if (a) a.startedAt = tsMs(e.eventTime);
    }
    const c = e.activityTaskCompletedEventAttributes;
    if (c) {
      const a = byId.get(num(c.scheduledEventId));
      if (a) a.completedAt = tsMs(e.eventTime);
    }
  }
  return { startedAt, activities: [...byId.values()], workflowTasks: [...wfts.values()] };
}

async function latency(o: Options, baseUrl: string, temporal: TemporalDevServer, client: Client): Promise<LatencyResult> {
  const t0 = performance.now();
  const agency = generateAgency({ seed: o.seed, tasks: o.tasks, projects: o.projects });
  const sim = createAsanaSimulator({ dataset: agency, rateLimitPerMinute: null });
  const started = await sim.start(0);
  onCleanup('asana simulator', () => sim.stop());
  const control = sim.control;
  const db = await freshDatabase(baseUrl);
  const connectionId = `bench-rules-${randomBytes(3).toString('hex')}`;
  const yaml = latencyYaml({ connectionId, baseUrl: started.baseUrl, workspace: agency.dataset.workspace.gid, agency });
  const config = parseConfig(yaml, { ASANA_TOKEN: SIM_DEFAULT_TOKEN }, 'bench rules config');
  const quietLog = { info: () => undefined, warn: (m: string) => progress(`worker warn: ${m}`), error: (m: string) => progress(`worker error: ${m}`) };
  const deps: ActivityDeps = { db: db.pool, config: () => config, limiters: new LimiterRegistry(), clock: () => new Date(), log: quietLog };
  const taskQueue = `bench-${connectionId}`;
  const { worker, connection } = await createWorker({ address: temporal.address, taskQueue, deps });
  const running: { worker: Worker; connection: NativeConnection; done: Promise<void> } = {
    worker, connection,
    done: worker.run().catch((err: unknown) => progress(`worker stopped with an error: ${err instanceof Error ? err.message : String(err)}`)),
  };
  onCleanup('worker', async () => {
    if (running.worker.getState() === 'RUNNING') running.worker.shutdown();
    await running.done;
    await running.connection.close();
  });
  progress(`latency: ${fmt(o.tasks)} tasks in ${o.projects} projects on ${started.baseUrl}, worker on ${taskQueue} (ready in ${fmt(performance.now() - t0)} ms)`);

  const outboxStates = async (): Promise<Record<string, number>> => {
    const { rows } = await db.pool.query<{ state: string; n: string }>(`SELECT state, count(*) AS n FROM ops.outbox GROUP BY state`);
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  };
  const rounds: Round[] = [];

  /** Starts a sync, lets `during` run meanwhile, and accounts the round once the sync has finished. */
  const round = async <T>(kind: RoundKind, label: string, mode: 'full' | 'incremental', change: () => void, during: (handle: Awaited<ReturnType<typeof startSync>>, finished: () => boolean) => Promise<T>): Promise<{ round: Round; extra: T; runId: string }> => {
    control.resetCalls();
    const before = await outboxStates();
    const t = performance.now();
    change();
    const handle = await startSync(client, { connectionId, mode }, taskQueue);
    let finished = false;
    const result: Promise<SyncTotals | Error> = handle.result().then(
      (x) => x,
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    ).finally(() => {
      finished = true;
    });
    const extra = await during(handle, () => finished);
    const totals = await result;
    const syncMs = performance.now() - t;
    const after = await outboxStates();
    const calls = control.calls();
    const writeRoutes = Object.fromEntries(Object.entries(calls.byRoute).filter(([route]) => !route.startsWith('GET ') && !SETUP_ROUTES.has(route)));
    const sum = (xs: Record<string, number>) => Object.values(xs).reduce((a, b) => a + b, 0);
    const status = totals instanceof Error ? `failed: ${totals.message}` : totals.status;
    const counts = totals instanceof Error ? {} : totals.counts;
    const r: Round = {
      kind, label, status,
      writeCalls: sum(writeRoutes),
      setupCalls: sum(Object.fromEntries(Object.entries(calls.byRoute).filter(([route]) => SETUP_ROUTES.has(route)))),
      getCalls: sum(Object.fromEntries(Object.entries(calls.byRoute).filter(([route]) => route.startsWith('GET ')))),
      writeRoutes,
      readRoutes: Object.fromEntries(Object.entries(calls.byRoute).filter(([route]) => route.startsWith('GET '))),
      done: (after.done ?? 0) - (before.done ?? 0),
      skipped: (after.skipped ?? 0) - (before.skipped ?? 0),
      dropped: (after.dropped ?? 0) - (before.dropped ?? 0),
      evaluated: counts['rules.evaluated'] ?? 0,
      queued: counts['rules.queued'] ?? 0,
      syncMs,
    };
    rounds.push(r);
    check(status === 'succeeded', `${label}: sync ${status}`);
    check(r.writeCalls === r.done, `${label}: ${r.writeCalls} write calls for ${r.done} status changes (${JSON.stringify(writeRoutes)})`);
    if (kind === 'quiet') check(r.writeCalls === 0 && r.setupCalls === 0, `${label}: nothing changed, yet ${r.writeCalls + r.setupCalls} write calls (${JSON.stringify(writeRoutes)})`);
    return { round: r, extra, runId: handle.firstExecutionRunId };
  };
  const plainRound = (kind: RoundKind, label: string, mode: 'full' | 'incremental') => round(kind, label, mode, () => undefined, async () => undefined);

  // Round 0: the first full sync with the rules enforced: every asset evaluated, the Ops status field created, every status written.
  const tFull = performance.now();
  const initial = await plainRound('initial', 'initial full sync', 'full');
  const fullSyncMs = performance.now() - tFull;
  progress(`initial round: ${fmt(initial.round.evaluated)} assets evaluated, ${initial.round.done} status changes, ${initial.round.writeCalls} write calls (+ ${initial.round.setupCalls} setup), ${fmt(fullSyncMs)} ms`);
  // The next syncs pull Stageline's own writes back (and resolve what the reverts fixed) until a round writes nothing.
  for (let i = 1; i <= 4; i++) {
    const s = await plainRound('settle', `settle ${i} (after the initial round)`, 'incremental');
    progress(`settle ${i}: ${s.round.done} status changes, ${s.round.writeCalls} write calls, ${fmt(s.round.syncMs)} ms`);
    if (s.round.writeCalls === 0 && s.round.done === 0) break;
    check(i < 4, 'the initial enforcement did not settle in 4 incremental syncs');
  }

  // The tasks to change: live top-level tasks before Delivered, without a client approval, round robin over the projects.
  const clientEmails = new Set(agency.dataset.users.filter((u) => u.role === 'client_reviewer').map((u) => u.email));
  const candidates = agency.dataset.projects.filter((p) => !p.archived).map((p) =>
    p.tasks.filter((t) => {
      const truth = control.truthOf(t.gid);
      return t.subtype !== 'milestone' && truth && !truth.deleted && ['In Production', 'Internal Review', 'Client Review', 'Approved'].includes(truth.section)
        && !truth.decisions.some((d) => clientEmails.has(d.reviewerEmail) && d.status === 'approved');
    }),
  );
  const chosen: string[] = [];
  for (let i = 0; chosen.length < o.changes && candidates.some((c) => c.length); i++) {
    const c = candidates[i % candidates.length]!;
    const t = c.shift();
    if (t) chosen.push(t.gid);
  }
  if (!check(chosen.length === o.changes, `only ${chosen.length} tasks qualify for ${o.changes} changes (raise --tasks)`)) progress(`running ${chosen.length} changes`);

  const changes: Change[] = [];
  const TIMEOUT = 60_000;
  for (const [k, gid] of chosen.entries()) {
    const from = control.truthOf(gid)!.section;
    let changedAtWall = 0;
    let visibleAtWall = Number.NaN;
    let changedAt = 0;
    const r = await round('change', `change ${k + 1}`, 'incremental', () => {
      changedAtWall = Date.now();
      changedAt = performance.now();
      control.moveTaskToSection(gid, 'Delivered');
    }, async (_handle, finished) => {
      // Poll the simulator every 20 ms until the task is back where it was (or the sync ended without it).
      for (;;) {
        const s = control.truthOf(gid)?.section;
        if (s === from) {
          visibleAtWall = Date.now();
          return performance.now() - changedAt;
        }
        if (finished() || performance.now() - changedAt > TIMEOUT) return Number.NaN;
        await sleep(20);
      }
    });
    const end = control.truthOf(gid)?.section ?? '(gone)';
    check(Number.isFinite(r.extra), `change ${k + 1}: task ${gid} moved from ${from} into Delivered was not moved back (now in ${end})`);
    const tl = await timelineOf(client, syncWorkflowId(connectionId), r.runId);
    const activityMs: Record<string, number> = {};
    const activityRuns: Record<string, number> = {};
    for (const a of tl.activities) {
      activityMs[a.name] = (activityMs[a.name] ?? 0) + (a.completedAt - a.startedAt);
      activityRuns[a.name] = (activityRuns[a.name] ?? 0) + 1;
    }
    const drainStart = tl.activities.find((a) => a.name === 'drainOutbox')?.startedAt ?? Number.NaN;
    const before = tl.activities.filter((a) => a.startedAt <= drainStart);
    const wftBefore = tl.workflowTasks.filter((w) => w.completedAt <= drainStart);
    changes.push({
      taskGid: gid, from, latencyMs: r.extra, syncMs: r.round.syncMs, endSection: end,
      wakeMs: tl.startedAt - changedAtWall, activityMs, activityRuns,
      activitiesBefore: before.length - 1, // the drain itself is counted in the queue time, not as an activity before it
      activityQueueMs: before.reduce((a, x) => a + (x.startedAt - x.scheduledAt), 0),
      workflowTasksBefore: wftBefore.length,
      workflowTaskMs: wftBefore.reduce((a, w) => a + (w.completedAt - w.scheduledAt), 0),
      drainToVisibleMs: visibleAtWall - drainStart,
      hops: { activityQueue: tl.activities.map((a) => a.startedAt - a.scheduledAt), workflowTask: tl.workflowTasks.map((w) => w.completedAt - w.scheduledAt) },
      round: r.round,
    });
    if ((k + 1) % 10 === 0 || k === 0) {
      const ls = changes.map((c) => c.latencyMs);
      progress(`change ${k + 1}/${chosen.length}: ${fmt(r.extra)} ms (p50 so far ${fmt(pct(ls, 50))} ms), round: ${r.round.done} status changes, ${r.round.writeCalls} write calls`);
    }
  }

  // After the last change: its resolution is written by the next round; then rounds with nothing changed.
  for (let i = 1; i <= 3; i++) {
    const s = await plainRound('settle', `settle ${i} (after the last change)`, 'incremental');
    if (s.round.writeCalls === 0 && s.round.done === 0) break;
  }
  for (let i = 1; i <= 3; i++) {
    const q = await plainRound('quiet', `quiet ${i}`, 'incremental');
    progress(`quiet ${i}: ${q.round.writeCalls} write calls, ${q.round.getCalls} reads, ${fmt(q.round.syncMs)} ms`);
  }
  const endState = await outboxStates();
  check(!(endState.pending ?? 0) && !(endState.dropped ?? 0), `outbox at the end: ${JSON.stringify(endState)} (nothing should be pending or dropped)`);
  return { tasks: o.tasks, projects: o.projects, seed: o.seed, rules: config.rules.map((x) => `${x.id} (${x.kind}, ${x.action})`), fullSyncMs, rounds, changes, endState };
}

// ------------------------------------------------------------------------------------ machine facts

// ------------------------------------------------------------------------------------ the report

interface Results {
  options: Options;
  machine: Machine;
  eval: EvalResult | null;
  latency: LatencyResult | null;
  totalMs: number;
}

const ACTIVITY_ORDER = ['beginSync', 'pullChanges', 'syncStep', 'linkAssets', 'enforce', 'drainOutbox', 'finishSync'];

function report(r: Results): string {
  const out: string[] = [];
  const summary: (string | number)[][] = [];
  out.push('# Benchmarks: standards enforcement');
  out.push('');
  out.push(
    'Generated by `npm run bench:rules -- --write` (`test/bench/rules.bench.ts`); rerun it rather than editing this file. ' +
      'The evaluation section is pure code; the latency section starts its own PostgreSQL database, Temporal dev server, Asana simulator ' +
      'and worker. Timings come from one run on the machine below and are not asserted by any test; counts are checked by the script ' +
      'itself (see "Problems").',
  );
  out.push('');
  out.push('## Machine');
  out.push('');
  out.push(table(['Fact', 'Value'], [
    ['Date', r.machine.date],
    ['CPU', `${r.machine.cores} × ${r.machine.cpu}`],
    ['Memory', r.machine.memory],
    ['OS', r.machine.os],
    ['Node', r.machine.node],
    ['PostgreSQL', r.machine.postgres],
    ['Temporal CLI', r.machine.temporal.replace(/\n/g, ' ')],
    ['Commit', r.machine.commit],
    ['Load average at start (1, 5, 15 min)', r.machine.load],
    ['Whole run', `${fmt1(r.totalMs / 1000)} s`],
  ]));
  out.push('');
  out.push(
    'Everything shares the same cores: PostgreSQL, the Temporal dev server (SQLite), and one Node process that runs the simulator, the ' +
      'worker (activities and workflow code) and this script. Other work on the machine (see the load average) slows the timed rows; the ' +
      'counted rows do not depend on it.',
  );
  out.push('');
  const summaryAt = out.length;

  if (r.eval) {
    const e = r.eval;
    const s = e.stats;
    summary.push(['1', `Evaluation throughput (${fmt(s.assets)} assets × ${e.rules.length} rules)`, `${fmt(e.checksPerSec)} asset-rule checks/s (${fmt(e.bestMs)} ms per pass)`, 'target ≥ 100,000/s', e.checksPerSec >= 100_000 ? `meets it (${fmt1(e.checksPerSec / 100_000)}×)` : `misses it (${fmt2(e.checksPerSec / 100_000)}×)`]);
    out.push('## 1. Evaluation throughput');
    out.push('');
    out.push(
      `**What:** \`evaluateAsset\` (mapping/rules.ts) over ${fmt(s.assets)} assets with one rule of each kind. **How:** the rules are ` +
        '`compileRules(parseConfig(yaml))` of the stageline.yaml below; the facts are synthetic but shaped like a synced workspace (built by ' +
        '`buildFacts` in the script, seed ' + `${r.options.seed}); one warm-up pass, then three timed passes over all assets; the best counts. ` +
        'A check is one asset against one rule: checks/s = assets × rules ÷ seconds. No I/O: the facts are in memory, as `planEnforcement` ' +
        'has them after `loadFacts`. **Compared with:** the issue\'s target of ≥ 100,000 asset-rule checks/s.',
    );
    out.push('');
    out.push('```yaml');
    out.push(EVAL_YAML.slice(EVAL_YAML.indexOf('rules:')).trimEnd());
    out.push('```');
    out.push('');
    out.push(table(['Dataset figure', 'Count', 'Per asset'], [
      ['Assets', fmt(s.assets), ''],
      ['…by stage now', Object.entries(s.byStage).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${fmt(v)}`).join(', '), ''],
      ['Versions (10 % of the numbers twice: one version from two tools)', fmt(s.versions), fmt2(s.versions / s.assets)],
      ['Decisions (creative director and client; 3 % without a role, 2 % on no version, 10 % of those with several versions an extra client approval on v1)', fmt(s.decisions), fmt2(s.decisions / s.assets)],
      ['…approvals voided by a later "changes requested" on the same version', fmt(s.voidedApprovals), ''],
      ['Stage transitions (half of the histories in reverse order)', fmt(s.transitions), fmt2(s.transitions / s.assets)],
      ['Revision rounds (review → in progress)', fmt(s.rounds), fmt2(s.rounds / s.assets)],
      ['Files', fmt(s.files), fmt2(s.files / s.assets)],
      ['…misnamed (lower case, unpadded version, spaces, `_FINAL`)', fmt(s.misnamedFiles), ''],
      ['Building the facts / parsing and compiling the rules', `${fmt(e.buildMs)} ms / ${fmt1(e.compileMs)} ms`, ''],
    ]));
    out.push('');
    out.push(table(['Run', 'Best pass', 'Passes', 'Asset-rule checks/s', 'Violations found'], [
      [`all ${e.rules.length} rules`, ms0(e.bestMs), e.passesMs.map((x) => fmt(x)).join(' / ') + ' ms', fmt(e.checksPerSec), `${fmt(Object.values(e.violationsByKind).reduce((a, b) => a + b, 0))} on ${fmt(e.assetsWithViolations)} assets`],
      ...e.perRule.map((p) => [`\`${p.id}\` (${p.kind}) alone`, ms0(p.bestMs), '', fmt(p.checksPerSec), fmt(p.violations)]),
    ]));
    out.push('');
    const slowest = [...e.perRule].sort((a, b) => b.bestMs - a.bestMs)[0];
    out.push(
      'Violations by kind (sanity: every rule breaks somewhere, and each rule alone finds what it finds among the others): ' +
        RULE_KINDS.map((k) => `${k} ${fmt(e.violationsByKind[k] ?? 0)}`).join(', ') + '. ' +
        (slowest ? `The most expensive kind is ${slowest.kind} (${fmt(slowest.bestMs)} ms of the ${fmt(e.bestMs)} ms pass when alone).` : ''),
    );
    out.push('');
  }

  if (r.latency) {
    const l = r.latency;
    const ok = l.changes.filter((c) => Number.isFinite(c.latencyMs));
    const lat = ok.map((c) => c.latencyMs);
    const p50 = pct(lat, 50);
    const p95 = pct(lat, 95);
    summary.push(['2', `Change → write-back visible (${l.changes.length} changes, sync woken at once)`, `p50 ${ms0(p50)}, p95 ${ms0(p95)}`, `max ${ms0(Math.max(...lat))}; ${ok.length} of ${l.changes.length} visible`, 'no target stated']);
    const byKind = (k: RoundKind) => l.rounds.filter((x) => x.kind === k);
    const ratio = (w: number, d: number) => (d === 0 ? (w === 0 ? '0 / 0' : '∞') : fmt2(w / d));
    const steady = l.rounds.filter((x) => x.kind !== 'initial');
    const sw = steady.reduce((a, x) => a + x.writeCalls, 0);
    const sd = steady.reduce((a, x) => a + x.done, 0);
    const all = l.rounds.reduce((a, x) => a + x.writeCalls, 0);
    const alld = l.rounds.reduce((a, x) => a + x.done, 0);
    const quiet = byKind('quiet');
    const quietWrites = quiet.reduce((a, x) => a + x.writeCalls + x.setupCalls, 0);
    summary.push(['3', 'Write calls ÷ status changes, all rounds', `${fmt(all)} ÷ ${fmt(alld)} = ${ratio(all, alld)}`, 'target 1.0 (no redundant writes)', all === alld ? 'meets it' : 'misses it']);
    summary.push(['3', `Write calls on ${quiet.length} rounds with nothing changed`, fmt(quietWrites), 'must be 0', quietWrites === 0 ? 'meets it' : 'misses it']);

    out.push('## 2. Change → write-back latency');
    out.push('');
    out.push(
      `**What:** the time from a change in the Asana simulator to Stageline's write-back being visible there. **How:** the simulator ` +
        `(unlimited) serves \`generateAgency({ seed: ${l.seed}, tasks: ${l.tasks}, projects: ${l.projects} })\`; a real Temporal dev server, a ` +
        'throwaway PostgreSQL database and an in-process worker run the product\'s `connectionSync` workflow. The rules, all in enforce mode:',
    );
    out.push('');
    for (const x of l.rules) out.push(`- ${x}`);
    out.push('');
    out.push(
      '(review_sla and naming are left out here: a review deadline starts timer workflows that write reminders on their own schedule, ' +
        'which would blur the per-round counts of §3, and naming needs a Drive connection; both are in §1.) ' +
        `After an initial full sync (round 0) and incremental syncs until a round writes nothing, each of ${l.changes.length} changes moves a ` +
        'task that has no client approval from its section (In Production, Internal Review, Client Review or Approved; a different task ' +
        'each time, round robin over the projects) into "Delivered" with `control.moveTaskToSection`, and wakes the sync right after, as a ' +
        'webhook would: `startSync(client, { connectionId, mode: \'incremental\' }, taskQueue)` (worker/orchestration.ts, what ' +
        '`POST /connections/:id/sync` calls). The `client-approval-before-delivery` gate (action revert) must move the task back; the ' +
        'write-back is visible when `control.truthOf(gid).section` is the previous section again, polled every 20 ms in the simulator. ' +
        'The changes run one after the other: the next change waits until the sync has finished.',
    );
    out.push('');
    const col = (f: (c: Change) => number) => {
      const xs = ok.map(f);
      return [ms0(pct(xs, 50)), ms0(pct(xs, 95)), ms0(xs.length ? Math.max(...xs.filter(Number.isFinite)) : Number.NaN)];
    };
    const work = (c: Change) => ACTIVITY_ORDER.slice(0, 5).reduce((a, n) => a + (c.activityMs[n] ?? 0), 0);
    const dispatch = (c: Change) => c.activityQueueMs + c.workflowTaskMs;
    const rows: (string | number)[][] = [['**change → task back in its section**', ...col((c) => c.latencyMs)]];
    rows.push(['change → sync finished', ...col((c) => c.syncMs)]);
    rows.push(['… change → workflow started (the wake: one `startSync` RPC)', ...col((c) => c.wakeMs)]);
    rows.push(['… the activities\' own work before the drain (start to close, summed)', ...col(work)]);
    for (const a of ACTIVITY_ORDER.slice(0, 5)) {
      if (!ok.some((c) => a in c.activityMs)) continue;
      const runs = pct(ok.map((c) => c.activityRuns[a] ?? 0), 50);
      rows.push([`  · \`${a}\` (${runs === 1 ? 'one run' : `${fmt(runs)} runs, summed`})`, ...col((c) => c.activityMs[a] ?? 0)]);
    }
    rows.push(['… Temporal dispatch before the drain: workflow tasks (scheduled → completed) + activity tasks (scheduled → started)', ...col(dispatch)]);
    rows.push(['  · workflow tasks', ...col((c) => c.workflowTaskMs)]);
    rows.push(['  · activity tasks waiting to start', ...col((c) => c.activityQueueMs)]);
    rows.push(['… `drainOutbox` start → task back (the move\'s place in the drain)', ...col((c) => c.drainToVisibleMs)]);
    rows.push(['… unaccounted (gaps between events)', ...col((c) => c.latencyMs - c.wakeMs - work(c) - dispatch(c) - c.drainToVisibleMs)]);
    rows.push(['`drainOutbox` (start to close)', ...col((c) => c.activityMs.drainOutbox ?? 0)]);
    rows.push(['`finishSync` (start to close, after the write-back)', ...col((c) => c.activityMs.finishSync ?? 0)]);
    out.push(table(['Per change', 'p50', 'p95', 'max'], rows));
    out.push('');
    const hopsA = ok.flatMap((c) => c.hops.activityQueue);
    const hopsW = ok.flatMap((c) => c.hops.workflowTask);
    const nAct = pct(ok.map((c) => c.activitiesBefore), 50);
    const nWft = pct(ok.map((c) => c.workflowTasksBefore), 50);
    const shareDispatch = pct(ok.map((c) => dispatch(c) / c.latencyMs), 50);
    const shareWork = pct(ok.map((c) => work(c) / c.latencyMs), 50);
    out.push(
      'The breakdown comes from each sync\'s workflow history (event times of the Temporal server, on the same machine as the script\'s ' +
        'clock); percentiles are per row, so the rows do not add up exactly.',
    );
    out.push('');
    out.push(
      `**Where the time goes:** before the drain that moves the task back, the workflow runs ${fmt(nAct)} activities one after the other ` +
        `(median): \`beginSync\`, then for each of the ${l.projects} projects \`pullChanges\` and one or two \`syncStep\`s (a project whose ` +
        'queue had tasks needs a second step to find it empty), then `linkAssets` and `enforce`; with the drain, ' +
        `${fmt(nWft)} workflow tasks. Each hop through the Temporal server costs about the same whatever the activity does: ` +
        `median ${fmt(pct(hopsW, 50))} ms per workflow task (scheduled → completed) and ${fmt(pct(hopsA, 50))} ms per activity task ` +
        `(scheduled → started) on this dev server. So Temporal dispatch is ${fmt(shareDispatch * 100)} % of the median latency and ` +
        `the activities' own work ${fmt(shareWork * 100)} % (the largest: \`enforce\` ${fmt(pct(ok.map((c) => c.activityMs.enforce ?? 0), 50))} ms, ` +
        `\`syncStep\` ${fmt(pct(ok.map((c) => c.activityMs.syncStep ?? 0), 50))} ms over all projects, ` +
        `\`pullChanges\` ${fmt(pct(ok.map((c) => c.activityMs.pullChanges ?? 0), 50))} ms, ` +
        `\`linkAssets\` ${fmt(pct(ok.map((c) => c.activityMs.linkAssets ?? 0), 50))} ms). ` +
        'The latency is dominated by the number of sequential activities, which grows with the number of projects: every incremental ' +
        'sync polls every project of the connection, not only the one that changed. The 500 ms progress poll of `waitForSync` plays no ' +
        'part here (the script polls the simulator itself and awaits the workflow result, a long poll).',
    );
    out.push('');

    out.push('## 3. Write calls per enforcement round');
    out.push('');
    out.push(
      '**What:** whether enforcement writes only what changes. **How:** every sync is one enforcement round (`enforce`, then ' +
        '`drainOutbox`). Per round, the simulator counts the requests it received: write calls are the non-GET ones, minus the one-time ' +
        `setup of the Ops status field (${[...SETUP_ROUTES].map((x) => `\`${x}\``).join(', ')}), counted apart. The status changes are the ` +
        'outbox rows that ended `done` during the round: the writes whose target did not already hold the value (a write found already in ' +
        'place ends `skipped` and makes no call). **Compared with:** a ratio of 1.0 (one call per status change, no redundant writes) and ' +
        '0 write calls on a round with nothing changed.',
    );
    out.push('');
    const kinds: [RoundKind, string][] = [['initial', 'initial full sync (every asset evaluated)'], ['settle', 'settling (pulling own writes back, resolutions)'], ['change', 'one change each'], ['quiet', 'nothing changed']];
    out.push(table(['Rounds', 'Count', 'Write calls', 'Status changes (done)', 'Ratio', 'Ratio per round (min–max)', 'Skipped / dropped', 'Setup calls', 'Reads (GET)', 'Assets evaluated per round (median)'], kinds.filter(([k]) => byKind(k).length).map(([k, name]) => {
      const rs = byKind(k);
      const w = rs.reduce((a, x) => a + x.writeCalls, 0);
      const d = rs.reduce((a, x) => a + x.done, 0);
      const per = rs.filter((x) => x.done > 0).map((x) => x.writeCalls / x.done);
      return [
        name, rs.length, fmt(w), fmt(d), ratio(w, d), per.length ? `${fmt2(Math.min(...per))}–${fmt2(Math.max(...per))}` : '—',
        `${fmt(rs.reduce((a, x) => a + x.skipped, 0))} / ${fmt(rs.reduce((a, x) => a + x.dropped, 0))}`, fmt(rs.reduce((a, x) => a + x.setupCalls, 0)), fmt(rs.reduce((a, x) => a + x.getCalls, 0)),
        fmt(pct(rs.map((x) => x.evaluated), 50)),
      ];
    })));
    out.push('');
    out.push(
      `Overall: ${fmt(all)} write calls for ${fmt(alld)} status changes (ratio ${ratio(all, alld)}); after the initial round, ${fmt(sw)} for ${fmt(sd)} (ratio ${ratio(sw, sd)}). ` +
        'An incremental round evaluates the assets changed since the previous round began, less a 60 s overlap (`OVERLAP_MS` in ' +
        'activities/enforce.ts), hence the few dozen assets per round here, where a change comes every couple of seconds.',
    );
    out.push('');
    // The rounds of the change series, grouped by what they wrote.
    const groups = new Map<string, number>();
    for (const x of l.rounds) {
      const routes = Object.entries(x.writeRoutes).sort().map(([k, v]) => `${k} × ${v}`).join(', ') || 'none';
      const key = `${x.kind}|${x.writeCalls}|${x.done}|${routes}`;
      groups.set(key, (groups.get(key) ?? 0) + 1);
    }
    out.push('Every round, grouped by what it wrote:');
    out.push('');
    out.push(table(['Round kind', 'Rounds', 'Write calls', 'Status changes', 'Write calls by route'], [...groups.entries()].map(([k, n]) => {
      const [kind, w, d, routes] = k.split('|') as [string, string, string, string];
      return [kind, n, w, d, routes];
    })));
    out.push('');
    const ch = byKind('change');
    if (ch.length) {
      const reads = new Map<string, number>();
      for (const x of ch) for (const [k, v] of Object.entries(x.readRoutes)) reads.set(k, (reads.get(k) ?? 0) + v);
      out.push(`Reads of the ${ch.length} change rounds, by route (the sync's pull, and what the drain reads before writing):`);
      out.push('');
      out.push(table(['Route', 'Calls', 'Per round'], [...reads.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => [`\`${k}\``, fmt(v), fmt2(v / ch.length)])));
      out.push('');
      const field = (reads.get('GET /workspaces/{gid}/custom_fields') ?? 0) + (reads.get('GET /projects/{gid}/custom_field_settings') ?? 0);
      const sections = reads.get('GET /projects/{gid}/sections') ?? 0;
      const total = [...reads.values()].reduce((a, b) => a + b, 0);
      out.push(
        `Of these, ${fmt2(field / ch.length)} reads per round look the Ops status field up again (\`GET /workspaces/{gid}/custom_fields\` ` +
          `once and \`GET /projects/{gid}/custom_field_settings\` once per project: \`ensureEnumField\`, called by the Asana sender of ` +
          '`drainOutbox`, whose cache lives for one `drainOutbox` call only), and ' +
          `${fmt2(sections / ch.length)} lists the project's sections before the move (the same per-drain cache): ` +
          `${fmt((100 * (field + sections)) / Math.max(1, total))} % of the change rounds' reads. They are reads, not redundant writes, ` +
          'and cost little against the simulator; against Asana each is a round trip in the drain and part of the rate budget.',
      );
      out.push('');
      out.push(
        `A change round writes the changed task's move back, its comments (one per gate it broke: the client gate and, past Approved ` +
          `without the creative director's sign-off, that gate too) and its Ops status, plus the previous change's resolution (its Ops ` +
          `status back to what it was), which that round's sync is the first to see. Median sync of a change round: ${ms0(pct(ch.map((x) => x.syncMs), 50))}; ` +
          `initial full sync: ${ms0(l.fullSyncMs)}. Outbox at the end: ${Object.entries(l.endState).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}.`,
      );
      out.push('');
    }
  }

  out.push('## Problems');
  out.push('');
  out.push(problems.length ? problems.map((p) => `- ${p}`).join('\n') : 'None: every count the script checks agreed, and every write-back showed.');
  out.push('');
  out.push('Timing targets not met (reported only; timings never fail the run):');
  out.push('');
  out.push(missedTargets.length ? missedTargets.map((p) => `- ${p}`).join('\n') : '- none');
  out.push('');

  out.splice(summaryAt, 0, '## Summary', '', table(['§', 'Measure', 'Result', 'Compared with', 'Verdict'], summary), '');
  return out.join('\n') + '\n';
}

// ------------------------------------------------------------------------------------ main

/** Data folders of earlier runs whose process is gone (killed before it could clean up). */
function pruneStaleRuns(root: string): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      process.kill(Number(name), 0);
    } catch (err) {
      if ((err as { code?: string }).code === 'ESRCH') rmSync(join(root, name), { recursive: true, force: true });
    }
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  progress(`sections: ${[...o.only].join(', ')}; ${fmt(o.assets)} assets, ${o.changes} changes on ${fmt(o.tasks)} tasks in ${o.projects} projects (seed ${o.seed})`);
  const needInfra = o.only.has('latency');
  const baseUrl = defaultDatabaseUrl();
  const load = os.loadavg().map((x) => x.toFixed(2)).join(', ');
  const results: Results = { options: o, machine: null as unknown as Machine, eval: null, latency: null, totalMs: 0 };
  // Evaluation first, on a quiet machine (no server or worker started yet).
  if (o.only.has('eval')) results.eval = evaluation(o);
  let temporal: TemporalDevServer | null = null;
  let client: Client | null = null;
  let temporalBin: string | null = null;
  if (needInfra) {
    await ensurePostgres(baseUrl, { log: progress });
    progress(`postgres: ${redactUrl(baseUrl)}`);
    temporalBin = await findOrBuildTemporal({ log: progress });
    const root = join(repoRoot, '.stageline', 'bench-temporal');
    pruneStaleRuns(root);
    const dataDir = join(root, String(process.pid));
    mkdirSync(dataDir, { recursive: true });
    onCleanup('temporal data', async () => rmSync(dataDir, { recursive: true, force: true }));
    temporal = await startTemporalDevServer({ executable: temporalBin, dataDir, log: progress });
    const server = temporal;
    onCleanup('temporal dev server', () => server.stop());
    client = await connectClient(temporal.address);
    const c = client;
    onCleanup('temporal client', () => c.connection.close());
  }
  results.machine = { ...(await machineFacts(needInfra ? baseUrl : null, temporalBin, 'stageline-bench-rules')), load };
  if (o.only.has('latency') && temporal && client) results.latency = await latency(o, baseUrl, temporal, client);

  results.totalMs = performance.now() - benchStart;
  const md = report(results);
  await new Promise<void>((done) => process.stdout.write(md, () => done()));
  if (o.write) {
    const path = join(repoRoot, 'docs', 'BENCHMARKS-rules.md');
    mkdirSync(join(repoRoot, 'docs'), { recursive: true });
    writeFileSync(path, md);
    progress(`wrote ${path}`);
  }
  if (problems.length) {
    progress(`${problems.length} problem(s); see the "Problems" section`);
    process.exitCode = 1;
  }
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    progress(`${signal}: stopping everything this run started`);
    void cleanupAll().finally(() => process.exit(130));
  });
}
// While the cleanup runs, the benchmark may still touch what it is closing (a gRPC channel shut down under
// a pending call): that must not end the process before the databases are dropped and the server stopped.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (err: unknown) => {
    progress(`${event}${interrupted ? ' during cleanup (ignored)' : ''}: ${err instanceof Error ? err.message : String(err)}`);
    if (interrupted) return;
    interrupted = true;
    void cleanupAll().finally(() => process.exit(1));
  });
}

try {
  await main();
} catch (err) {
  progress(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
// Native connections and pools are closed above; anything else left (a stray timer) must not keep the process alive.
process.exit(process.exitCode ?? 0);
