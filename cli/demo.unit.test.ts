// The demo's stageline.yaml: the repository's file, pointed at the simulators where an environment
// variable cannot say it (board-keyed stage sources, the campaigns each tool runs), still checked by
// parseConfig like any file.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, type MondayConnectionConfig, type NotionConnectionConfig } from '../mapping/config';
import { demoConfigText, demoProjects, splitCampaigns } from './demo';

const shipped = readFileSync(fileURLToPath(new URL('../stageline.yaml', import.meta.url)), 'utf8');
const env = {
  ASANA_TOKEN: 'sim-token', ASANA_WORKSPACE: '1000', ASANA_BASE_URL: 'http://127.0.0.1:4010/api/1.0',
  DRIVE_TOKEN: 'sim-token', DRIVE_SHARED_DRIVE: '0ADlITtxVptg4Uk9PVA', DRIVE_FOLDER: '1RnD_iz9aaaaaaaaaaaa', DRIVE_BASE_URL: 'http://127.0.0.1:4020/',
  MONDAY_TOKEN: 'sim-token', MONDAY_WORKSPACE: '3000001', MONDAY_API_URL: 'http://127.0.0.1:4030/v2',
  NOTION_TOKEN: 'sim-token', NOTION_DATABASE: '0f1e2d3c-4b5a-4978-8a1b-000000000001', NOTION_API_URL: 'http://127.0.0.1:4040',
};
const databases = ['0f1e2d3c-4b5a-4978-8a1b-000000000003', '0f1e2d3c4b5a49788a1b000000000004'];
const boards = [
  { id: '9100001001', stageSource: 'status' as const },
  { id: '9100001003', stageSource: 'group' as const },
  { id: '9100001005', stageSource: 'status' as const },
];

describe('the demo configuration', () => {
  it('names the simulator\'s boards, gives each group-staged board its own entry with the file\'s map, and leaves the Asana connection the other campaigns', () => {
    const cfg = parseConfig(demoConfigText(shipped, { mondayBoards: boards, notionDatabases: databases, asanaProjects: ['501', '502'] }), env);
    const monday = cfg.connections.find((c) => c.vendor === 'monday') as MondayConnectionConfig;
    expect(monday.boards).toEqual(boards.map((b) => b.id));
    expect(monday.workspaces).toBeUndefined();
    const star = monday.stage['*'];
    expect(star).toMatchObject({ from: 'status_column', column: 'Stage' });
    expect(Object.keys(monday.stage).sort()).toEqual(['*', '9100001003']);
    expect(monday.stage['9100001003']).toEqual({ from: 'group', map: star!.map });
    expect(monday.base_url).toBe(env.MONDAY_API_URL);
    expect(cfg.connections.find((c) => c.vendor === 'asana')).toMatchObject({ projects: ['501', '502'] });
    // Notion lists the campaigns' databases (the last one without dashes, as in a URL: stored dashed), each read by the "*" Stage entry.
    const notion = cfg.connections.find((c) => c.vendor === 'notion') as NotionConnectionConfig;
    expect(notion.databases).toEqual(['0f1e2d3c-4b5a-4978-8a1b-000000000003', '0f1e2d3c-4b5a-4978-8a1b-000000000004']);
    expect(Object.keys(notion.stage)).toEqual(['*']);
    expect(notion.stage['*']).toMatchObject({ property: 'Stage', map: { Briefing: 'brief', Delivered: 'delivered' } });
    expect(notion.base_url).toBe(env.NOTION_API_URL);
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

  it('without simulated databases, the Notion connection keeps the file\'s database from NOTION_DATABASE, and the tools stay in the file\'s order with Notion before Drive', () => {
    const cfg = parseConfig(demoConfigText(shipped, { mondayBoards: boards }), env);
    expect((cfg.connections.find((c) => c.vendor === 'notion') as NotionConnectionConfig).databases).toEqual([env.NOTION_DATABASE]);
    expect(cfg.connections.map((c) => c.vendor)).toEqual(['asana', 'monday', 'notion', 'drive']);
  });

  it('splits the agency into enough campaigns for every task tool to hold some', () => {
    expect([demoProjects(50), demoProjects(300), demoProjects(1500)]).toEqual([4, 4, 10]);
  });

  it('gives each campaign to one tool: monday.com two boards or more (a status column and groups), Notion and Asana the rest', () => {
    const all = { monday: true, notion: true };
    expect(splitCampaigns(4, all)).toEqual({ monday: 2, notion: 1, asana: 1 });
    expect(splitCampaigns(10, all)).toEqual({ monday: 4, notion: 3, asana: 3 });
    expect(splitCampaigns(3, all)).toEqual({ monday: 1, notion: 1, asana: 1 });
    for (const n of [3, 4, 5, 6, 7, 10, 25]) {
      const s = splitCampaigns(n, all);
      expect({ n, sum: s.monday + s.notion + s.asana, someEach: Math.min(s.monday, s.notion, s.asana) >= 1 }).toEqual({ n, sum: n, someEach: true });
    }
    // A tool synced for real (its token set) takes no simulated campaigns.
    expect(splitCampaigns(4, { monday: true, notion: false })).toEqual({ monday: 2, notion: 0, asana: 2 });
    expect(splitCampaigns(5, { monday: false, notion: true })).toEqual({ monday: 0, notion: 2, asana: 3 });
    expect(splitCampaigns(4, { monday: false, notion: false })).toEqual({ monday: 0, notion: 0, asana: 4 });
    expect(() => splitCampaigns(0, all)).toThrow(/projects: expected an integer ≥ 1/);
  });
});
