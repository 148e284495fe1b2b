// report.html: one self-contained file (inline CSS, charts as inline SVG rendered by Vega-Lite here,
// no script, no font or image to fetch, a CSP that forbids any request), readable on screen and when
// printed. Every number shown is a number of ReportData, itself read from the warehouse views; the
// KPI tiles and slice cells carry it in data-* attributes, so a test can compare the page with SQL.
import type { TopLevelSpec } from 'vega-lite';
import { DIMENSIONS, METRICS, type MetricDef, type MetricKey, type ReportData, type SliceRow } from './report-data';

/** Rows of a slice table shown in the HTML; the CSV has them all. */
export const HTML_SLICE_ROWS = 15;
/** Overdue assets listed in the HTML; the CSV has them all. */
export const HTML_OVERDUE_ROWS = 20;

const COLORS = { current: '#1f5fbf', previous: '#a7b4c6', p85: '#d97706', good: '#15803d', bad: '#b91c1c' };
const FONT = 'Helvetica, Arial, sans-serif';

const esc = (s: unknown): string =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const METRIC: Record<MetricKey, MetricDef> = Object.fromEntries(METRICS.map((m) => [m.key, m])) as Record<MetricKey, MetricDef>;

function fmtDate(d: string): string {
  return new Date(`${d}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

function fmtShortDate(d: string): string {
  return new Date(`${d}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
}

/** A metric value as a reader sees it. */
export function formatValue(key: MetricKey, v: number | null): string {
  if (v === null) return '—';
  const m = METRIC[key];
  switch (m.unit) {
    case 'rate':
      return `${(v * 100).toFixed(1)} %`;
    case 'days':
      return `${v.toFixed(1)} d`;
    case 'hours':
      return `${v.toFixed(1)} h`;
    case 'rounds':
      return v.toFixed(2);
    case 'per_week':
      return v.toFixed(1);
    default:
      return v.toLocaleString('en-GB');
  }
}

/** The change from the previous period, and whether it is good news, bad news or neither. */
export function formatChange(key: MetricKey, cur: number | null, prev: number | null): { text: string; tone: 'good' | 'bad' | 'flat' | 'none' } {
  if (cur === null || prev === null) return { text: prev === null ? 'no earlier figure' : 'no figure', tone: 'none' };
  const m = METRIC[key];
  const d = cur - prev;
  if (Math.abs(d) < 1e-9) return { text: 'no change', tone: 'flat' };
  const arrow = d > 0 ? '▲' : '▼';
  const tone = (d > 0) === (m.better === 'higher') ? 'good' : 'bad';
  let text: string;
  switch (m.unit) {
    case 'rate':
      text = `${arrow} ${Math.abs(d * 100).toFixed(1)} pp`;
      break;
    case 'days':
      text = `${arrow} ${Math.abs(d).toFixed(1)} d`;
      break;
    case 'hours':
      text = `${arrow} ${Math.abs(d).toFixed(1)} h`;
      break;
    case 'rounds':
      text = `${arrow} ${Math.abs(d).toFixed(2)}`;
      break;
    default:
      text = `${arrow} ${Math.abs(d).toLocaleString('en-GB', { maximumFractionDigits: 1 })}${prev ? ` (${d > 0 ? '+' : '−'}${Math.abs((d / prev) * 100).toFixed(0)} %)` : ''}`;
  }
  return { text, tone };
}

async function svg(spec: TopLevelSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const full = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: {
      font: FONT,
      background: 'white',
      view: { stroke: null },
      axis: { labelColor: '#334155', titleColor: '#334155', gridColor: '#e5e7eb', labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal' },
      legend: { labelFontSize: 11, titleFontSize: 11, orient: 'top' },
    },
    ...spec,
  } as TopLevelSpec;
  const compiled = vl.compile(full).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const out = await view.toSVG();
  view.finalize();
  // Vega's SVG carries no title of its own; the figure's caption and aria-label describe it.
  return out.replace(/^<svg /, '<svg role="img" ');
}

function periodLabel(p: { from: string; to: string }): string {
  return `${fmtDate(p.from)} – ${fmtDate(p.to)}`;
}

async function charts(d: ReportData): Promise<Record<string, string>> {
  const weekData = d.weeks.map((w) => ({ week: fmtShortDate(w.week_start), ws: w.week_start, period: w.period === 'current' ? 'This period' : 'Previous period', delivered: w.delivered, partial: w.partial }));
  const cycleData = d.weeks.filter((w) => w.cycle_time_n > 0).flatMap((w) => [
    { week: fmtShortDate(w.week_start), ws: w.week_start, series: 'median', days: w.cycle_time_p50_days },
    { week: fmtShortDate(w.week_start), ws: w.week_start, series: '85th percentile', days: w.cycle_time_p85_days },
  ]);
  const waiting = d.stages.filter((s) => !s.closed);
  const stageData = waiting.flatMap((s) => [
    { stage: s.stage, period: 'This period', days: s.avg_days ?? 0, order: s.position ?? 99 },
    { stage: s.stage, period: 'Previous period', days: s.previous_avg_days ?? 0, order: s.position ?? 99 },
  ]);
  const curDelivered = d.rounds.reduce((a, r) => a + r.current, 0);
  const prevDelivered = d.rounds.reduce((a, r) => a + r.previous, 0);
  const roundsData = d.rounds.flatMap((r) => [
    { rounds: r.rounds, period: 'This period', share: curDelivered ? r.current / curDelivered : 0 },
    { rounds: r.rounds, period: 'Previous period', share: prevDelivered ? r.previous / prevDelivered : 0 },
  ]);
  const client = d.slices.find((s) => s.dimension.key === 'client')!.rows.slice(0, 12);
  const clientData = client.flatMap((r) => [
    { client: r.slice, period: 'This period', delivered: r.current.delivered ?? 0 },
    { client: r.slice, period: 'Previous period', delivered: r.previous.delivered ?? 0 },
  ]);
  const periodColor = { field: 'period', type: 'nominal', title: null, scale: { domain: ['Previous period', 'This period'], range: [COLORS.previous, COLORS.current] } } as const;
  const out: Record<string, string> = {};
  out.throughput = await svg({
    width: 640,
    height: 200,
    data: { values: weekData },
    mark: { type: 'bar', tooltip: false },
    encoding: {
      x: { field: 'week', type: 'ordinal', sort: { field: 'ws' }, title: 'Week starting', axis: { labelAngle: -40 } },
      y: { field: 'delivered', type: 'quantitative', title: 'Assets delivered', axis: { tickMinStep: 1 } },
      color: periodColor,
    },
  });
  if (cycleData.length) {
    out.cycle = await svg({
      width: 640,
      height: 180,
      data: { values: cycleData },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'week', type: 'ordinal', sort: { field: 'ws' }, title: 'Week starting (of delivery)', axis: { labelAngle: -40 } },
        y: { field: 'days', type: 'quantitative', title: 'Cycle time (days)' },
        color: { field: 'series', type: 'nominal', title: null, scale: { domain: ['median', '85th percentile'], range: [COLORS.current, COLORS.p85] } },
      },
    });
  }
  if (stageData.some((s) => s.days > 0)) {
    out.stages = await svg({
      width: 560,
      height: { step: 12 },
      data: { values: stageData },
      mark: 'bar',
      encoding: {
        y: { field: 'stage', type: 'nominal', sort: { field: 'order' }, title: null },
        yOffset: { field: 'period', sort: ['This period', 'Previous period'] },
        x: { field: 'days', type: 'quantitative', title: 'Average days in the stage (stays that ended in the period)' },
        color: periodColor,
      },
    });
  }
  if (curDelivered || prevDelivered) {
    out.rounds = await svg({
      width: 360,
      height: 180,
      data: { values: roundsData },
      mark: 'bar',
      encoding: {
        x: { field: 'rounds', type: 'ordinal', title: 'Revision rounds', sort: ['0', '1', '2', '3', '4+'], axis: { labelAngle: 0 } },
        xOffset: { field: 'period', sort: ['Previous period', 'This period'] },
        y: { field: 'share', type: 'quantitative', title: 'Share of delivered assets', axis: { format: '.0%' } },
        color: periodColor,
      },
    });
  }
  if (clientData.some((c) => c.delivered > 0)) {
    out.clients = await svg({
      width: 520,
      height: { step: 12 },
      data: { values: clientData },
      mark: 'bar',
      encoding: {
        y: { field: 'client', type: 'nominal', sort: null, title: null },
        yOffset: { field: 'period', sort: ['This period', 'Previous period'] },
        x: { field: 'delivered', type: 'quantitative', title: 'Assets delivered', axis: { tickMinStep: 1 } },
        color: periodColor,
      },
    });
  }
  const rules = d.rules.filter((r) => r.open_at_end > 0);
  if (rules.length) {
    out.rules = await svg({
      width: 520,
      height: { step: 24 },
      data: { values: rules.map((r) => ({ rule: r.rule_id, open: r.open_at_end })) },
      mark: { type: 'bar', color: COLORS.bad },
      encoding: {
        y: { field: 'rule', type: 'nominal', sort: '-x', title: null },
        x: { field: 'open', type: 'quantitative', title: `Open violations on ${fmtDate(d.current.snapshotOn)}`, axis: { tickMinStep: 1 } },
      },
    });
  }
  return out;
}

function figure(id: string, svgText: string | undefined, caption: string, empty: string): string {
  if (!svgText) return `<p class="empty" data-chart="${esc(id)}" data-empty="true">${esc(empty)}</p>`;
  return `<figure data-chart="${esc(id)}" aria-label="${esc(caption)}">${svgText}<figcaption>${esc(caption)}</figcaption></figure>`;
}

const KPI_KEYS: MetricKey[] = [
  'delivered', 'delivered_per_week', 'cycle_time_p50_days', 'cycle_time_p85_days', 'revision_rounds_avg', 'rework_rate', 'first_pass_rate',
  'approval_latency_p50_hours', 'on_time_rate', 'delivered_without_due_date', 'overdue_wip', 'compliance_rate', 'open_violations', 'redeliveries',
];

function kpis(d: ReportData): string {
  const c = d.summary.counts;
  const note: Partial<Record<MetricKey, string>> = {
    cycle_time_p50_days: `${c.cycle_time_n} delivered with a measurable cycle`,
    cycle_time_p85_days: `${c.cycle_time_n} delivered with a measurable cycle`,
    first_pass_rate: `${c.first_pass_n} assets first decided in the period`,
    approval_latency_p50_hours: `${c.approval_latency_n} versions decided after a review`,
    on_time_rate: `${c.on_time_n} deliveries with a due date`,
    overdue_wip: `on ${fmtDate(d.current.snapshotOn)}`,
    compliance_rate: `${c.live_assets} live assets on ${fmtDate(d.current.snapshotOn)}`,
    open_violations: `on ${fmtDate(d.current.snapshotOn)}`,
  };
  return KPI_KEYS.map((k) => {
    const cur = d.summary.current[k];
    const prev = d.summary.previous[k];
    const ch = formatChange(k, cur, prev);
    return `<div class="kpi" data-metric="${k}" data-current="${cur ?? ''}" data-previous="${prev ?? ''}">
  <div class="kpi-label">${esc(METRIC[k].label)}</div>
  <div class="kpi-value">${esc(formatValue(k, cur))}</div>
  <div class="kpi-change ${ch.tone}">${esc(ch.text)} <span class="muted">vs ${esc(formatValue(k, prev))}</span></div>
  ${note[k] ? `<div class="kpi-note">${esc(note[k])}</div>` : ''}
</div>`;
  }).join('\n');
}

const SLICE_COLUMNS: MetricKey[] = ['delivered', 'cycle_time_p50_days', 'revision_rounds_avg', 'first_pass_rate', 'on_time_rate', 'overdue_wip', 'compliance_rate'];

function sliceTable(dimKey: string, label: string, rows: SliceRow[], csv: string): string {
  if (!rows.length) return `<p class="empty">No ${esc(label.toLowerCase())} has data in either period.</p>`;
  const shown = rows.slice(0, HTML_SLICE_ROWS);
  const head = SLICE_COLUMNS.map((k) => `<th class="num">${esc(METRIC[k].label)}</th>`).join('');
  const body = shown
    .map((r) => {
      const cells = SLICE_COLUMNS.map((k) => {
        const extra = k === 'delivered' ? ` <span class="muted">(${esc(formatValue(k, r.previous[k]))})</span>` : '';
        return `<td class="num" data-metric="${k}" data-value="${r.current[k] ?? ''}">${esc(formatValue(k, r.current[k]))}${extra}</td>`;
      }).join('');
      return `<tr data-dimension="${esc(dimKey)}" data-slice="${esc(r.slice)}"><th scope="row">${esc(r.slice)}</th>${cells}</tr>`;
    })
    .join('\n');
  const more = rows.length > shown.length ? `<p class="muted">${rows.length - shown.length} more in <code>${esc(csv)}</code>.</p>` : '';
  return `<table class="slices"><thead><tr><th>${esc(label)}</th>${head}</tr></thead><tbody>${body}</tbody></table>
<p class="muted">Delivered: this period (previous period). Other columns: this period.</p>${more}`;
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: ${FONT}; color: #0f172a; margin: 0 auto; max-width: 1040px; padding: 24px 32px 48px; font-size: 13px; line-height: 1.45; background: white; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #e2e8f0; }
h3 { font-size: 14px; margin: 16px 0 6px; }
.meta { color: #475569; margin: 0 0 16px; }
.muted { color: #64748b; font-weight: normal; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 10px; }
.kpi { border: 1px solid #cbd5e1; border-radius: 6px; padding: 8px 10px; break-inside: avoid; }
.kpi-label { font-size: 11px; color: #475569; text-transform: uppercase; letter-spacing: .03em; }
.kpi-value { font-size: 22px; font-weight: 600; margin: 2px 0; }
.kpi-change { font-size: 12px; }
.kpi-note { font-size: 11px; color: #64748b; }
.good { color: ${COLORS.good}; } .bad { color: ${COLORS.bad}; } .flat, .none { color: #64748b; }
figure { margin: 8px 0 16px; break-inside: avoid; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 12px; color: #475569; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; font-size: 12px; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #e2e8f0; vertical-align: top; }
thead th { border-bottom: 2px solid #94a3b8; font-size: 11px; color: #334155; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr { break-inside: avoid; }
thead { display: table-header-group; }
section { break-inside: auto; }
.empty { color: #64748b; font-style: italic; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
code { font-size: 12px; }
footer { margin-top: 32px; color: #64748b; font-size: 11px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { padding: 0; max-width: none; font-size: 11px; }
  h2 { break-after: avoid; }
  .kpis { grid-template-columns: repeat(4, 1fr); }
  .two { grid-template-columns: 1fr; }
  a { color: inherit; text-decoration: none; }
}`;

export async function renderReportHtml(d: ReportData, files: { slices: Record<string, string> }): Promise<string> {
  const ch = await charts(d);
  const cur = periodLabel(d.current);
  const prev = periodLabel(d.previous);
  const d1 = (v: number | null) => (v === null ? '—' : v.toFixed(1));
  const stageRows = d.stages
    .map(
      (s) => `<tr data-stage="${esc(s.stage)}"><th scope="row">${esc(s.stage)}${s.closed ? ' <span class="muted">(closed)</span>' : ''}</th>
<td class="num">${s.stays}</td><td class="num">${d1(s.avg_days)}</td><td class="num">${d1(s.p50_days)}</td><td class="num">${d1(s.p85_days)}</td>
<td class="num">${s.previous_stays}</td><td class="num">${d1(s.previous_avg_days)}</td>
<td class="num">${s.closed ? '' : s.waiting_now}</td><td class="num">${s.closed ? '' : d1(s.waiting_avg_days)}</td><td class="num">${s.closed ? '' : d1(s.waiting_max_days)}</td></tr>`,
    )
    .join('\n');
  const ruleRows = d.rules
    .map(
      (r) => `<tr data-rule="${esc(r.rule_id)}"><th scope="row">${esc(r.rule_id)}</th><td>${esc(r.kind)}</td><td class="num">${r.opened}</td><td class="num">${r.resolved}</td>
<td class="num">${r.open_at_end}</td><td class="num">${r.previous_open_at_end}</td><td class="num">${r.open_per_100_assets ?? '—'}</td></tr>`,
    )
    .join('\n');
  const overdueRows = d.overdue
    .slice(0, HTML_OVERDUE_ROWS)
    .map(
      (o) => `<tr><th scope="row">${esc(o.asset_name)}</th><td>${esc(o.client ?? '')}</td><td>${esc(o.campaign)}</td><td>${esc(o.owner_name ?? 'unassigned')}</td>
<td>${esc(o.source_tool)}</td><td>${esc(o.stage ?? '')}</td><td class="num">${esc(o.due_on)}</td><td class="num">${o.days_overdue}</td></tr>`,
    )
    .join('\n');
  const slices = DIMENSIONS.map((dim) => {
    const s = d.slices.find((x) => x.dimension.key === dim.key)!;
    return `<h3>By ${esc(dim.label.toLowerCase())}</h3>\n${sliceTable(dim.key, dim.label, s.rows, files.slices[dim.key] ?? '')}`;
  }).join('\n');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(d.workspace)} — creative operations report, ${esc(cur)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${esc(d.workspace)}: creative operations, ${esc(cur)}</h1>
<p class="meta">Compared with the previous ${d.current.days} days (${esc(prev)}). Data as of ${esc(d.asOf.replace('T', ' ').slice(0, 16))} UTC; dates are local to ${esc(d.timezone)}.
Sources: ${esc(d.sources.join(', ') || 'none')}. Every figure comes from the <code>warehouse</code> views (docs/METRICS.md).</p>
</header>

<section id="summary">
<h2>This period against the last</h2>
<div class="kpis">
${kpis(d)}
</div>
</section>

<section id="delivery">
<h2>How much did we deliver, and how long did it take?</h2>
${figure('throughput', ch.throughput, 'Assets delivered per week (first deliveries), previous period in grey. Weeks cut by the period edges count only their days inside it.', 'Nothing was delivered in either period.')}
${figure('cycle', ch.cycle, 'Cycle time (first pipeline stage to first delivery) of the assets delivered each week: median and 85th percentile.', 'No delivery with a measurable cycle time in either period.')}
${figure('clients', ch.clients, 'Assets delivered by client (the 12 with the most this period).', 'No client delivered anything in either period.')}
</section>

<section id="stages">
<h2>Where does work wait?</h2>
${figure('stages', ch.stages, 'Average days in each open stage, over the stays that ended in the period.', 'No stay in an open stage ended in either period.')}
<table><thead><tr><th>Stage</th><th class="num">Stays ended</th><th class="num">Avg days</th><th class="num">Median</th><th class="num">85th pct</th>
<th class="num">Previous: stays</th><th class="num">Previous: avg days</th><th class="num">Waiting now</th><th class="num">Waiting: avg days</th><th class="num">Longest wait</th></tr></thead>
<tbody>${stageRows}</tbody></table>
<p class="muted">“Waiting now”: work in the stage at the last refresh (${esc(d.asOfOn)}), whatever the period.</p>
</section>

<section id="quality">
<h2>How many revision rounds, and how often approved first time?</h2>
<div class="two">
${figure('rounds', ch.rounds, 'Revision rounds of the assets delivered in each period (share of deliveries).', 'No delivery in either period.')}
<table><thead><tr><th>Revision rounds</th><th class="num">This period</th><th class="num">Previous</th></tr></thead>
<tbody>${d.rounds.map((r) => `<tr><th scope="row">${esc(r.rounds)}</th><td class="num">${r.current}</td><td class="num">${r.previous}</td></tr>`).join('')}</tbody></table>
</div>
</section>

<section id="compliance">
<h2>Are the standards being followed?</h2>
${figure('rules', ch.rules, `Open violations by rule on ${fmtDate(d.current.snapshotOn)}.`, `No violation open on ${fmtDate(d.current.snapshotOn)}.`)}
${d.rules.length ? `<table><thead><tr><th>Rule</th><th>Kind</th><th class="num">Found in period</th><th class="num">Resolved in period</th><th class="num">Open at end</th><th class="num">Open at end of previous</th><th class="num">Open per 100 assets</th></tr></thead><tbody>${ruleRows}</tbody></table>` : ''}
<h3>Overdue work in progress on ${esc(fmtDate(d.current.snapshotOn))} (${d.overdue.length})</h3>
${d.overdue.length ? `<table><thead><tr><th>Asset</th><th>Client</th><th>Campaign</th><th>Owner</th><th>Tool</th><th>Stage</th><th class="num">Due</th><th class="num">Days overdue</th></tr></thead><tbody>${overdueRows}</tbody></table>${d.overdue.length > HTML_OVERDUE_ROWS ? `<p class="muted">${d.overdue.length - HTML_OVERDUE_ROWS} more in <code>overdue_wip.csv</code>.</p>` : ''}` : '<p class="empty">Nothing overdue.</p>'}
</section>

<section id="slices">
<h2>By client, campaign, team, asset type and source tool</h2>
${slices}
</section>

<footer>Generated by Stageline from the warehouse schema. CSV files beside this report hold every table in full. Definitions: docs/METRICS.md.</footer>
</body>
</html>
`;
}
