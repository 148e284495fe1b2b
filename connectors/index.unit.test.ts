// The connector map and the folders agree (STYLE.md §2): a new vendor folder that is not in the
// map, or that lacks one of the files every connector has, fails here, so it cannot ship without
// a manifest, a simulator, write-back, webhooks, a README with its Behaviours, or conformance.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONNECTOR_IDS, PENDING_CONNECTORS, connectors } from './index';

const here = fileURLToPath(new URL('.', import.meta.url));
const SHAPE = ['manifest.ts', 'client.ts', 'raw.ts', 'normalize.ts', 'writeback.ts', 'webhook.ts', 'README.md', 'simulator/'] as const;
/** Folders: every directory under connectors/ is a connector; shared code lives in plain files. */
const folders = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && !d.name.startsWith('.') && d.name !== 'node_modules')
  .map((d) => d.name)
  .sort();
/** Folders whose connector is complete; pending ones are checked for what they already must have. */
const complete = folders.filter((f) => !(f in PENDING_CONNECTORS));

describe('connectors/index.ts', () => {
  it('lists every connector folder, and every entry has a folder', () => {
    expect(folders.length).toBeGreaterThan(0);
    expect([...CONNECTOR_IDS].sort()).toEqual(complete);
  });

  it('a pending connector folder says why, has its simulator and README, and is not in the map yet', () => {
    for (const [name, reason] of Object.entries(PENDING_CONNECTORS)) {
      expect(reason.trim().length, name).toBeGreaterThan(20);
      expect(folders).toContain(name);
      expect(CONNECTOR_IDS as readonly string[]).not.toContain(name);
      expect(existsSync(join(here, name, 'simulator', 'README.md')), `connectors/${name}/simulator/README.md`).toBe(true);
    }
  });

  it.each(complete)('%s has the files every connector has', (name) => {
    const missing = SHAPE.filter((f) => {
      const p = join(here, name, f);
      return f.endsWith('/') ? !(existsSync(p) && statSync(p).isDirectory()) : !(existsSync(p) && statSync(p).isFile());
    });
    expect(missing, `connectors/${name}/ lacks ${missing.join(', ')}`).toEqual([]);
  });

  it.each(complete)("%s's README ends in a numbered Behaviours list, each item saying how it was checked", (name) => {
    const readme = readFileSync(join(here, name, 'README.md'), 'utf8');
    const at = readme.search(/^## Behaviours\s*$/m);
    expect(at, 'a "## Behaviours" heading').toBeGreaterThanOrEqual(0);
    const tail = readme.slice(at).split('\n').slice(1);
    expect(tail.some((l) => /^#{1,2} /.test(l)), 'Behaviours is the last section').toBe(false);
    const items = tail.join('\n').split(/^\d+\. /m).slice(1);
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) expect(item, item.slice(0, 80)).toMatch(/Checked:/);
  });

  it.each(CONNECTOR_IDS)('%s: the entry is complete and its manifest says it is itself', (id) => {
    const m = connectors[id];
    expect(m.manifest.id).toBe(id);
    for (const fn of [m.client, m.writer, m.webhook.verify, m.webhook.parse, m.simulator]) expect(typeof fn).toBe('function');
    expect(Object.keys(m.normalize).length).toBeGreaterThan(0);
    for (const fn of Object.values(m.normalize)) expect(typeof fn).toBe('function');
    // What the webhook handler reads the proof from; the conformance suite starts each simulator.
    expect(m.webhook.signatureHeader).toMatch(/^[A-Za-z-]+$/);
  });
});
