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

describe('stageline config check', () => {
  it('accepts the repository\'s stageline.yaml once its environment is set', async () => {
    const r = await run(['config', 'check'], { ASANA_TOKEN: 'x', ASANA_WORKSPACE: '12345', DRIVE_TOKEN: 'y', DRIVE_SHARED_DRIVE: '0ADlITtxVptg4Uk9PVA', DRIVE_FOLDER: '1RnD_iz9aaaaaaaaaaaa' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK — 2 connection\(s\): agency-asana \(asana\), agency-drive \(drive\)/);
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
