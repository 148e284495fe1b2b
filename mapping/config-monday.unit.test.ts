// stageline.yaml with a monday.com connection: what `config check` can tell without calling monday
// (what needs the live boards — unknown ids, columns, labels — is checked when a sync plans, with the
// same paths: test/integration/monday.integration.test.ts "bad input").
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, type MondayConnectionConfig } from './config';

const env = { MONDAY_TOKEN: 'eyJhbGciOi.monday' };
const yaml = (connection: string) => `
version: 1
connections:
  - id: agency-monday
    vendor: monday
    token: \${MONDAY_TOKEN}
${connection}
`;

function problems(text: string, e: Record<string, string | undefined> = env) {
  try {
    parseConfig(text, e);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => ({ path: i.path.join('.'), code: i.code, message: i.message }));
    throw err;
  }
  return [];
}

describe('a monday.com connection in stageline.yaml', () => {
  it('reads boards, a stage source per board and `*`, columns, decisions, the plan, with defaults filled in', () => {
    const cfg = parseConfig(
      yaml(`    boards: ["1234567890", "1234567891"]
    stage:
      "1234567890": { from: status_column, column: Stage, map: { Briefing: brief, Approved: approved } }
      "*": { from: group, map: { Briefing: brief } }
    columns: { owner: Owner, due: Due date, files: [Files] }
    decisions: { column: Decision, map: { Approved: approved, "Needs work": changes_requested } }
    plan: standard`),
      env,
    );
    const c = cfg.connections[0] as MondayConnectionConfig;
    expect(c).toMatchObject({
      vendor: 'monday', token: 'eyJhbGciOi.monday', boards: ['1234567890', '1234567891'], plan: 'standard', token_kind: 'personal',
      api_version: '2026-10', rate_limit_per_minute: 250, overlap: '5m', schedule: { every: '15m', full_every: 24 },
    });
    expect(c.stage['1234567890']).toEqual({ from: 'status_column', column: 'Stage', map: { Briefing: 'brief', Approved: 'approved' } });
    expect(c.daily_call_cap).toBeUndefined();
    expect(c.reconcile_every).toBeUndefined();
  });

  it('takes the boards of whole workspaces, with `*` for every board', () => {
    const cfg = parseConfig(yaml(`    workspaces: ["1000001"]\n    stage: { "*": { from: group, map: { Briefing: brief } } }\n    daily_call_cap: 5000\n    reconcile_every: 1d`), env);
    expect(cfg.connections[0]).toMatchObject({ workspaces: ['1000001'], daily_call_cap: 5000, reconcile_every: '1d' });
  });

  it('lists every problem it can see without monday, each at its path', () => {
    const p = problems(
      yaml(`    boards: ["1234567890", "board-2"]
    stage:
      "1234567899": { from: status_column, column: Stage, map: { Briefing: briefing_stage } }
      "1234567890": { from: status_column, map: { Briefing: brief } }
    plan: platinum
    api_version: 2027-01
    decisions: { map: { Approved: yes } }`),
    );
    const at = (path: string) => p.filter((x) => x.path === path).map((x) => x.message).join(' | ');
    expect(at('connections.0.boards.1')).toMatch(/a monday\.com id \(digits/);
    expect(at('connections.0.stage.1234567899')).toContain('connection "agency-monday": board 1234567899 has a stage source but is not one of its boards (1234567890, board-2)');
    expect(at('connections.0.stage.1234567899.map.Briefing')).toMatch(/"briefing_stage" is not a stage of the pipeline/);
    expect(at('connections.0.stage.1234567890.column')).not.toBe('');
    expect(at('connections.0.plan')).not.toBe('');
    expect(at('connections.0.api_version')).toContain('newer than 2026-10');
    expect(at('connections.0.decisions.map.Approved')).not.toBe('');
  });

  it('needs boards or workspaces, and a stage source for every listed board (or `*`)', () => {
    expect(problems(yaml(`    stage: { "*": { from: group, map: { Briefing: brief } } }`))).toEqual([
      { path: 'connections.0.boards', code: 'custom', message: 'connection "agency-monday": a monday.com connection needs boards: [<board id>] or workspaces: [<workspace id>]' },
    ]);
    expect(problems(yaml(`    boards: ["1234567890", "1234567891"]\n    stage: { "1234567890": { from: group, map: { Briefing: brief } } }`))).toEqual([
      { path: 'connections.0.boards.1', code: 'custom', message: 'connection "agency-monday": board 1234567891 has no stage source (add stage."1234567891", or a "*" entry for every board)' },
    ]);
  });

  it('refuses a literal token, and names monday among the vendors', () => {
    const literal = problems(`
connections:
  - { id: m, vendor: monday, token: eyJhbGciOi-literal, boards: ["1"], stage: { "*": { from: group, map: {} } } }
  - { id: x, vendor: trello, token: "\${MONDAY_TOKEN}" }
`);
    expect(literal).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'connections.0.token', code: 'secret_in_file' }),
        expect.objectContaining({ path: 'connections.1.vendor', message: 'unknown vendor (expected: asana, drive, monday, notion)' }),
      ]),
    );
  });

  it('an unset MONDAY_TOKEN is reported once, as that', () => {
    expect(problems(yaml(`    boards: ["1"]\n    stage: { "*": { from: group, map: {} } }`), {})).toEqual([
      { path: 'connections.0.token', code: 'env_missing', message: 'environment variable MONDAY_TOKEN is not set' },
    ]);
  });
});
