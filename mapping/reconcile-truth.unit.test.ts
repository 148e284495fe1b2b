// The version-identity rules of reconcileVersions (mapping/linking.ts) against the ground truth of the
// simulators: the Asana simulator's agency records every task's versions (attachment, number), and the
// Drive simulator built from the same agency records which asset version each Drive revision holds.
// The candidates are built exactly as Stageline's sync builds them (activities/linking.ts): every
// Asana attachment of the task, and every revision Drive still serves of each file linked to the task
// (explicitly or by name; deleted files are gone, trashed ones stay, deleted).
import { describe, expect, it } from 'vitest';
import { CF, generateAgency, type GeneratedAgency } from '../connectors/asana/simulator';
import { generateDrive, type GeneratedDrive } from '../connectors/drive/simulator';
import { driveFileIdsIn, reconcileVersions, type ReconciledVersion, type VersionCandidate } from './linking';
import { createNaming, versionSuffix } from './naming';

const naming = createNaming();
const ASANA = 'asana';
const DRIVE = 'drive';

interface Checked {
  tasks: number;
  versions: number;
  attachments: number;
  revisions: number;
  /** Versions split off the truth's by a principled exception (see `exceptions`). */
  splitOff: { draft: number; upload: number };
  /** Candidates merged by each rule. */
  merged: Record<ReconciledVersion['merged'][number]['reason'], number>;
}

interface TaskCase {
  key: string;
  candidates: VersionCandidate[];
  /** candidate id → the version number the truth gives it. */
  expected: Map<string, number>;
  versions: number;
}

const idOf = (c: VersionCandidate): string => `${c.connectionId}\u001f${c.source}\u001f${c.externalId}`;
const iso = (ms: number): string => new Date(ms).toISOString();

function cases(agency: GeneratedAgency, drive: GeneratedDrive): TaskCase[] {
  // The Drive files of each task that Stageline links to it: explicitly (the task's attachment names
  // it) or by name; misnamed files are reported, not linked, and orphans belong to no task.
  const filesOf = new Map<string, string[]>();
  for (const t of drive.truth.files.values()) {
    if (t.taskGid === null || t.deleted || (t.linkKind !== 'explicit' && t.linkKind !== 'name')) continue;
    const list = filesOf.get(t.taskGid) ?? [];
    list.push(t.fileId);
    filesOf.set(t.taskGid, list);
  }
  const records = new Map(drive.dataset.files.map((f) => [f.id, f] as const));
  const out: TaskCase[] = [];
  for (const task of agency.dataset.projects.flatMap((p) => p.tasks)) {
    const truth = agency.truth.tasks.get(task.gid);
    const key = task.values[CF.assetKey];
    if (!truth || truth.versions.length === 0 || typeof key !== 'string') continue;
    const candidates: VersionCandidate[] = [];
    const expected = new Map<string, number>();
    const numberOf = new Map(truth.versions.map((v) => [v.attachmentGid, v.number] as const));
    for (const a of task.attachments) {
      // What the Asana connector stores: the view_url of a Drive-hosted attachment names the file.
      const viewUrl = a.host === 'gdrive' ? `https://drive.google.com/file/d/${a.externalRef ?? ''}/view` : null;
      const c: VersionCandidate = {
        connectionId: ASANA, externalId: a.gid, source: 'attachment', fileId: driveFileIdsIn(viewUrl)[0] ?? null,
        name: a.name, createdAt: iso(a.createdAt), checksum: null, sizeBytes: a.size, deletedAt: a.deleted ? iso(a.createdAt) : null,
      };
      candidates.push(c);
      const n = numberOf.get(a.gid);
      if (n !== undefined) expected.set(idOf(c), n);
    }
    for (const fileId of filesOf.get(task.gid) ?? []) {
      const f = records.get(fileId)!;
      const ft = drive.truth.files.get(fileId)!;
      const versionOf = new Map(ft.revisions.map((r) => [r.id, r.versionNumber] as const));
      for (const r of f.revisions) {
        const c: VersionCandidate = {
          connectionId: DRIVE, externalId: `${fileId}/${r.id}`, source: 'revision', fileId,
          name: r.originalFilename ?? f.name, createdAt: iso(r.modifiedTime), checksum: r.md5 ? `md5:${r.md5}` : null, sizeBytes: r.size,
          deletedAt: f.trashed ? iso(f.trashedTime ?? f.modifiedTime) : null,
        };
        candidates.push(c);
        const n = versionOf.get(r.id);
        if (n !== null && n !== undefined) expected.set(idOf(c), n);
      }
    }
    out.push({ key, candidates, expected, versions: truth.versions.length });
  }
  return out;
}

/**
 * Candidates the truth puts in a version the rules cannot see (principled: nothing in the data ties
 * them to it), found from the data and the truth, independently of reconcileVersions:
 *  - `draft`: an intermediate save in a Drive file whose name carries no `_vNN` (an explicitly linked
 *    `KEY_FINAL.psd`), followed by the final save of the same version in that file. Its name has no
 *    number, its size and checksum differ from the final save's, and no attachment points to it: it
 *    looks exactly like the file's previous version, so rule e makes it a version of its own (two
 *    unnumbered candidates never merge but by pointer, checksum or size);
 *  - `upload`: an Asana upload whose name carries no `_vNN` (`KEY_FINAL.psd`) and that no earlier Drive
 *    candidate matches by size: hosted elsewhere (an external link: size 0, unknown), or the only
 *    Drive file of that version Stageline links comes later (a Final/ copy made after the upload, the
 *    working file being misnamed or deleted). Rule d looks back only; nothing else ties it, so it is
 *    placed by time as a version of its own.
 */
function exceptions(tc: TaskCase): Map<string, 'draft' | 'upload'> {
  const out = new Map<string, 'draft' | 'upload'>();
  const driveSizes = new Map<number, number>();
  for (const c of tc.candidates) {
    if (c.connectionId !== DRIVE || !c.sizeBytes) continue;
    const t = Date.parse(c.createdAt);
    driveSizes.set(c.sizeBytes, Math.min(driveSizes.get(c.sizeBytes) ?? Infinity, t));
  }
  for (const c of tc.candidates) {
    if (versionSuffix(c.name) !== null) continue;
    const n = tc.expected.get(idOf(c));
    if (n === undefined) continue;
    if (c.connectionId === DRIVE) {
      const later = tc.candidates.some((o) => o.fileId === c.fileId && o.connectionId === DRIVE && o.createdAt > c.createdAt && tc.expected.get(idOf(o)) === n);
      if (later) out.set(idOf(c), 'draft');
    } else if (!c.fileId && !((driveSizes.get(c.sizeBytes ?? 0) ?? Infinity) < Date.parse(c.createdAt))) out.set(idOf(c), 'upload');
  }
  return out;
}

function check(seed: number, tasks: number): Checked {
  const agency = generateAgency({ seed, tasks });
  const drive = generateDrive(agency, { seed });
  const checked: Checked = { tasks: 0, versions: 0, attachments: 0, revisions: 0, splitOff: { draft: 0, upload: 0 }, merged: { points_to_file: 0, same_checksum: 0, same_name_version: 0, same_size: 0 } };
  for (const tc of cases(agency, drive)) {
    const vs = reconcileVersions({ key: tc.key }, tc.candidates, { naming });
    const except = exceptions(tc);
    // Every candidate is numbered once; no version mixes two of the truth's versions.
    const members = vs.map((v) => [v.candidate, ...v.merged.map((m) => m.candidate)]);
    expect(members.flat().map(idOf).sort(), tc.key).toEqual([...new Set(tc.candidates.map(idOf))].sort());
    for (const ms of members) expect(new Set(ms.map((c) => tc.expected.get(idOf(c))).filter((n) => n !== undefined)).size, tc.key).toBeLessThanOrEqual(1);
    for (const v of vs) for (const m of v.merged) checked.merged[m.reason]++;
    // The exceptions: each stands alone, as the rules say. Where the truth's version also has other
    // candidates, it is a version split off from it; without it, the list is exactly the truth's.
    const truthOf = (ms: VersionCandidate[]): number | undefined => ms.map((c) => tc.expected.get(idOf(c))).find((n) => n !== undefined);
    const splitOff = new Set<number>();
    members.forEach((ms, i) => {
      const kinds = ms.map((c) => except.get(idOf(c)));
      if (kinds.every((k) => k === undefined)) return;
      expect([tc.key, vs[i]!.merged, vs[i]!.nameVersion]).toEqual([tc.key, [], null]);
      const n = truthOf(ms);
      if (members.some((o, j) => j !== i && truthOf(o) === n)) {
        splitOff.add(i);
        checked.splitOff[kinds[0]!]++;
      }
    });
    // A split-off version sits next to the rest of its truth version: the versions holding one of the
    // truth's versions have consecutive numbers.
    for (const i of splitOff) {
      const same = members.flatMap((o, j) => (truthOf(o) === truthOf(members[i]!) ? [vs[j]!.number] : []));
      expect(Math.max(...same) - Math.min(...same), tc.key).toBe(same.length - 1);
    }
    // Without the split-off versions (in most tasks there are none, and then these are the numbers
    // reconcileVersions gave), every candidate has the truth's number, and the numbers are 1…n.
    const kept = members.filter((_, i) => !splitOff.has(i));
    expect(kept.length, tc.key).toBe(tc.versions);
    kept.forEach((ms, i) => {
      for (const c of ms) {
        const want = tc.expected.get(idOf(c));
        if (want === undefined) continue;
        expect([tc.key, c.connectionId, c.name, c.createdAt, i + 1]).toEqual([tc.key, c.connectionId, c.name, c.createdAt, want]);
        if (c.connectionId === ASANA) checked.attachments++;
        else checked.revisions++;
      }
    });
    checked.tasks++;
    checked.versions += tc.versions;
  }
  return checked;
}

describe('reconcileVersions against the simulators’ ground truth', () => {
  for (const [seed, tasks] of [[1, 600], [2, 600], [3, 600], [3, 3000]] as const) {
    it(`numbers every Asana attachment and every Drive revision as the truth does (seed ${seed}, ${tasks} tasks)`, () => {
      const c = check(seed, tasks);
      // Every Asana attachment of a task with versions is one of its versions (split-off uploads aside).
      expect(c.attachments + c.splitOff.upload).toBe(c.versions);
      expect(c.tasks).toBeGreaterThan(tasks / 2);
      expect(c.revisions).toBeGreaterThan(c.versions / 2);
      // Every rule was exercised; the exceptions stay exceptions.
      for (const reason of ['points_to_file', 'same_checksum', 'same_name_version', 'same_size'] as const) expect(c.merged[reason], reason).toBeGreaterThan(0);
      expect(c.splitOff.draft + c.splitOff.upload).toBeLessThan(c.tasks / 100);
    });
  }
});
