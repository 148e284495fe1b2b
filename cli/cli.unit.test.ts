// The command line as a user runs it: `npx stageline …` (the package's bin).
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('./bin.js', import.meta.url));
const run = async (args: string[], env: Record<string, string> = {}) => {
  try {
    const r = await promisify(execFile)(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

/** What the repository's stageline.yaml reads from the environment (ids shaped like the vendors' own). */
const shippedEnv = {
  ASANA_TOKEN: 'x', ASANA_WORKSPACE: '12345', DRIVE_TOKEN: 'y', DRIVE_SHARED_DRIVE: '0ADlITtxVptg4Uk9PVA', DRIVE_FOLDER: '1RnD_iz9aaaaaaaaaaaa',
  MONDAY_TOKEN: 'z', MONDAY_WORKSPACE: '1234567', NOTION_TOKEN: 'n', NOTION_DATABASE: '1f2e3d4c5b6a79881f2e3d4c5b6a7988',
};

describe('stageline config check', () => {
  it('accepts the repository\'s stageline.yaml once its environment is set', async () => {
    const r = await run(['config', 'check'], { ...shippedEnv, MONDAY_API_URL: '', MONDAY_PLAN: '', NOTION_API_URL: '' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK — 4 connection\(s\): agency-asana \(asana\), agency-monday \(monday\), agency-notion \(notion\), agency-drive \(drive\)/);
  });

  it('names each variable of the shipped stageline.yaml that is not set, at its path', async () => {
    const r = await run(['config', 'check'], { ...shippedEnv, MONDAY_TOKEN: '', MONDAY_WORKSPACE: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/connections\.1\.token \(line \d+\): environment variable MONDAY_TOKEN is not set/);
    expect(r.stderr).toMatch(/connections\.1\.workspaces\.0 \(line \d+\): environment variable MONDAY_WORKSPACE is not set/);
  });

  it('names the Notion variables of the shipped stageline.yaml that are not set, at their paths', async () => {
    const r = await run(['config', 'check'], { ...shippedEnv, NOTION_TOKEN: '', NOTION_DATABASE: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/connections\.2\.token \(line \d+\): environment variable NOTION_TOKEN is not set/);
    expect(r.stderr).toMatch(/connections\.2\.databases\.0 \(line \d+\): environment variable NOTION_DATABASE is not set/);
  }, 15_000);

  it('refuses a NOTION_DATABASE that is a page URL rather than a database id, naming the path', async () => {
    const r = await run(['config', 'check'], { ...shippedEnv, NOTION_DATABASE: 'https://www.notion.so/acme/Campaign' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/connections\.2\.databases\.0 \(line \d+\): a Notion id/);
  }, 15_000);

  it('refuses a monday.com plan in MONDAY_PLAN that monday does not sell, naming the path', async () => {
    const r = await run(['config', 'check'], { ...shippedEnv, MONDAY_PLAN: 'platinum' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/connections\.1\.plan \(line \d+\): .*"pro"/);
  });

  it('lists every problem with its path and line, and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stageline-cfg-'));
    const path = join(dir, 'stageline.yaml');
    writeFileSync(path, [
      'workspace: { timezone: Nowhere/Land }',
      'connections:',
      '  - id: Bad Id',
      '    vendor: asana',
      '    token: hunter2',
      '    workspace: "12"',
      '    stage: { map: { Doing: doing } }',
    ].join('\n'));
    const r = await run(['--config', path, 'config', 'check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('4 problems');
    expect(r.stderr).toContain('workspace.timezone (line 1): unknown time zone "Nowhere/Land"');
    expect(r.stderr).toContain('connections.0.id (line 3)');
    expect(r.stderr).toContain('connections.0.token (line 5): secrets must come from the environment');
    expect(r.stderr).toContain('connections.0.stage.map.Doing (line 7): "doing" is not a stage of the pipeline');
    // The secret itself is never echoed back.
    expect(r.stderr).not.toContain('hunter2');
  });

  it('says where the file was looked for when there is none', async () => {
    const r = await run(['--config', '/nonexistent/stageline.yaml', 'config', 'check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no config file at \/nonexistent\/stageline\.yaml/);
  });
});
