// A Notion connection's schema in stageline.yaml: ids as users copy them from a database URL, the
// stage source per database, defaults, and errors at their paths.
import { describe, expect, it } from 'vitest';
import { NotionConnectionConfig, notionDashed } from './config';

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

  it('dashes a 32-digit id and leaves a dashed one alone', () => {
    expect(notionDashed('00112233445566778899aabbccddeeff')).toBe('00112233-4455-6677-8899-aabbccddeeff');
    expect(notionDashed('00112233-4455-6677-8899-aabbccddeeff')).toBe('00112233-4455-6677-8899-aabbccddeeff');
  });
});
