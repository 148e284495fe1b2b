// Linking time for N assets × N files (issue 3, "Measure"): a plain tsx script, not a test; timings
// never decide a test's outcome (mapping/linking.unit.test.ts checks the result of the same size).
//
//   npx tsx test/bench/linking.bench.ts            # N = 10,000
//   npx tsx test/bench/linking.bench.ts 50000      # another N
//
// Mix per 10 files: 1 linked from its task (explicit), 1 misnamed (lower case), 1 with a key no asset
// has (orphan), 7 linked by name; plus 1 conflict per 1,000. A second run where every file is
// misnamed exercises the slow path (pattern repair and key fingerprints). Doubling N shows the cost
// grows linearly, not quadratically.
import { linkFiles, type LinkableAsset, type LinkableFile } from '../../mapping/linking';
import { createNaming, DEFAULT_NAMING } from '../../mapping/naming';

const naming = createNaming(DEFAULT_NAMING);
const n = Number(process.argv[2] ?? 10_000);
if (!Number.isInteger(n) || n < 10) throw new RangeError(`N: expected an integer ≥ 10, got ${process.argv[2]}`);

const fileId = (i: number): string => `1${String(i).padStart(8, '0')}AbCdEfGhIjKlMnOpQrStUvWx`;
const keyOf = (i: number): string => `C${i % 40}_CAMP${Math.floor(i / 40) % 25}_BANNER${i}-300x250`;

function dataset(size: number, allMisnamed: boolean): { assets: LinkableAsset[]; files: LinkableFile[] } {
  const assets: LinkableAsset[] = [];
  const files: LinkableFile[] = [];
  for (let i = 0; i < size; i++) {
    const explicit = !allMisnamed && i % 10 === 0 ? [fileId(i)] : [];
    if (!allMisnamed && i % 1000 === 5) explicit.push(fileId(i - 5));
    assets.push({ id: `a${i}`, key: keyOf(i), explicitFileIds: explicit });
    const name = allMisnamed
      ? i % 2 ? `${keyOf(i).toLowerCase()}_v3.psd` : `${keyOf(i)}_FINAL.psd`
      : i % 10 === 0 ? `Untitled design ${i}.psd`
      : i % 10 === 1 ? `${keyOf(i).toLowerCase()}_v03.psd`
      : i % 10 === 2 ? `ZZ_NOPE_BANNER${i}-300x250_v01.psd`
      : `${keyOf(i)}_v0${(i % 9) + 1}.psd`;
    files.push({ fileId: fileId(i), name, connectionId: 'agency-drive' });
  }
  return { assets, files };
}

function measure(size: number, allMisnamed: boolean): { medianMs: number; minMs: number; counts: string } {
  const { assets, files } = dataset(size, allMisnamed);
  let counts = '';
  const times: number[] = [];
  for (let run = 0; run < 7; run++) {
    const t0 = performance.now();
    const r = linkFiles(assets, files, { naming });
    const ms = performance.now() - t0;
    if (run >= 2) times.push(ms); // the first two runs warm the JIT
    counts = `links ${r.links.length}, conflicts ${r.conflicts.length}, misnamed ${r.misnamed.length}, orphans ${r.orphans.length}`;
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)]!, minMs: times[0]!, counts };
}

const fmt = (x: number): string => x.toFixed(1);
console.log(`Linking benchmark (Node ${process.version}, median and best of 5 runs after 2 warm-ups)`);
for (const [label, size, allMisnamed] of [
  ['mixed', n, false],
  ['mixed', 2 * n, false],
  ['all misnamed', n, true],
] as const) {
  const m = measure(size, allMisnamed);
  console.log(`${label.padEnd(12)} ${size.toLocaleString('en')} assets × ${size.toLocaleString('en')} files: median ${fmt(m.medianMs)} ms, best ${fmt(m.minMs)} ms  (${m.counts})`);
}
