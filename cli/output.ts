// Shared by `sync`, `status` and the demo: start syncs with a progress display, print what landed.
import cliProgress from 'cli-progress';
import { connectionSummaries, filesNeedingAttention, rejectedRecords, type ConnectionSummary, type FileAttention } from '../activities/db/queries';
import { startSync, waitForSync } from '../worker/orchestration';
import type { SyncTotals } from '../activities';
import type { SyncProgress } from '../workflows/connection-sync';
import type { Runtime } from './runtime';

function progressPrinter(connectionId: string): { update(p: SyncProgress): void; stop(): void } {
  if (!process.stderr.isTTY) {
    let last = '';
    return {
      update: (p) => {
        const line = `${connectionId}: scope ${Math.min(p.scopeIndex + 1, p.scopes)}/${p.scopes} ${p.scopeName ?? ''} — ${p.tasks} records read, ${p.steps} steps`;
        if (line !== last) console.error(`  ${line}`);
        last = line;
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `  ${connectionId} |{bar}| {value}/{total} scopes · {tasks} records read · {pages} steps · {scope}`, hideCursor: true, clearOnComplete: false, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (p) => {
      if (!started) {
        bar.start(Math.max(p.scopes, 1), 0, { tasks: 0, pages: 0, scope: '' });
        started = true;
      }
      bar.setTotal(Math.max(p.scopes, 1));
      bar.update(Math.min(p.done ? p.scopes : p.scopeIndex, p.scopes), { tasks: p.tasks, pages: p.steps, scope: p.scopeName ?? '' });
    },
    stop: () => started && bar.stop(),
  };
}

export async function syncConnections(rt: Runtime, ids: string[], mode: 'full' | 'incremental', wait: boolean): Promise<Map<string, SyncTotals | Error>> {
  const out = new Map<string, SyncTotals | Error>();
  for (const id of ids) {
    const handle = await startSync(rt.client!, { connectionId: id, mode });
    console.error(`  sync ${mode} of ${id} → workflow ${handle.workflowId}`);
    if (!wait) continue;
    const progress = progressPrinter(id);
    try {
      out.set(id, await waitForSync(handle, (p) => progress.update(p)));
    } catch (err) {
      out.set(id, err as Error);
    } finally {
      progress.stop();
    }
  }
  return out;
}

/** One sync's totals in a line; `records` is what the tool calls its records (tasks in Asana, items on monday.com). */
export function describeTotals(t: SyncTotals, records = 'tasks'): string {
  const c = t.counts;
  const written = (k: string) => (c[`${k}.inserted`] ?? 0) + (c[`${k}.updated`] ?? 0);
  const calls = Object.values(t.apiCalls).reduce((a, b) => a + b, 0);
  const read =
    c.files !== undefined || c['files.inserted'] !== undefined
      ? `${c.files ?? 0} files read; written: ${written('files')} files, ${written('file_revisions')} revisions, ${written('file_comments')} comments`
      : `${c.tasks ?? 0} ${records} read; written: ${written('assets')} assets, ${written('versions')} versions, ${written('comments')} comments, ${written('decisions')} decisions, ${written('transitions')} stage transitions`;
  const linking = c['linking.files']
    ? `; linking: ${c['linking.linked'] ?? 0} of ${c['linking.files']} files linked (${c['linking.explicit'] ?? 0} explicitly, ${c['linking.byName'] ?? 0} by name), ${c['linking.orphans'] ?? 0} orphaned, ${c['linking.misnamed'] ?? 0} misnamed, ${c['linking.conflicts'] ?? 0} conflicts`
    : '';
  return `${read}; ${c.tombstoned ?? 0} tombstoned; ${c.rejected ?? 0} rejected; ${calls} API calls${linking}`;
}

export async function printStatus(rt: Runtime, only?: string): Promise<void> {
  const rows = await connectionSummaries(rt.db, only);
  const configured = rt.config.connections.filter((c) => !only || c.id === only);
  for (const c of configured) {
    const s = rows.find((r) => r.connectionId === c.id);
    if (!s) {
      console.log(`${c.id} (${c.vendor}): never synced`);
      continue;
    }
    printSummary(s);
    if (s.rejectedOpen) {
      for (const r of await rejectedRecords(rt.db, c.id, 5)) console.log(`    rejected ${r.stream} ${r.externalId || '(no id)'}: ${r.code} at ${r.path || '(record)'} — ${r.message}`);
    }
    if (s.files && s.files.total > s.files.linked) printAttention(await filesNeedingAttention(rt.db, c.id, 10), s.files.total - s.files.linked);
  }
  const { printViolations } = await import('./rules');
  await printViolations(rt, only);
}

/** Files that need a person: conflicts, misnamed files (with the corrected name), orphans. */
export function printAttention(files: FileAttention[], total: number): void {
  console.log(`  files needing attention (${total}${total > files.length ? `, first ${files.length}` : ''}):`);
  for (const f of files) {
    const fix = f.suggestion ? ` → rename to ${f.suggestion}` : '';
    const kept = f.assetName ? (f.keptLink ? ` (still linked to "${f.assetName}")` : ` (belongs to "${f.assetName}", not linked)`) : '';
    console.log(`    ${f.state.padEnd(8)} ${f.name}${kept}: ${f.reason ?? ''}${fix}`);
  }
}

export function printSummary(s: ConnectionSummary): void {
  const age = s.cursorAgeSeconds === null ? 'no cursor' : `cursor ${formatAge(s.cursorAgeSeconds)} old`;
  console.log(`${s.connectionId} (${s.vendor}): ${s.state}${s.stateMessage ? ` — ${s.stateMessage}` : ''}`);
  console.log(`  last sync ${s.lastSyncFinishedAt ?? 'never'}; last success ${s.lastSuccessAt ?? 'never'}; ${age}`);
  const fileStore = s.files !== null && s.assets === 0 && s.projects === 0;
  if (!fileStore) console.log(`  projects ${s.projects} · assets ${s.assets} · versions ${s.versions} · comments ${s.comments} · decisions ${s.decisions} · stage transitions ${s.transitions} · deleted ${s.deletedAssets} · rejected ${s.rejectedOpen}`);
  if (s.files) {
    const f = s.files;
    console.log(`  files ${f.total}: linked ${f.linked} · orphaned ${f.orphan} · misnamed ${f.misnamed} · conflicts ${f.conflict} · trashed ${f.trashed} · revisions ${f.revisions} · comments ${f.comments}${fileStore ? ` · rejected ${s.rejectedOpen}` : ''}`);
  }
  const stages = Object.entries(s.assetsByStage).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(' · ');
  if (!fileStore) console.log(`  assets per stage: ${stages || '—'}`);
  if (s.lastRun) console.log(`  last run: ${s.lastRun.mode} ${s.lastRun.status}, ${s.lastRun.apiCallsTotal} API calls (${Object.entries(s.lastRun.apiCalls).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  if (s.lastError) console.log(`  last error: ${s.lastError}`);
}

function formatAge(s: number): string {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

