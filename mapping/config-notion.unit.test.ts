// A Notion connection's schema in stageline.yaml: ids as users copy them from a database URL, the
// stage source per database, defaults, and errors at their paths.
import { describe, expect, it } from 'vitest';
import { ConfigError, NotionConnectionConfig, notionDashed, parseConfig } from './config';

const base = {
  id: 'agency-notion',
  vendor: 'notion',
  token: 'ntn_secret',
  databases: ['1f2e3d4c5b6a79881f2e3d4c5b6a7988'],
  stage: { '*': { property: 'Stage', map: { Briefing: 'brief', Approved: 'approved' } } },
};

describe('a Notion connection in stageline.yaml', () => {
  it('reads a database id copied from its URL (no dashes, any case) in the dashed form the API answers with, and fills in defaults', () => {
    const c = NotionConnectionConfig.parse({ ...base, databases: ['1F2E3D4C5B6A79881F2E3D4C5B6A7988', '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9'] });
    expect(c.databases).toEqual(['1f2e3d4c-5b6a-7988-1f2e-3d4c5b6a7988', '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9']);
    expect(c).toMatchObject({ notion_version: '2025-09-03', rate_limit_per_minute: 180, max_concurrency: 3, overlap: '5m', schedule: { every: '15m', full_every: 24 } });
    expect(c.data_sources).toBeUndefined();
    expect(c.stage['*']).toEqual({ property: 'Stage', map: { Briefing: 'brief', Approved: 'approved' } });
  });

  it('names the path of every bad value', () => {
    const r = NotionConnectionConfig.safeParse({
      ...base,
      databases: ['not-a-database'],
      stage: { '*': { property: '', map: { Briefing: 'Brief Stage' } } },
      notion_version: '2022-06-28',
      base_url: 'api.notion.com',
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['base_url', 'databases.0', 'notion_version', 'stage.*.map.Briefing', 'stage.*.property']);
    expect(r.error!.issues.find((i) => i.path.join('.') === 'databases.0')!.message).toMatch(/32 hex digits/);
  });

  it('needs at least one database and refuses unknown keys', () => {
    const r = NotionConnectionConfig.safeParse({ ...base, databases: [], pages: ['x'] });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.') || i.message).sort()).toEqual(expect.arrayContaining(['databases']));
    expect(r.error!.issues.some((i) => i.code === 'unrecognized_keys')).toBe(true);
  });

  it('looks for trashed pages on every sync unless told to leave them to the reconciliation crawl', () => {
    expect(NotionConnectionConfig.parse(base).trash_check).toBe('every_sync');
    expect(NotionConnectionConfig.parse({ ...base, trash_check: 'reconcile' }).trash_check).toBe('reconcile');
    const r = NotionConnectionConfig.safeParse({ ...base, trash_check: 'never' });
    expect(r.error!.issues.map((i) => i.path.join('.'))).toEqual(['trash_check']);
  });

  it('dashes a 32-digit id and leaves a dashed one alone', () => {
    expect(notionDashed('00112233445566778899aabbccddeeff')).toBe('00112233-4455-6677-8899-aabbccddeeff');
    expect(notionDashed('00112233-4455-6677-8899-aabbccddeeff')).toBe('00112233-4455-6677-8899-aabbccddeeff');
  });
});

// The whole file through parseConfig: a Notion connection joins the connections list, and the
// cross-field checks that need no API call name their paths (what needs the live schema is checked at
// plan time and by `config check --live`: test/integration/notion.integration.test.ts "bad input").
const env = { NOTION_TOKEN: 'ntn_123' };
const DB1 = '1f2e3d4c5b6a79881f2e3d4c5b6a7988';
const DB2 = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const file = (connection: string) => `
version: 1
connections:
  - id: agency-notion
    vendor: notion
    token: \${NOTION_TOKEN}
${connection}
`;

function problems(text: string) {
  try {
    parseConfig(text, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw err;
  }
  return [];
}

describe('stageline.yaml with a Notion connection', () => {
  it('parses into the connections list with its vendor, ids dashed, stage per database', () => {
    const cfg = parseConfig(file(`    databases: ["${DB1}", "${DB2}"]\n    stage:\n      "${DB1}": { property: Stage, map: { Briefing: brief } }\n      "*": { property: Status, map: { Done: delivered } }\n    reconcile_every: 1d`), env);
    const c = cfg.connections[0] as NotionConnectionConfig;
    expect(c.vendor).toBe('notion');
    expect(c.databases).toEqual([notionDashed(DB1), notionDashed(DB2)]);
    expect(c.token).toBe('ntn_123');
    expect(c.reconcile_every).toBe('1d');
  });

  it('lists notion among the vendors when the vendor is unknown', () => {
    const p = problems(`
version: 1
connections:
  - id: x
    vendor: airtable
    token: \${NOTION_TOKEN}
`);
    expect(p.find((i) => i.path === 'connections.0.vendor')?.message).toBe('unknown vendor (expected: asana, drive, monday, notion)');
  });

  it('rejects a stage entry for a database the connection does not list, with its path', () => {
    const p = problems(file(`    databases: ["${DB1}"]\n    stage:\n      "${DB1}": { property: Stage, map: { Briefing: brief } }\n      "${DB2}": { property: Stage, map: { Briefing: brief } }`));
    expect(p).toEqual([{ path: `connections.0.stage.${DB2}`, message: expect.stringMatching(/connection "agency-notion": .* is not one of its databases or data sources/) }]);
  });

  it('accepts a stage entry keyed by a listed data source, in either id form', () => {
    const ds = '00112233445566778899aabbccddeeff';
    expect(problems(file(`    databases: ["${DB1}"]\n    data_sources: ["${ds}"]\n    stage:\n      "${notionDashed(ds)}": { property: Stage, map: { Briefing: brief } }`))).toEqual([]);
  });

  it('rejects a database without a stage source when there is no "*" entry', () => {
    const p = problems(file(`    databases: ["${DB1}", "${DB2}"]\n    stage:\n      "${DB1}": { property: Stage, map: { Briefing: brief } }`));
    expect(p).toEqual([{ path: 'connections.0.databases.1', message: expect.stringMatching(/database 0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9 has no stage source/) }]);
  });

  it('rejects an overlap under a minute, since last_edited_time is kept to the minute', () => {
    const p = problems(file(`    databases: ["${DB1}"]\n    stage: { "*": { property: Stage, map: { Briefing: brief } } }\n    overlap: 30s`));
    expect(p).toEqual([{ path: 'connections.0.overlap', message: expect.stringMatching(/shorter than a minute/) }]);
  });

  it('rejects a stage map naming a stage outside the pipeline, at the map entry', () => {
    const p = problems(file(`    databases: ["${DB1}"]\n    stage: { "*": { property: Stage, map: { Briefing: drafting } } }`));
    expect(p).toEqual([{ path: 'connections.0.stage.*.map.Briefing', message: expect.stringMatching(/"drafting" is not a stage of the pipeline/) }]);
  });
});
