import { describe, expect, it } from 'vitest';
import { parseConfig, type StagelineConfig } from './config';
import { compileRules, evaluateAsset, modeFor, slaSchedule, unknownFields, type AssetFacts, type CompiledReviewSla, type EvalContext, type Violation } from './rules';

const env = { ASANA_TOKEN: 't', DRIVE_TOKEN: 'd' };
function config(rules: string, extra = ''): StagelineConfig {
  return parseConfig(
    `
workspace:
  timezone: Europe/London
  linking:
    naming:
      pattern: "{client}_{campaign}_{asset}-{size}_v{version}[.{ext}]"
      key: "{client}_{campaign}_{asset}-{size}"
people:
  - { email: cd@agency.example, roles: [creative_director] }
  - { domain: client.example, roles: [client] }
connections:
  - id: agency-asana
    vendor: asana
    token: \${ASANA_TOKEN}
    workspace: "1000"
    stage: { map: { Briefing: brief } }
  - id: agency-drive
    vendor: drive
    token: \${DRIVE_TOKEN}
    folders: ["1RnD_iz9abcdefghij"]
${extra}
rules:
${rules}`,
    env,
  );
}

const T = (day: number, hhmm = '10:00') => `2026-10-${String(day).padStart(2, '0')}T${hhmm}:00.000Z`;

function facts(o: Partial<AssetFacts> = {}): AssetFacts {
  return {
    assetId: 'asset-1',
    connectionId: 'agency-asana',
    project: { id: 'proj-uuid', externalId: '1200001', name: 'ACME Holiday 2026' },
    name: 'ACME_HOLIDAY_BANNER-300x250',
    key: 'ACME_HOLIDAY_BANNER-300x250',
    assetType: 'Banner',
    stage: 'delivered',
    ownerId: 'owner-1',
    dueOn: '2026-10-30',
    fields: {},
    versions: [],
    decisions: [],
    transitions: [],
    files: [],
    ...o,
  };
}

function run(cfg: StagelineConfig, f: AssetFacts, now = T(20)): Violation[] {
  const ctx: EvalContext = { now, timezone: cfg.workspace.timezone, calendar: cfg.workspace.calendar, pipeline: cfg.workspace.pipeline };
  return evaluateAsset(f, compileRules(cfg), ctx);
}

const versions = (...ns: number[]) => ns.map((number, i) => ({ number, createdAt: T(1 + i) }));
type D = AssetFacts['decisions'][number];
const decision = (role: string | null, kind: D['decision'], versionNumber: number | null, decidedAt: string, reviewerName = role === 'client' ? 'Cleo Client' : 'Dana Director'): D => ({
  decision: kind,
  role,
  reviewerId: null,
  reviewerName,
  versionNumber,
  decidedAt,
});
const move = (fromStage: string | null, toStage: string | null, at: string) => ({ fromStage, toStage, at });

// ------------------------------------------------------------------------------ approval_gate

describe('approval_gate', () => {
  const gate = (before: string, action = 'revert', extra = '') =>
    config(`  - id: approval-gate
    kind: approval_gate
    before: ${before}
    require: { creative_director: [approved], client: [approved, approved_with_changes] }
    action: ${action}
${extra}`, 'enforcement: { mode: enforce }');
  const cdOk = (v: number) => decision('creative_director', 'approved', v, T(5));
  const history = [move(null, 'brief', T(1)), move('brief', 'in_progress', T(2)), move('in_progress', 'client_review', T(3)), move('client_review', 'delivered', T(6))];

  it.each<[string, Partial<AssetFacts>, string[] | null]>([
    ['both roles approved the latest version', { versions: versions(1, 2), decisions: [cdOk(2), decision('client', 'approved', 2, T(5, '12:00'))] }, null],
    ['approved with changes is accepted for the client', { versions: versions(1), decisions: [cdOk(1), decision('client', 'approved_with_changes', 1, T(5))] }, null],
    ['approved with changes is not accepted for the creative director', { versions: versions(1), decisions: [decision('creative_director', 'approved_with_changes', 1, T(5)), decision('client', 'approved', 1, T(5))] }, ['creative_director']],
    ['approval on v2 when v3 exists', { versions: versions(1, 2, 3), decisions: [cdOk(3), decision('client', 'approved', 2, T(5))] }, ['client']],
    ['approval then changes requested (voided)', { versions: versions(1), decisions: [cdOk(1), decision('client', 'approved', 1, T(5)), decision('client', 'changes_requested', 1, T(5, '15:00'), 'Carl Client')] }, ['client']],
    ['changes requested, then approved again', { versions: versions(1), decisions: [cdOk(1), decision('client', 'rejected', 1, T(4)), decision('client', 'approved', 1, T(5))] }, null],
    ['a rejection on an older version does not void the latest', { versions: versions(1, 2), decisions: [cdOk(2), decision('client', 'approved', 2, T(4)), decision('client', 'rejected', 1, T(5))] }, null],
    ['a decision with no version or no role does not count', { versions: versions(1), decisions: [cdOk(1), decision('client', 'approved', null, T(5)), decision(null, 'approved', 1, T(5))] }, ['client']],
    ['no versions at all', { versions: [], decisions: [cdOk(1), decision('client', 'approved', 1, T(5))] }, ['creative_director', 'client']],
  ])('%s', (_what, f, missing) => {
    const v = run(gate('delivered'), facts({ transitions: history, ...f }));
    if (missing === null) expect(v).toEqual([]);
    else expect(v).toEqual([expect.objectContaining({ ruleId: 'approval-gate', kind: 'approval_gate', subject: 'asset', evidence: expect.objectContaining({ missing: missing.map((role) => expect.objectContaining({ role })) }) })]);
  });

  it('says a decision on an older version was ignored, names the missing role and what it must give, and moves back to the stage before', () => {
    const [v] = run(gate('delivered'), facts({ transitions: history, versions: versions(1, 2, 3, 3), decisions: [cdOk(3), decision('client', 'approved', 2, T(5))] }));
    expect(v).toMatchObject({
      message: 'Client approval missing on v3: client (approved | approved with changes) — moved back to Client review',
      fix: 'Get on v3 — client: approved or approved with changes',
      revertTo: 'client_review',
      evidence: {
        gate: 'delivered',
        latestVersion: 3,
        crossedAt: T(6),
        met: ['creative_director'],
        decisions: expect.arrayContaining([
          expect.objectContaining({ role: 'client', version: 2, counted: false, why: 'on v2, not the latest v3: ignored' }),
          expect.objectContaining({ role: 'creative_director', version: 3, counted: true }),
        ]),
      },
    });
  });

  it('says which later decision voided an approval', () => {
    const [v] = run(gate('delivered'), facts({ transitions: history, versions: versions(1), decisions: [cdOk(1), decision('client', 'approved', 1, T(5)), decision('client', 'changes_requested', 1, T(5, '15:00'), 'Carl Client')] }));
    expect(v?.evidence.decisions).toEqual(expect.arrayContaining([expect.objectContaining({ decision: 'approved', role: 'client', counted: false, why: `voided by changes requested from Carl Client at ${T(5, '15:00')}` })]));
  });

  it('with no version, says so', () => {
    const [v] = run(gate('delivered'), facts({ transitions: history }));
    expect(v).toMatchObject({ message: expect.stringMatching(/^Creative director and client approval missing before Delivered: no version yet/), evidence: { latestVersion: null, note: expect.stringMatching(/no version/) } });
  });

  it('applies to a stage skipped over (brief → delivered), gated before client_review or before delivered', () => {
    const skipped = facts({ transitions: [move(null, 'brief', T(1)), move('brief', 'delivered', T(2))], versions: versions(1) });
    for (const before of ['client_review', 'delivered']) {
      const [v] = run(gate(before), skipped);
      expect(v).toMatchObject({ ruleId: 'approval-gate', revertTo: 'brief', evidence: { gate: before, crossedAt: T(2) } });
    }
  });

  it('never gates a side stage, nor a stage before the gate', () => {
    for (const stage of ['on_hold', 'cancelled', 'internal_review', null]) expect(run(gate('client_review'), facts({ stage, versions: versions(1) }))).toEqual([]);
  });

  it('moves back to the pipeline stage before the gate when the history does not say', () => {
    expect(run(gate('delivered'), facts({ transitions: [], versions: versions(1) }))[0]?.revertTo).toBe('approved');
  });

  it('in preview, says it would move back; with a flag action, does not mention moving', () => {
    const f = facts({ transitions: history, versions: versions(1), decisions: [cdOk(1)] });
    expect(run(gate('delivered', 'revert', '    mode: preview'), f)[0]?.message).toBe('Client approval missing on v1: client (approved | approved with changes) — would move back to Client review');
    expect(run(gate('delivered', 'flag'), f)[0]?.message).toBe('Client approval missing on v1: client (approved | approved with changes)');
  });
});

// --------------------------------------------------------------------------------- review_sla

describe('review_sla', () => {
  const cfg = config(`  - id: client-review-sla
    kind: review_sla
    stage: client_review
    business_days: 3
    escalate_to: [creative_director]
    action: comment`);
  // Friday 2 Oct 2026 14:00 BST.
  const entered = '2026-10-02T13:00:00.000Z';
  const inReview = facts({ stage: 'client_review', transitions: [move('in_progress', 'client_review', T(1)), move('client_review', 'in_progress', '2026-10-01T15:00:00.000Z'), move('in_progress', 'client_review', entered)] });
  const rule = compileRules(cfg)[0] as CompiledReviewSla;
  const ctx = (now: string): EvalContext => ({ now, timezone: 'Europe/London', calendar: cfg.workspace.calendar, pipeline: cfg.workspace.pipeline });

  it.each([
    ['running on Monday: nothing to report yet', '2026-10-05T12:00:00.000Z', 'running'],
    ['half the SLA gone on Tuesday: reminder due', '2026-10-06T09:00:00.000Z', 'reminder_due'],
    ['3 business days later, Wednesday 14:00 local: overdue', '2026-10-07T13:00:00.000Z', 'overdue'],
  ] as const)('%s', (_what, now, state) => {
    const sla = slaSchedule(inReview, rule, ctx(now));
    // From the latest entry into the stage; Friday 14:00 + 1.5 business days = Tuesday 02:00 local; + 3 = Wednesday 14:00 local.
    expect(sla).toEqual({ stage: 'client_review', enteredAt: entered, remindAt: '2026-10-06T01:00:00.000Z', deadlineAt: '2026-10-07T13:00:00.000Z', escalateTo: ['creative_director'], state });
    const v = run(cfg, inReview, now);
    if (state === 'running') expect(v).toEqual([]);
    else expect(v).toEqual([expect.objectContaining({ ruleId: 'client-review-sla', subject: 'asset', sla, evidence: expect.objectContaining({ enteredAt: entered, businessDays: 3 }) })]);
  });

  it('says when it ran out, in local time, and whom to escalate to', () => {
    const [v] = run(cfg, inReview, '2026-10-08T09:00:00.000Z');
    // Friday 14:00 → Thursday 10:00 local: 10 h of Friday, Monday to Wednesday, 10 h of Thursday.
    expect(v).toMatchObject({ message: 'Client review overdue: 3 business days from Fri 2 Oct 14:00 ran out Wed 7 Oct 14:00 (Europe/London)', fix: 'Escalate to creative director, and get a decision or move it on', evidence: { elapsedBusinessDays: 3.833 } });
  });

  it('is not evaluated outside the stage, or with no entry into it in the history', () => {
    expect(slaSchedule({ ...inReview, stage: 'approved' }, rule, ctx(T(20)))).toBeNull();
    expect(run(cfg, { ...inReview, stage: 'approved' })).toEqual([]);
    expect(slaSchedule({ ...inReview, transitions: [] }, rule, ctx(T(20)))).toBeNull();
    expect(run(cfg, { ...inReview, transitions: [] })).toEqual([]);
  });

  it('counts fractional business days across the DST change', () => {
    const half = config(`  - { id: quick-look, kind: review_sla, stage: internal_review, business_days: 0.5, remind_at: 0.25 }`);
    const r = compileRules(half)[0] as CompiledReviewSla;
    // Friday 23 Oct 18:00 BST: 6 hours of Friday left, then Monday (GMT) from 00:00; half a day = 12 h → Monday 06:00 GMT.
    const f = facts({ stage: 'internal_review', transitions: [move('in_progress', 'internal_review', '2026-10-23T17:00:00.000Z')] });
    expect(slaSchedule(f, r, { ...ctx(T(24)), calendar: half.workspace.calendar })).toMatchObject({ remindAt: '2026-10-23T20:00:00.000Z', deadlineAt: '2026-10-26T06:00:00.000Z', state: 'reminder_due', escalateTo: [] });
  });
});

// ------------------------------------------------------------------------------ revision_cap

describe('revision_cap', () => {
  const cfg = config('  - { id: scope-creep, kind: revision_cap, max_rounds: 2, action: flag }');
  const round = (day: number, from = 'client_review', to = 'in_progress') => [move('in_progress', from, T(day)), move(from, to, T(day, '16:00'))];

  it.each([
    ['under the cap', [...round(1)], 0],
    ['exactly at the cap', [...round(1), ...round(3, 'internal_review')], 0],
    ['above the cap, back to brief counts too', [...round(1), ...round(3, 'internal_review'), ...round(5, 'client_review', 'brief')], 1],
    ['a move forward or to on hold is not a round', [...round(1), ...round(3), move('client_review', 'approved', T(6)), move('approved', 'on_hold', T(7)), move('client_review', 'on_hold', T(8))], 0],
  ] as const)('%s', (_what, transitions, n) => {
    expect(run(cfg, facts({ transitions: [...transitions].reverse() }))).toHaveLength(n);
  });

  it('lists the round times, oldest first', () => {
    const [v] = run(cfg, facts({ transitions: [...round(5), ...round(1), ...round(3)] }));
    expect(v).toMatchObject({ message: '3 revision rounds, 1 over the cap of 2', evidence: { rounds: 3, maxRounds: 2, roundTimes: [T(1, '16:00'), T(3, '16:00'), T(5, '16:00')].map((at) => ({ at, from: 'client_review', to: 'in_progress' })) } });
  });
});

// ---------------------------------------------------------------------------- required_fields

describe('required_fields', () => {
  const cfg = config('  - { id: brief-complete, kind: required_fields, before: in_progress, fields: [owner, due_date, "Brief link"], action: comment }');
  const complete: Partial<AssetFacts> = { stage: 'in_progress', ownerId: 'u1', dueOn: '2026-10-30', fields: { 'Brief link': 'https://docs.example/brief' } };

  it.each<[string, Partial<AssetFacts>, string[]]>([
    ['all there', {}, []],
    ['no owner', { ownerId: null }, ['owner']],
    ['no due date', { dueOn: null }, ['due_date']],
    ['an empty custom field', { fields: { 'Brief link': '' } }, ['Brief link']],
    ['a custom field with blanks only', { fields: { 'Brief link': '  ' } }, ['Brief link']],
    ['an empty list', { fields: { 'Brief link': [] } }, ['Brief link']],
    ['a null field', { fields: { 'Brief link': null } }, ['Brief link']],
    ['no such field on the task', { fields: {} }, ['Brief link']],
    ['the field named in another case counts', { fields: { 'brief LINK': 'x' } }, []],
    ['false and 0 are values', { fields: { 'Brief link': 0 } }, []],
    ['everything missing', { ownerId: null, dueOn: null, fields: {} }, ['owner', 'due_date', 'Brief link']],
  ])('%s', (_what, o, missing) => {
    const v = run(cfg, facts({ ...complete, ...o }));
    expect(v.flatMap((x) => (x.evidence.missing as { field: string }[]).map((m) => m.field))).toEqual(missing);
  });

  it('applies from the stage on, past it too, and never to a side stage or an earlier stage', () => {
    const empty = { ownerId: null, dueOn: null, fields: {} };
    expect(run(cfg, facts({ ...empty, stage: 'delivered' }))[0]).toMatchObject({ message: 'Missing at Delivered (required from In progress): owner, due date, Brief link', fix: 'Fill in owner, due date, Brief link' });
    for (const stage of ['brief', 'on_hold', 'cancelled', null]) expect(run(cfg, facts({ ...empty, stage }))).toEqual([]);
  });

  it('names fields no synced task has, for the CLI', () => {
    expect(unknownFields(cfg.rules, new Set(['brief link', 'Asset key']))).toEqual([]);
    expect(unknownFields(cfg.rules, new Set(['Brief links', 'Asset key']))).toEqual([{ code: 'unknown_field', path: ['rules', 0, 'fields', 2], message: 'no synced task has a field "Brief link" (did you mean "Brief links"?)' }]);
  });
});

// ------------------------------------------------------------------------------------- naming

describe('naming', () => {
  type F = AssetFacts['files'][number];
  const file = (fileId: string, name: string, linkState: F['linkState'] = 'linked', suggestion: string | null = null, reason: string | null = null): F => ({ connectionId: 'agency-drive', fileId, name, linkState, suggestion, reason });

  it('flags a misnamed file with its corrected name, and lets a Google Doc without extension pass ([.{ext}])', () => {
    const cfg = config('  - { id: file-naming, kind: naming, target: files, action: comment }');
    const v = run(cfg, facts({
      files: [
        file('f1', 'ACME_HOLIDAY_BANNER-300x250_v03.psd'),
        file('f2', 'ACME_HOLIDAY_BANNER-300x250_v04'),
        file('f3', 'acme holiday banner 300x250 v5.psd', 'misnamed', 'ACME_HOLIDAY_BANNER-300x250_v05.psd', 'does not follow …'),
        file('f4', 'ACME_HOLIDAY_BANER-300x250_v06.psd', 'misnamed', null, null),
      ],
    }));
    expect(v.map((x) => [x.subject, x.fix])).toEqual([
      ['file:agency-drive/f3', 'ACME_HOLIDAY_BANNER-300x250_v05.psd'],
      ['file:agency-drive/f4', null],
    ]);
    expect(v[0]).toMatchObject({ kind: 'naming', message: 'File "acme holiday banner 300x250 v5.psd" is misnamed: does not follow … — should be "ACME_HOLIDAY_BANNER-300x250_v05.psd"', evidence: { suggestionFrom: 'linking' } });
  });

  it('parses every file under a rule’s own pattern, with the rule’s corrected name', () => {
    const cfg = config(`  - id: strict-naming
    kind: naming
    pattern: "{client}_{campaign}_{asset}-{size}_v{version}.{ext}"
    parts: { size: '\\d+x\\d+' }`);
    const v = run(cfg, facts({ files: [file('doc', 'ACME_HOLIDAY_BANNER-300x250_v03'), file('ok', 'ACME_HOLIDAY_BANNER-300x250_v03.psd'), file('case', 'acme_holiday_banner-300x250_v3.psd')] }));
    expect(v.map((x) => [x.subject, x.fix])).toEqual([
      ['file:agency-drive/case', 'ACME_HOLIDAY_BANNER-300x250_v03.psd'],
      ['file:agency-drive/doc', null],
    ]);
    expect(v[1]?.message).toMatch(/expected "\." after "ACME_HOLIDAY_BANNER-300x250_v03"/);
  });

  it('checks asset keys (or names when there is no key) on target assets', () => {
    const cfg = config('  - { id: key-naming, kind: naming, target: assets }');
    expect(run(cfg, facts())).toEqual([]);
    expect(run(cfg, facts({ key: 'acme_holiday_banner_300x250' }))[0]).toMatchObject({ subject: 'asset', fix: 'ACME_HOLIDAY_BANNER-300x250', message: expect.stringMatching(/^Asset key "acme_holiday_banner_300x250" does not follow/) });
    expect(run(cfg, facts({ key: null, name: 'ACME_HOLIDAY_BANNER-300x250_v02' }))).toEqual([]);
    expect(run(cfg, facts({ key: null, name: 'Holiday banner' }))[0]).toMatchObject({ fix: null, evidence: { name: 'Holiday banner' } });
  });

  it('skips files on a connection where the rule is off', () => {
    const cfg = config('  - { id: file-naming, kind: naming, connections: { agency-drive: off } }');
    expect(run(cfg, facts({ files: [file('f3', 'x', 'misnamed', 'y')] }))).toEqual([]);
  });
});

// -------------------------------------------------------------------------- scope, modes, order

describe('scope, modes and order', () => {
  const rule = (id: string, extra = '') => `  - { id: ${id}, kind: required_fields, before: brief, fields: [owner]${extra} }`;
  const orphan = facts({ ownerId: null });

  it.each<[string, string, Partial<AssetFacts>, boolean]>([
    ['no scope: everything', '', {}, true],
    ['project by name, any case', ', scope: { projects: ["acme holiday 2026"] }', {}, true],
    ['project by the tool’s id', ', scope: { projects: ["1200001"] }', {}, true],
    ['another project', ', scope: { projects: [Globex] }', {}, false],
    ['no project', ', scope: { projects: [Globex] }', { project: null }, false],
    ['asset type', ', scope: { asset_types: [banner, video] }', {}, true],
    ['another asset type', ', scope: { asset_types: [video] }', {}, false],
    ['stage', ', scope: { stages: [delivered] }', {}, true],
    ['all lists must match', ', scope: { asset_types: [banner], stages: [brief] }', {}, false],
  ])('%s', (_what, extra, o, applies) => {
    expect(run(config(rule('r', extra)), { ...orphan, ...o })).toHaveLength(applies ? 1 : 0);
  });

  it('resolves the mode: rule per connection, rule, enforcement per connection, enforcement', () => {
    const cfg = config(
      [rule('plain'), rule('own-mode', ', mode: enforce'), rule('per-conn', ', mode: enforce, connections: { agency-asana: off }')].join('\n'),
      'enforcement: { mode: preview, connections: { agency-asana: off, agency-drive: enforce } }',
    );
    const [plain, own, perConn] = compileRules(cfg);
    expect([plain, own, perConn].map((r) => [modeFor(r!, 'agency-asana'), modeFor(r!, 'agency-drive'), modeFor(r!, 'other')])).toEqual([
      ['off', 'enforce', 'preview'],
      ['enforce', 'enforce', 'enforce'],
      ['off', 'enforce', 'enforce'],
    ]);
    // Off rules are compiled but not evaluated.
    expect(run(cfg, orphan).map((v) => v.ruleId)).toEqual(['own-mode']);
    expect(cfg.enforcement).toEqual({ mode: 'preview', ops_status_field: 'Ops status', connections: { 'agency-asana': 'off', 'agency-drive': 'enforce' } });
  });

  it('sorts by rule id, then subject, whatever the config order', () => {
    const cfg = config([rule('zeta'), '  - { id: alpha, kind: naming }', rule('mid')].join('\n'));
    const f = { ...orphan, files: ['f2', 'f1'].map((fileId) => ({ connectionId: 'agency-drive', fileId, name: 'x', linkState: 'misnamed' as const, suggestion: null, reason: null })) };
    expect(run(cfg, f).map((v) => `${v.ruleId} ${v.subject}`)).toEqual(['alpha file:agency-drive/f1', 'alpha file:agency-drive/f2', 'mid asset', 'zeta asset']);
  });
});
