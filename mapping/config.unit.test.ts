import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config';
import { createNaming } from './naming';

const env = { ASANA_TOKEN: 't0k3n', ASANA_WORKSPACE: '1000' };
const good = `
version: 1
workspace: { name: Northwind, timezone: Europe/London }
people:
  - { email: cd@northwind.example, roles: [creative_director] }
connections:
  - id: agency-asana
    vendor: asana
    token: \${ASANA_TOKEN}
    workspace: \${ASANA_WORKSPACE}
    base_url: \${ASANA_BASE_URL:-}
    stage:
      map: { Briefing: brief, In Production: in_progress }
`;

function problems(text: string, e: Record<string, string | undefined> = env) {
  try {
    parseConfig(text, e);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => ({ path: i.path.join('.'), code: i.code, line: i.line, message: i.message }));
    throw err;
  }
  return [];
}

describe('stageline.yaml', () => {
  it('reads a valid file, with secrets from the environment and defaults filled in', () => {
    const cfg = parseConfig(good, env);
    const c = cfg.connections[0]!;
    expect(c).toMatchObject({ id: 'agency-asana', token: 't0k3n', workspace: '1000', projects: 'all', rate_limit_per_minute: 1500, stage: { source: { from: 'section' } } });
    expect(c.base_url).toBeUndefined();
    expect(cfg.workspace.pipeline).toEqual(['brief', 'in_progress', 'internal_review', 'client_review', 'approved', 'delivered']);
    expect(c.schedule).toEqual({ every: '15m', catchup_window: '15m', full_every: 24, paused: false });
  });

  it('lists every error at once, each with its path and line', () => {
    const bad = `
workspace: { timezone: Mars/Olympus }
people:
  - { email: not-an-email, roles: [Creative Director] }
connections:
  - id: Agency Asana
    vendor: asana
    token: plain-text-token
    workspace: ACME
    projects: [abc]
    stage:
      map: { Briefing: briefing }
    surprise: true
  - id: other
    vendor: trello
`;
    const p = problems(bad, {});
    const paths = p.map((x) => x.path);
    expect(paths).toEqual(expect.arrayContaining([
      'workspace.timezone', 'people.0.email', 'people.0.roles.0', 'connections.0.id', 'connections.0.token',
      'connections.0.workspace', 'connections.0.projects.0', 'connections.0', 'connections.1.vendor', 'connections.0.stage.map.Briefing',
    ]));
    expect(p.find((x) => x.path === 'connections.0.token')).toMatchObject({ code: 'secret_in_file', line: 8 });
    expect(p.find((x) => x.path === 'connections.0')?.message).toMatch(/surprise/);
    expect(p.find((x) => x.path === 'connections.1.vendor')?.message).toMatch(/unknown vendor/);
    expect(p.every((x) => typeof x.line === 'number')).toBe(true);
  });

  it('names the environment variable that is missing', () => {
    expect(problems(good, { ASANA_WORKSPACE: '1' })).toEqual([expect.objectContaining({ path: 'connections.0.token', code: 'env_missing', message: 'environment variable ASANA_TOKEN is not set' })]);
  });

  it('refuses a stage that is not in the pipeline, and duplicate connection ids', () => {
    const text = good.replace('In Production: in_progress', 'In Production: wip') + good.split('connections:')[1]!.replace(/^/, '');
    const p = problems(text);
    expect(p).toEqual(expect.arrayContaining([
      expect.objectContaining({ path: 'connections.0.stage.map.In Production', message: expect.stringMatching(/"wip" is not a stage/) }),
      expect.objectContaining({ path: 'connections.1.id', message: expect.stringMatching(/duplicate connection id/) }),
    ]));
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problems('connections:\n  - id: [unclosed\n')).toEqual([expect.objectContaining({ code: 'yaml_syntax', line: expect.any(Number) })]);
  });
});

describe('stageline.yaml: workspace.linking', () => {
  const withLinking = (linking: string) => good.replace('workspace: { name: Northwind, timezone: Europe/London }', `workspace:\n  name: Northwind\n  timezone: Europe/London\n  linking:\n${linking}`);

  it('is optional, and reads a naming pattern with its key and part regexes', () => {
    expect(parseConfig(good, env).workspace.linking).toBeUndefined();
    const cfg = parseConfig(withLinking(`    naming:
      pattern: "{client}_{campaign}_{asset}-{size}_v{version}[.{ext}]"
      key: "{client}_{campaign}_{asset}-{size}"
      parts: { size: '\\d+x\\d+|A\\d' }
`), env);
    expect(cfg.workspace.linking?.naming).toEqual({ pattern: '{client}_{campaign}_{asset}-{size}_v{version}[.{ext}]', key: '{client}_{campaign}_{asset}-{size}', parts: { size: '\\d+x\\d+|A\\d' } });
    const naming = createNaming(cfg.workspace.linking!.naming);
    expect(naming.parseName('ACME_HOLIDAY_PRINT-A4_v02')).toMatchObject({ ok: true, key: 'ACME_HOLIDAY_PRINT-A4', version: 2 });
  });

  it('reports an invalid pattern, key or part regex at its path and line, with the other problems of the file', () => {
    const p = problems(withLinking(`    naming:
      pattern: "{client}_{campain}_{asset}-{size}_v{version}.{ext"
      key: "{client}_{campaign}_{asset}-{size}"
      parts:
        size: '(\\d+)x(\\d+)'
`).replace('timezone: Europe/London', 'timezone: Mars/Olympus'));
    expect(p).toEqual(expect.arrayContaining([
      expect.objectContaining({ path: 'workspace.timezone', line: 5 }),
      expect.objectContaining({ path: 'workspace.linking.naming.pattern', line: 8, message: 'unbalanced braces: the "{" at character 46 is not closed' }),
      expect.objectContaining({ path: 'workspace.linking.naming.parts.size', line: 11, message: expect.stringMatching(/capturing group/) }),
    ]));
    const unknown = problems(withLinking(`    naming: { pattern: "{client}_{campain}_v{version}.{ext}", key: "{client}_{size}" }\n    fuzzy: true\n`));
    expect(unknown).toEqual(expect.arrayContaining([
      expect.objectContaining({ path: 'workspace.linking.naming.pattern', line: 7, message: expect.stringMatching(/unknown placeholder \{campain\}/) }),
      expect.objectContaining({ path: 'workspace.linking.naming.key', line: 7, message: expect.stringMatching(/the key uses \{size\}, which the pattern does not have/) }),
      expect.objectContaining({ path: 'workspace.linking', message: expect.stringMatching(/fuzzy/) }),
    ]));
  });

  it('requires both a pattern and a key', () => {
    expect(problems(withLinking(`    naming: { pattern: "{client}_v{version}.{ext}" }\n`))).toEqual([expect.objectContaining({ path: 'workspace.linking.naming.key', code: 'invalid_type' })]);
  });
});

describe('stageline.yaml: a Drive connection', () => {
  const drive = (body: string) => `${good}  - id: agency-drive
    vendor: drive
    token: \${DRIVE_TOKEN}
${body}`;
  const denv = { ...env, DRIVE_TOKEN: 'ya29.x' };

  it('reads folders and shared drives, with the default quota and the token from the environment', () => {
    const cfg = parseConfig(drive('    folders: ["1RnD_iz9abcdefghij"]\n    shared_drives: ["0ADlITtxVptg4Uk9PVA"]\n'), denv);
    expect(cfg.connections[1]).toMatchObject({ id: 'agency-drive', vendor: 'drive', token: 'ya29.x', folders: ['1RnD_iz9abcdefghij'], shared_drives: ['0ADlITtxVptg4Uk9PVA'], rate_limit_per_minute: 12000 });
    expect(cfg.workspace.linking).toBeUndefined();
  });

  it('needs at least one folder or shared drive, and names a malformed id at its path', () => {
    expect(problems(drive('    folders: []\n'), denv)).toEqual([expect.objectContaining({ path: 'connections.1.folders', message: expect.stringMatching(/at least one folder or shared drive/) })]);
    expect(problems(drive('    folders: ["https://drive.google.com/drive/folders/1RnD"]\n'), denv)).toEqual([
      expect.objectContaining({ path: 'connections.1.folders.0', message: expect.stringMatching(/a Google Drive id/) }),
    ]);
  });

  it('refuses a token written in the file', () => {
    expect(problems(drive('    folders: ["1RnD_iz9abcdefghij"]\n').replace('${DRIVE_TOKEN}', 'ya29.literal'), denv)).toEqual([
      expect.objectContaining({ path: 'connections.1.token', code: 'secret_in_file' }),
    ]);
  });
});

describe('stageline.yaml: rules, enforcement and the calendar', () => {
  const withRules = (rules: string, extra = '') => `${good}${extra}rules:\n${rules}`;

  it('defaults to no rules, preview mode, an "Ops status" field and a Monday–Friday week', () => {
    const cfg = parseConfig(good, env);
    expect(cfg.rules).toEqual([]);
    expect(cfg.enforcement).toEqual({ mode: 'preview', ops_status_field: 'Ops status', connections: {} });
    expect(cfg.workspace.calendar).toEqual({ workdays: ['mon', 'tue', 'wed', 'thu', 'fri'], holidays: [] });
  });

  it('reads every kind of rule, with their defaults', () => {
    const cfg = parseConfig(
      withRules(
        `  - { id: file-naming, kind: naming, pattern: "{client}_{asset}_v{version}[.{ext}]", key: "{client}_{asset}", action: comment, mode: enforce }
  - id: client-approval-before-delivery
    kind: approval_gate
    before: delivered
    require: { creative_director: [approved], client: [approved, approved_with_changes] }
    action: revert
    scope: { projects: [Holiday], stages: [delivered, approved] }
  - { id: client-review-sla, kind: review_sla, stage: client_review, business_days: 0.5, escalate_to: [creative_director] }
  - { id: scope-creep, kind: revision_cap, max_rounds: 3 }
  - { id: brief_complete, kind: required_fields, before: in_progress, fields: [owner, due_date, Brief link], connections: { agency-asana: enforce } }
`,
        'enforcement: { mode: enforce, ops_status_field: Stageline, connections: { agency-asana: preview } }\n',
      ).replace('timezone: Europe/London }', 'timezone: Europe/London, calendar: { workdays: [sun, mon, tue, wed, thu], holidays: ["2026-12-25"] } }')
        .replace('roles: [creative_director] }', 'roles: [creative_director] }\n  - { domain: client.example, roles: [client] }'),
      env,
    );
    expect(cfg.rules.map((r) => [r.id, r.kind, r.action])).toEqual([
      ['file-naming', 'naming', 'comment'],
      ['client-approval-before-delivery', 'approval_gate', 'revert'],
      ['client-review-sla', 'review_sla', 'flag'],
      ['scope-creep', 'revision_cap', 'flag'],
      ['brief_complete', 'required_fields', 'flag'],
    ]);
    expect(cfg.rules[0]).toMatchObject({ target: 'files' });
    expect(cfg.rules[2]).toMatchObject({ business_days: 0.5, remind_at: 0.5 });
    expect(cfg.enforcement).toEqual({ mode: 'enforce', ops_status_field: 'Stageline', connections: { 'agency-asana': 'preview' } });
    expect(cfg.workspace.calendar).toEqual({ workdays: ['sun', 'mon', 'tue', 'wed', 'thu'], holidays: ['2026-12-25'] });
  });

  it('reports every rule problem at once, each at its exact path and line', () => {
    const p = problems(
      withRules(
        `  - { id: gate, kind: approval_gate, before: delivered, require: { client: [approved] } }
  - id: gate
    kind: approval_gate
    before: deliverd
    require: { creative_director: [approved], client_lead: [approved] }
  - { id: sla, kind: review_sla, stage: client_review, business_days: 2, escalate_to: [account_lead], action: revert }
  - { id: names, kind: naming, pattern: "{client}_{campain}_v{version}.{ext}", key: "{client}" }
  - { id: brief, kind: required_fields, before: in_progress, fields: [owner], connections: { agency-drive: enforce }, scope: { stages: [wip] } }
`,
        'enforcement: { connections: { agency-monday: off } }\n',
      ),
    );
    expect(p).toEqual(expect.arrayContaining([
      { path: 'rules.0.require.client', code: 'custom', line: 16, message: 'no person has the role "client" (roles: creative_director)' },
      { path: 'rules.1.id', code: 'custom', line: 17, message: 'duplicate rule id "gate" (also rules.0.id)' },
      { path: 'rules.1.before', code: 'custom', line: 19, message: expect.stringMatching(/^"deliverd" is not a stage of the pipeline \(brief, in_progress, .*on_hold, cancelled\)$/) },
      { path: 'rules.1.require.client_lead', code: 'custom', line: 20, message: 'no person has the role "client_lead" (roles: creative_director)' },
      { path: 'rules.2.escalate_to.0', code: 'custom', line: 21, message: expect.stringMatching(/no person has the role "account_lead"/) },
      { path: 'rules.2.action', code: 'custom', line: 21, message: 'revert is only for approval_gate rules (a review_sla rule can flag or comment)' },
      { path: 'rules.3.pattern', code: 'invalid_pattern', line: 22, message: expect.stringMatching(/unknown placeholder \{campain\}/) },
      { path: 'rules.4.connections.agency-drive', code: 'custom', line: 23, message: 'no connection "agency-drive" (connections: agency-asana)' },
      { path: 'rules.4.scope.stages.0', code: 'custom', line: 23, message: expect.stringMatching(/"wip" is not a stage/) },
      { path: 'enforcement.connections.agency-monday', code: 'custom', line: 14, message: 'no connection "agency-monday" (connections: agency-asana)' },
    ]));
    expect(p).toHaveLength(10);
  });

  it('reports schema errors in rules at their paths: unknown kind, bad values, unknown keys', () => {
    const p = problems(withRules(`  - { id: x, kind: deadline }
  - { id: Bad Id, kind: revision_cap, max_rounds: -1, surprise: 1 }
  - { id: sla, kind: review_sla, stage: client_review, business_days: 0, remind_at: 1 }
  - { id: gate, kind: approval_gate, before: delivered, require: { creative_director: [rejected] }, action: delete, mode: on }
`, 'enforcement: { mode: strict }\n').replace('timezone: Europe/London }', 'timezone: Europe/London, calendar: { workdays: [monday], holidays: ["25/12/2026"] } }'));
    expect(p.map((x) => x.path).sort()).toEqual([
      'enforcement.mode', 'rules.0.kind', 'rules.1', 'rules.1.id', 'rules.1.max_rounds', 'rules.2.business_days', 'rules.2.remind_at',
      'rules.3.action', 'rules.3.mode', 'rules.3.require.creative_director.0', 'workspace.calendar.holidays.0', 'workspace.calendar.workdays.0',
    ]);
    expect(p.find((x) => x.path === 'rules.0.kind')?.message).toBe('unknown rule kind (expected: naming, approval_gate, review_sla, revision_cap, required_fields)');
    expect(p.find((x) => x.path === 'rules.3.require.creative_director.0')?.message).toMatch(/changes_requested and rejected void an approval/);
    expect(p.every((x) => typeof x.line === 'number')).toBe(true);
  });

  it('checks a naming rule’s key and parts against the workspace pattern it inherits', () => {
    expect(problems(withRules('  - { id: names, kind: naming, key: "{client}_{brand}" }\n'))).toEqual([
      expect.objectContaining({ path: 'rules.0.key', code: 'invalid_pattern', message: expect.stringMatching(/the key uses \{brand\}, which the pattern does not have/) }),
    ]);
    expect(problems(withRules("  - { id: names, kind: naming, parts: { size: '(\\d+)x(\\d+)' } }\n"))).toEqual([
      expect.objectContaining({ path: 'rules.0.parts.size', message: expect.stringMatching(/capturing group/) }),
    ]);
    expect(problems(withRules('  - { id: names, kind: naming, pattern: "{client}_v{version}.{ext}" }\n'))).toEqual([
      expect.objectContaining({ path: 'rules.0.pattern', message: expect.stringMatching(/^this pattern does not fit the key the rule takes from the workspace, "{client}_{campaign}_{asset}-{size}" \(the key uses {campaign}, which the pattern does not have .*\): give the rule a key$/) }),
    ]);
  });
});
