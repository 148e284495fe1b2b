// The lint rule that keeps workflow code deterministic (STYLE.md §1) really fires.
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function lintAs(path: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: `${root}/${path}` });
  return (r?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('workflow sandbox lint', { timeout: 60_000 }, () => {
  it('rejects Node built-ins, pg, connectors, activity values, the clock and randomness in workflows/', async () => {
    const messages = await lintAs('workflows/connection-sync.ts', [
      "import { readFileSync } from 'node:fs';",
      "import pg from 'pg';",
      "import { AsanaClient } from '../connectors/asana/client';",
      "import { createActivities } from '../activities';",
      'export const x = [readFileSync, pg, AsanaClient, createActivities, Date.now(), Math.random()];',
    ].join('\n'));
    expect(messages).toEqual(expect.arrayContaining([
      expect.stringMatching(/no-restricted-imports: .*node:fs.*Node built-ins/),
      expect.stringMatching(/no-restricted-imports: .*'pg'.*activities/),
      expect.stringMatching(/no-restricted-imports: .*connectors.*Vendor clients/),
      expect.stringMatching(/no-restricted-imports: .*activities.*type/),
      expect.stringMatching(/no-restricted-properties: 'Date.now'/),
      expect.stringMatching(/no-restricted-properties: 'Math.random'/),
    ]));
  });

  it('allows type-only imports of activities in workflows/, and built-ins elsewhere', async () => {
    expect(await lintAs('workflows/connection-sync.ts', "import type { Activities } from '../activities';\nexport type A = Activities;\n")).toEqual([]);
    expect(await lintAs('activities/index.ts', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n")).toEqual([]);
  });

  it('rejects a floating promise anywhere', async () => {
    const messages = await lintAs('activities/index.ts', 'async function f(): Promise<void> {}\nexport function g(): void {\n  f();\n}\n');
    expect(messages).toEqual([expect.stringMatching(/no-floating-promises/)]);
  });
});
