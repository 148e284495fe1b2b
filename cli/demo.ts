// `npm run demo`: a creative agency's Asana workspace and Google Drive (the simulators, unless
// ASANA_TOKEN / DRIVE_TOKEN are set) synced through a real Temporal server into PostgreSQL, files
// linked to the assets their tasks track, then a summary of what landed and what needs attention.
import { connectionSummaries, filesNeedingAttention } from '../activities/db/queries';
import { ConfigError } from '../mapping/config';
import { loadConfig, openRuntime } from './runtime';
import { describeTotals, printAttention, printSummary, syncConnections } from './output';
import type { Runtime } from './runtime';
import type { StagelineConfig } from '../mapping/config';

export async function runDemo(opts: { configPath: string; tasks: number }): Promise<number> {
  const t0 = Date.now();
  const step = (m: string) => console.error(`▸ ${m}`);
  let stopSimulator: (() => Promise<void>) | null = null;
  if (!process.env.ASANA_TOKEN) {
    const { startAsanaSimulatorFromCli } = await import('../connectors/asana/simulator');
    const sim = await startAsanaSimulatorFromCli({ port: 0, tasks: opts.tasks, seed: 1 });
    stopSimulator = () => sim.stop();
    process.env.ASANA_TOKEN = sim.token;
    process.env.ASANA_WORKSPACE = sim.workspaceGid;
    process.env.ASANA_BASE_URL = sim.baseUrl;
    step(`Asana simulator: a creative agency with ${opts.tasks} tasks on ${sim.baseUrl}`);
  } else step('ASANA_TOKEN is set: syncing the real Asana workspace of stageline.yaml');
  let stopDrive: (() => Promise<void>) | null = null;
  if (!process.env.DRIVE_TOKEN) {
    // The same agency's Google Drive: the files behind the Asana tasks' versions, and the ones no task claims.
    const { startDriveSimulatorFromCli } = await import('../connectors/drive/simulator');
    const sim = await startDriveSimulatorFromCli({ port: 0, tasks: opts.tasks, seed: 1 });
    stopDrive = () => sim.stop();
    process.env.DRIVE_TOKEN = sim.token;
    process.env.DRIVE_BASE_URL = sim.rootUrl;
    process.env.DRIVE_SHARED_DRIVE = sim.sharedDriveId;
    process.env.DRIVE_FOLDER = sim.rootFolderIds.find((id) => id !== sim.sharedDriveId) ?? sim.sharedDriveId;
    step(`Drive simulator: the same agency's shared drive and hand-off folder on ${sim.rootUrl}`);
  } else step('DRIVE_TOKEN is set: syncing the real Google Drive folders of stageline.yaml');
  try {
    let config;
    try {
      config = loadConfig(opts.configPath);
    } catch (err) {
      if (err instanceof ConfigError) {
        console.error(err.message);
        return 2;
      }
      throw err;
    }
    step('PostgreSQL and Temporal (a local dev server is built on first use: about 3 minutes, once)');
    const rt = await openRuntime({ config, temporal: true, worker: 'auto', log: (m) => console.error(`  ${m}`) });
    try {
      step(`Temporal at ${rt.temporalAddress}; full sync of ${config.connections.map((c) => c.id).join(', ')}`);
      const results = await syncConnections(rt, config.connections.map((c) => c.id), 'full', true);
      let failed = false;
      console.log('');
      for (const [id, r] of results) {
        if (r instanceof Error) {
          failed = true;
          console.log(`✗ ${id}: ${r.cause instanceof Error ? r.cause.message : r.message}`);
        } else console.log(`✓ ${id}: ${describeTotals(r)}`);
      }
      console.log('');
      for (const s of await connectionSummaries(rt.db)) {
        printSummary(s);
        if (s.files && s.files.total > s.files.linked) printAttention(await filesNeedingAttention(rt.db, s.connectionId, 8), s.files.total - s.files.linked);
      }
      const { printViolations } = await import('./rules');
      console.log('');
      await printViolations(rt);
      console.log(`Standards are in ${config.enforcement.mode} mode: npx stageline rules preview shows what enforcing them would write.`);
      await writeDemoReport(rt, config);
      console.log(`\nDone in ${((Date.now() - t0) / 1000).toFixed(1)} s. Data: ${rt.databaseUrl.replace(/:[^:@/]*@/, ':***@')} (schemas core, ops, warehouse). Try: npx stageline status`);
      return failed ? 1 : 0;
    } finally {
      await rt.close();
    }
  } finally {
    await stopSimulator?.();
    await stopDrive?.();
  }
}

/**
 * The demo's last step: the leadership report for the four weeks up to today (or, for a dataset whose
 * deliveries ended earlier, up to the Sunday after its last delivery), against the four before.
 */
async function writeDemoReport(rt: Runtime, config: StagelineConfig): Promise<void> {
  const { localDate, writeReport } = await import('../activities/report');
  const { addDays } = await import('../warehouse/report-data');
  const today = localDate(new Date(), config.workspace.timezone);
  const { rows } = await rt.db.query<{ latest: string | null }>(`SELECT to_char(max(delivered_on), 'YYYY-MM-DD') AS latest FROM warehouse.v_cycle_time`);
  const latest = rows[0]?.latest ?? today;
  const sundayAfter = (d: string) => addDays(d, (7 - new Date(`${d}T00:00:00Z`).getUTCDay()) % 7);
  const to = latest >= addDays(today, -27) ? today : sundayAfter(latest);
  const r = await writeReport(rt.db, config, { from: addDays(to, -27), to }, new Date());
  const s = r.summary.current;
  const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);
  console.log(`\nLeadership report, ${r.from} – ${r.to} vs the 4 weeks before: ${s.delivered} delivered, cycle time median ${s.cycle_time_p50_days ?? '—'} d, first-pass approval ${pct(s.first_pass_rate)}, on time ${pct(s.on_time_rate)}, compliance ${pct(s.compliance_rate)}.`);
  console.log(`  ${r.html}`);
  console.log(`  ${r.files.length - 1} CSV files beside it; weekly: ${config.reports.weekly ? `every ${config.reports.weekly.day} at ${config.reports.weekly.at} into ${config.reports.folder}` : 'off (stageline.yaml reports.weekly)'}`);
}
