// `stageline rules preview | check` and the violations part of `stageline status`.
import type { Runtime } from './runtime';
import { planEnforcement, type EnforcementPlan } from '../activities/enforce';
import { unknownFields } from '../mapping/rules';

/**
 * What enforcement would do now, every rule taken as enforced: the violations per asset and tool, and
 * the writes (minus those whose target already holds the value). Writes nothing, calls no vendor.
 */
export async function rulesPreview(rt: Runtime, opts: { rule?: string; connection?: string; json?: boolean; now?: string }): Promise<EnforcementPlan> {
  const plan = await planEnforcement(rt.db, rt.config, {
    now: opts.now ?? new Date().toISOString(),
    assumeEnforce: true,
    ...(opts.rule ? { onlyRule: opts.rule } : {}),
    ...(opts.connection ? { onlyConnection: opts.connection } : {}),
  });
  if (opts.json) {
    console.log(JSON.stringify(plan, null, 2));
    return plan;
  }
  const open = plan.violations.filter((v) => v.change !== 'resolved');
  const resolved = plan.violations.filter((v) => v.change === 'resolved');
  console.log(`Rules: ${plan.rules.join(', ') || '(none)'} · ${plan.evaluated} assets evaluated · ${open.length} violations (${open.filter((v) => v.change === 'opened').length} new) · ${resolved.length} would resolve · ${plan.writes.length} writes`);
  if (open.length) {
    console.log('\nViolations');
    table(
      ['asset', 'tool', 'rule', '', 'what is wrong', 'fix'],
      open.map((v) => [v.assetName, v.connectionId, v.ruleId, v.change === 'opened' ? 'new' : 'open', v.message, v.fix ?? '']),
    );
  }
  if (plan.writes.length) {
    console.log('\nWrites');
    table(
      ['tool', 'target', 'write', 'content'],
      plan.writes.map((w) => [w.connectionId, `${w.targetKind} ${w.targetExternalId}`, w.reason, describePayload(w.op, w.payload)]),
    );
  }
  return plan;
}

function describePayload(op: string, p: Record<string, unknown>): string {
  if (op === 'comment') return JSON.stringify(String(p.text ?? '').replace(/[\u2060\u200b\u200c]/g, '').split('\n')[0]);
  if (op === 'set_app_properties') return JSON.stringify(p.properties);
  if (op === 'set_field') return `${String(p.field)} = ${String(p.value)}`;
  if (op === 'set_stage') return `stage ${String(p.from ?? '?')} → ${String(p.stage)}`;
  return JSON.stringify(p);
}

function table(head: string[], rows: string[][]): void {
  const cap = (s: string) => (s.length > 70 ? `${s.slice(0, 69)}…` : s);
  const cells = rows.map((r) => r.map(cap));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  console.log(line(head));
  console.log(line(widths.map((w) => '─'.repeat(w))));
  for (const r of cells) console.log(line(r));
}

/** Checks the rules against the data Stageline has synced: fields a rule names that no task has. */
export async function rulesCheck(rt: Runtime): Promise<number> {
  const { rows } = await rt.db.query<{ name: string }>(`SELECT DISTINCT jsonb_object_keys(fields) AS name FROM core.assets WHERE deleted_at IS NULL`);
  const problems = unknownFields(rt.config.rules, new Set(rows.map((r) => r.name)));
  const enforced = rt.config.rules.length;
  if (!problems.length) {
    console.log(`OK — ${enforced} rule(s); every field they name exists on synced tasks${rows.length ? '' : ' (nothing synced yet: fields are checked after the first sync)'}`);
    return 0;
  }
  for (const p of problems) console.log(`  ${p.path.join('.')}: ${p.message}`);
  return 2;
}

/** Open violations per rule and write errors, for `stageline status`. */
export async function printViolations(rt: Runtime, connectionId?: string): Promise<void> {
  const { rows } = await rt.db.query<{ rule_id: string; mode: string; n: string; write_errors: string }>(
    `SELECT rule_id, mode, count(*) AS n, count(write_error) AS write_errors FROM ops.violations
      WHERE state = 'open' AND ($1::text IS NULL OR connection_id = $1) GROUP BY 1, 2 ORDER BY 1`,
    [connectionId ?? null],
  );
  if (!rows.length) return;
  console.log(`violations open: ${rows.map((r) => `${r.rule_id} ${r.n}${r.mode === 'preview' ? ' (preview)' : ''}${Number(r.write_errors) ? `, ${r.write_errors} write errors` : ''}`).join(' · ')}`);
  const { rows: errors } = await rt.db.query<{ rule_id: string; write_error: string }>(
    `SELECT rule_id, write_error FROM ops.violations WHERE state = 'open' AND write_error IS NOT NULL AND ($1::text IS NULL OR connection_id = $1) ORDER BY write_error_at DESC LIMIT 5`,
    [connectionId ?? null],
  );
  for (const e of errors) console.log(`  write refused (${e.rule_id}): ${e.write_error}`);
}
