// One conformance suite for every connector in connectors/index.ts, each against its own simulator
// (STYLE.md §4). The cases are written once; adapters.ts only says how to drive a connector. A
// connector skips a case only through its adapter's `skips`, with a reason that is shown and checked.
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTOR_IDS, connectors } from '../../connectors/index';
import { RateLimiter } from '../../connectors/limiter';
import { ConnectorError, type ConnectorErrorKind } from '../../connectors/types';
import { Asset, AssetLink, Comment, Decision, Person, Project, StageTransition, Version, emptyBatch, mergeBatches } from '../../mapping/model';
import { CASES, adapters, type CaseName, type ConformanceClient, type RecordRef, type RunningSimulator } from './adapters';

/** Records per container: enough for several small pages and every kind of history the simulators generate. */
const PER_CONTAINER = 60;

async function failure(p: Promise<unknown>, kind: ConnectorErrorKind): Promise<ConnectorError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected a ConnectorError of kind ${kind}`).toBeInstanceOf(ConnectorError);
  expect((err as ConnectorError).kind).toBe(kind);
  return err as ConnectorError;
}

async function listAll(client: ConformanceClient, container: string, pageSize: number | null, from: string | null = null): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor = from;
  let pages = 0;
  do {
    const page = await client.listPage(container, cursor, pageSize);
    ids.push(...page.records.map((r) => r.id));
    cursor = page.next;
    pages++;
    if (pages > 10_000) throw new Error('pagination does not end');
  } while (cursor !== null);
  return { ids, pages };
}

const duplicates = (ids: string[]) => ids.filter((id, i) => ids.indexOf(id) !== i);

for (const id of CONNECTOR_IDS) {
  const adapter = adapters[id];
  const manifest = connectors[id].manifest;
  // A page size that makes several pages: the adapter's, or the vendor's fixed one over a bigger dataset.
  const pageSize = adapter.smallPageSize;
  const perContainer = pageSize === null ? manifest.pageSize.max * 3 + 1 : Math.max(PER_CONTAINER, pageSize * 4);

  describe(`connector conformance: ${id}`, () => {
    let running: RunningSimulator[] = [];
    const start = async (n = perContainer): Promise<RunningSimulator> => {
      const sim = await adapter.start({ seed: `conformance-${id}`, perContainer: n });
      running.push(sim);
      return sim;
    };
    afterEach(async () => {
      await Promise.all(running.map((s) => s.stop()));
      running = [];
    });
    const firstContainer = async (client: ConformanceClient): Promise<RecordRef> => {
      const [first] = await client.containers();
      expect(first, 'the simulator has a container').toBeDefined();
      return first!;
    };

    const cases: Record<CaseName, { title: string; timeoutMs?: number; run: () => Promise<void> }> = {
      auth_revoked: {
        title: 'a revoked or unknown token, and every status the manifest reads as lost access, is auth_revoked',
        async run() {
          const sim = await start();
          const token = sim.issueToken();
          const client = sim.client({ token });
          await client.probe();
          sim.revokeToken(token);
          const err = await failure(client.probe(), 'auth_revoked');
          expect(err.details.status).toBe(401);
          await failure(sim.client({ token: 'never-issued' }).probe(), 'auth_revoked');
          // e.g. Asana's 403: the token is fine but lost access to the workspace or project.
          const lostAccess = Object.entries(manifest.statuses).filter(([s, kind]) => kind === 'auth_revoked' && s !== '401');
          for (const [status] of lostAccess) {
            sim.injectFault({ status: Number(status) });
            const e = await failure(sim.client().probe(), 'auth_revoked');
            expect(e.details.status).toBe(Number(status));
          }
          // The default token was never affected.
          await sim.client().probe();
        },
      },

      rate_limited: {
        title: 'a 429 with Retry-After: 2 is rate_limited with 2000 ms, and the next request through the same limiter waits it out',
        timeoutMs: 20_000,
        async run() {
          const sim = await start();
          // Two clients on one limiter: the wait belongs to the credential, not to one client.
          const limiter = new RateLimiter(manifest.rateLimit.perMinute, 4);
          const first = sim.client({ limiter });
          const second = sim.client({ limiter });
          sim.injectFault({ status: 429, retryAfterSeconds: 2 });
          const err = await failure(first.probe(), 'rate_limited');
          expect(err.details.retryAfterMs).toBe(2000);
          const t0 = performance.now();
          await second.probe();
          const waited = performance.now() - t0;
          expect(sim.calls().earlyRetries).toBe(0);
          expect(waited).toBeGreaterThanOrEqual(1_900);
        },
      },

      pagination: {
        title: 'pagination reaches the end of a container with no duplicates and no gaps',
        async run() {
          const sim = await start();
          const client = sim.client();
          const container = await firstContainer(client);
          const { ids, pages } = await listAll(client, container.id, pageSize);
          expect(pages).toBeGreaterThanOrEqual(3);
          expect(duplicates(ids)).toEqual([]);
          expect(ids).toEqual(sim.truthIds(container.id));
        },
      },

      resume: {
        title: 'resuming from a stored cursor with a new client gives no gaps and no duplicates; a retried page is the same page',
        async run() {
          const sim = await start();
          const before = sim.client();
          const container = await firstContainer(before);
          const p1 = await before.listPage(container.id, null, pageSize);
          const p2 = await before.listPage(container.id, p1.next, pageSize);
          expect(p2.next).not.toBeNull();
          // What the cursor row holds, committed with page 2; the worker then restarts.
          const stored = JSON.stringify({ cursor: p2.next });
          const after = sim.client();
          const cursor = (JSON.parse(stored) as { cursor: string }).cursor;
          const retried = await after.listPage(container.id, cursor, pageSize);
          const again = await after.listPage(container.id, cursor, pageSize);
          expect(again.records.map((r) => r.id)).toEqual(retried.records.map((r) => r.id));
          const rest = await listAll(after, container.id, pageSize, cursor);
          const all = [...p1.records, ...p2.records].map((r) => r.id).concat(rest.ids);
          expect(duplicates(all)).toEqual([]);
          expect(all).toEqual(sim.truthIds(container.id));
        },
      },

      deletion: {
        title: 'a deleted record is not_found (the engine tombstones it) and leaves the listing',
        async run() {
          const sim = await start();
          const client = sim.client();
          const container = await firstContainer(client);
          const page = await client.listPage(container.id, null, pageSize);
          const victim = page.records[1]!;
          await client.fetchRecord(victim.id);
          sim.deleteRecord(victim.id);
          const err = await failure(client.fetchRecord(victim.id), 'not_found');
          expect(err.details.status).toBe(404);
          // Queued with its listing payload, the record's children are fetched next: not_found too.
          await failure(client.fetchChildren(victim), 'not_found');
          const { ids } = await listAll(client, container.id, pageSize);
          expect(ids).not.toContain(victim.id);
          expect(ids).toEqual(sim.truthIds(container.id));
        },
      },

      schema: {
        title: "every normalized record of a whole simulated workspace passes the model's schemas, with zero rejections",
        timeoutMs: 60_000,
        async run() {
          const sim = await start(Math.max(perContainer, 100));
          const client = sim.client();
          const containers = await client.containers();
          expect(containers.length).toBeGreaterThanOrEqual(2);
          const batch = emptyBatch();
          let records = 0;
          for (const container of containers) {
            const p = sim.normalizeContainer(container.raw);
            expect(p.ok ? [] : p.issues).toEqual([]);
            if (p.ok) batch.projects.push(p.value);
            let cursor: string | null = null;
            do {
              const page = await client.listPage(container.id, cursor, null);
              for (const rec of page.records) {
                mergeBatches(batch, sim.normalizeRecord(container.id, rec, await client.fetchChildren(rec)));
                records++;
              }
              cursor = page.next;
            } while (cursor !== null);
          }
          expect(batch.rejected).toEqual([]);
          const schemas = [
            ['projects', Project], ['persons', Person], ['assets', Asset], ['links', AssetLink], ['versions', Version],
            ['comments', Comment], ['decisions', Decision], ['transitions', StageTransition],
          ] as const;
          const invalid: { kind: string; id: unknown; issues: unknown }[] = [];
          for (const [kind, schema] of schemas) {
            for (const row of batch[kind]) {
              const r = schema.safeParse(row);
              if (!r.success) invalid.push({ kind, id: (row as { id?: unknown }).id, issues: r.error.issues });
            }
          }
          expect(invalid).toEqual([]);
          // Every listed record became exactly one asset, and the workspace had history of every kind.
          expect(batch.assets).toHaveLength(records);
          for (const kind of ['assets', 'versions', 'comments', 'decisions', 'transitions'] as const) {
            expect(batch[kind].length, `${kind} normalized`).toBeGreaterThan(0);
            expect(duplicates(batch[kind].map((r) => r.id)), `${kind} ids are unique`).toEqual([]);
          }
        },
      },

      writeback: {
        title: 'write-back is idempotent: the same value set twice, with the current value passed, is one write that lands',
        async run() {
          const sim = await start();
          const writer = sim.writer();
          const { recordId, values } = sim.writeTarget();
          const before = sim.calls().writes;
          const current = await writer.current(recordId);
          for (const [k, v] of Object.entries(values)) expect(current[k], `the target differs from ${k}'s value now`).not.toEqual(v);
          expect(await writer.set(recordId, values, current)).toBe(true);
          const landed = await writer.current(recordId);
          for (const [k, v] of Object.entries(values)) expect(landed[k]).toEqual(v);
          expect(await writer.set(recordId, values, landed)).toBe(false);
          expect(sim.calls().writes - before).toBe(1);
        },
      },
    };

    it('skips a case only with a written reason, and only cases that exist', () => {
      for (const [name, reason] of Object.entries(adapter.skips)) {
        expect(CASES as readonly string[]).toContain(name);
        expect(typeof reason === 'string' ? reason.trim() : '', `the reason ${id} skips ${name}`).not.toBe('');
      }
    });

    for (const name of CASES) {
      const reason = adapter.skips[name];
      if (reason !== undefined) {
        // Shown in every run, and fails if the reason is empty.
        it(`${name}: skipped by ${id} — ${reason || '(no reason given)'}`, () => {
          expect(reason.trim()).not.toBe('');
        });
      } else {
        const c = cases[name];
        it(`${name}: ${c.title}`, c.run, c.timeoutMs);
      }
    }
  });
}
