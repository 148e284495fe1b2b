// The demo's stageline.yaml: the repository's file, pointed at the simulators where an environment
// variable cannot say it (board-keyed stage sources, the campaigns each tool runs), still checked by
// parseConfig like any file.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, type MondayConnectionConfig } from '../mapping/config';
import { demoConfigText, demoProjects } from './demo';

const shipped = readFileSync(fileURLToPath(new URL('../stageline.yaml', import.meta.url)), 'utf8');
const env = {
  ASANA_TOKEN: 'sim-token', ASANA_WORKSPACE: '1000', ASANA_BASE_URL: 'http://127.0.0.1:4010/api/1.0',
  DRIVE_TOKEN: 'sim-token', DRIVE_SHARED_DRIVE: '0ADlITtxVptg4Uk9PVA', DRIVE_FOLDER: '1RnD_iz9aaaaaaaaaaaa', DRIVE_BASE_URL: 'http://127.0.0.1:4020/',
  MONDAY_TOKEN: 'sim-token', MONDAY_WORKSPACE: '3000001', MONDAY_API_URL: 'http://127.0.0.1:4030/v2',
};
const boards = [
  { id: '9100001001', stageSource: 'status' as const },
  { id: '9100001003', stageSource: 'group' as const },
  { id: '9100001005', stageSource: 'status' as const },
];

describe('the demo configuration', () => {
  it('names the simulator\'s boards, gives each group-staged board its own entry with the file\'s map, and leaves the Asana connection the other campaigns', () => {
    const cfg = parseConfig(demoConfigText(shipped, { mondayBoards: boards, asanaProjects: ['501', '502'] }), env);
    const monday = cfg.connections.find((c) => c.vendor === 'monday') as MondayConnectionConfig;
    expect(monday.boards).toEqual(boards.map((b) => b.id));
    expect(monday.workspaces).toBeUndefined();
    const star = monday.stage['*'];
    expect(star).toMatchObject({ from: 'status_column', column: 'Stage' });
    expect(Object.keys(monday.stage).sort()).toEqual(['*', '9100001003']);
    expect(monday.stage['9100001003']).toEqual({ from: 'group', map: star!.map });
    expect(monday.base_url).toBe(env.MONDAY_API_URL);
    expect(cfg.connections.find((c) => c.vendor === 'asana')).toMatchObject({ projects: ['501', '502'] });
    // Everything else is the file's: the other connections, people, rules, reports.
    const plain = parseConfig(shipped, env);
    expect(cfg.connections.find((c) => c.vendor === 'drive')).toEqual(plain.connections.find((c) => c.vendor === 'drive'));
    expect({ people: cfg.people, rules: cfg.rules, enforcement: cfg.enforcement, reports: cfg.reports }).toEqual({ people: plain.people, rules: plain.rules, enforcement: plain.enforcement, reports: plain.reports });
  });

  it('gives status-staged boards their own entry when the file\'s "*" entry reads groups', () => {
    const text = shipped.replace(/"\*":\n {8}from: status_column\n {8}column: Stage\n/, '"*":\n        from: group\n');
    expect(text).not.toBe(shipped);
    const cfg = parseConfig(demoConfigText(text, { mondayBoards: boards }), env);
    const monday = cfg.connections.find((c) => c.vendor === 'monday') as MondayConnectionConfig;
    expect(Object.keys(monday.stage).sort()).toEqual(['*', '9100001001', '9100001005']);
    expect(monday.stage['9100001001']).toMatchObject({ from: 'status_column', column: 'Stage' });
    expect(cfg.connections.find((c) => c.vendor === 'asana')).toMatchObject({ projects: 'all' });
  });

  it('is still validated: a stage source for a board the connection does not sync fails at its path', () => {
    const text = demoConfigText(shipped, { mondayBoards: boards }).replace('"9100001003":', '"9100009999":');
    expect(() => parseConfig(text, env)).toThrow(ConfigError);
    try {
      parseConfig(text, env);
    } catch (err) {
      expect((err as ConfigError).issues.map((i) => i.path.join('.'))).toContain('connections.1.stage.9100009999');
    }
  });

  it('splits the agency into enough campaigns for both task tools to hold some', () => {
    expect([demoProjects(50), demoProjects(300), demoProjects(1500)]).toEqual([4, 4, 10]);
  });
});
