import { describe, expect, it } from 'vitest';
import { driveFileIdsIn, linkFiles, oneLetterTypo, reconcileVersions, toAssetLink, type LinkableAsset, type LinkableFile, type LinkResult, type VersionCandidate } from './linking';
import { AssetLink } from './model';
import { createNaming, DEFAULT_NAMING } from './naming';

const naming = createNaming(DEFAULT_NAMING);
const DRIVE = 'agency-drive';
// Drive ids look like this: 33 characters of [A-Za-z0-9_-], starting with 1.
const id = (n: number | string): string => `1${String(n).padStart(6, '0')}AbCdEfGhIjKlMnOpQrStUvWxYz`;
const file = (fileId: string, name: string, connectionId = DRIVE): LinkableFile => ({ fileId, name, connectionId });
const asset = (assetId: string, key: string | null, explicitFileIds: string[] = []): LinkableAsset => ({ id: assetId, key, explicitFileIds });

/** Every file lands in exactly one of links, conflicts, misnamed, orphans. */
function placed(r: LinkResult): string[] {
  return [...r.links, ...r.conflicts, ...r.misnamed, ...r.orphans].map((x) => `${x.connectionId}/${x.fileId}`).sort();
}

describe('driveFileIdsIn', () => {
  it('finds Drive file ids in the URL forms Asana notes, fields and attachments carry', () => {
    const notes = [
      'Final master: https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz012345/view?usp=sharing',
      'Copy deck (https://docs.google.com/document/d/1DocDocDocDocDocDocDocDocDocDocDo/edit#heading=h.1)',
      'Sizes sheet: <a href="https://docs.google.com/spreadsheets/d/1SheetSheetSheetSheetSheetSheetShe/edit?gid=0">sheet</a>',
      'Deck https://docs.google.com/presentation/u/1/d/1SlidesSlidesSlidesSlidesSlidesSli/edit',
      'Old link https://drive.google.com/open?id=1OpenOpenOpenOpenOpenOpenOpenOpenO and download https://drive.google.com/uc?export=download&amp;id=1UcUcUcUcUcUcUcUcUcUcUcUcUcUcUcUcU',
      'Workspace link https://drive.google.com/a/lumenlark.example/file/d/1DomainDomainDomainDomainDomainDom/view',
      'Again: https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz012345/view',
      'Folder, not a file: https://drive.google.com/drive/folders/1FolderFolderFolderFolderFolderFol',
      'Published copy, not the file id: https://docs.google.com/document/d/e/2PACX-1vPublishedPublishedPublished/pub',
      'Elsewhere: https://www.dropbox.com/s/abc/file.psd and https://proofs.lumenlark.example/share/x',
    ].join('\n');
    expect(driveFileIdsIn(notes)).toEqual([
      '1AbCdEfGhIjKlMnOpQrStUvWxYz012345',
      '1DocDocDocDocDocDocDocDocDocDocDo',
      '1SheetSheetSheetSheetSheetSheetShe',
      '1SlidesSlidesSlidesSlidesSlidesSli',
      '1OpenOpenOpenOpenOpenOpenOpenOpenO',
      '1UcUcUcUcUcUcUcUcUcUcUcUcUcUcUcUcU',
      '1DomainDomainDomainDomainDomainDom',
    ]);
  });

  it('reads a single attachment URL, and nothing from empty input', () => {
    expect(driveFileIdsIn('https://drive.google.com/file/d/1x_y-z0123456789/view')).toEqual(['1x_y-z0123456789']);
    expect(driveFileIdsIn(null)).toEqual([]);
    expect(driveFileIdsIn('')).toEqual([]);
    expect(driveFileIdsIn('see the drive folder')).toEqual([]);
  });
});

describe('linkFiles', () => {
  it('links by explicit Drive link and by the key in the name; explicit wins over a name', () => {
    const assets = [
      asset('banner', 'ACME_HOLIDAY_BANNER-300x250', [id(1)]),
      asset('leader', 'ACME_HOLIDAY_BANNER-728x90'),
      asset('video', 'NORTHWIND_BFCM_SOCIALVID-1080x1920'),
    ];
    const files = [
      // Linked from the banner's task, although its name carries the leaderboard's key.
      file(id(1), 'ACME_HOLIDAY_BANNER-728x90_v02.psd'),
      file(id(2), 'ACME_HOLIDAY_BANNER-728x90_v01.psd'),
      file(id(3), 'NORTHWIND_BFCM_SOCIALVID-1080x1920_v04.mp4'),
      file(id(4), 'NORTHWIND_BFCM_SOCIALVID-1080x1920_v05.mp4'),
    ];
    const r = linkFiles(assets, files, { naming });
    expect(r.links).toEqual([
      { assetId: 'banner', connectionId: DRIVE, fileId: id(1), via: 'explicit', key: 'ACME_HOLIDAY_BANNER-728x90', version: 2 },
      { assetId: 'leader', connectionId: DRIVE, fileId: id(2), via: 'name', key: 'ACME_HOLIDAY_BANNER-728x90', version: 1 },
      { assetId: 'video', connectionId: DRIVE, fileId: id(3), via: 'name', key: 'NORTHWIND_BFCM_SOCIALVID-1080x1920', version: 4 },
      { assetId: 'video', connectionId: DRIVE, fileId: id(4), via: 'name', key: 'NORTHWIND_BFCM_SOCIALVID-1080x1920', version: 5 },
    ]);
    expect(r).toMatchObject({ conflicts: [], misnamed: [], orphans: [], unresolved: [], invalidKeys: [] });
  });

  it('links an explicitly linked file whatever its name (a Google Doc has no version in its title)', () => {
    const r = linkFiles([asset('banner', 'ACME_HOLIDAY_BANNER-300x250', [id(1)])], [file(id(1), 'Holiday banner — copy deck')], { naming });
    expect(r.links).toEqual([{ assetId: 'banner', connectionId: DRIVE, fileId: id(1), via: 'explicit', key: null, version: null }]);
  });

  it('reports a file claimed by two assets as a conflict with both claimants, and links it to neither', () => {
    const r = linkFiles(
      [
        asset('a', 'ACME_HOLIDAY_BANNER-300x250', [id(1)]),
        asset('b', 'ACME_HOLIDAY_BANNER-728x90', [id(1), id(1)]),
        // Two tasks with the same key (a duplicated task): every file with that key is contested.
        asset('c', 'GLOBEX_BTS_KV-3840x2160'),
        asset('d', 'GLOBEX_BTS_KV-3840x2160'),
      ],
      [file(id(1), 'ACME_HOLIDAY_BANNER-300x250_v01.psd'), file(id(2), 'GLOBEX_BTS_KV-3840x2160_v01.psd')],
      { naming },
    );
    expect(r.links).toEqual([]);
    expect(r.conflicts).toEqual([
      { connectionId: DRIVE, fileId: id(1), name: 'ACME_HOLIDAY_BANNER-300x250_v01.psd', claimants: [{ assetId: 'a', via: 'explicit' }, { assetId: 'b', via: 'explicit' }] },
      { connectionId: DRIVE, fileId: id(2), name: 'GLOBEX_BTS_KV-3840x2160_v01.psd', claimants: [{ assetId: 'c', via: 'name' }, { assetId: 'd', via: 'name' }] },
    ]);
  });

  it('an explicit link settles a name conflict', () => {
    const r = linkFiles([asset('c', 'GLOBEX_BTS_KV-3840x2160'), asset('d', 'GLOBEX_BTS_KV-3840x2160', [id(2)])], [file(id(2), 'GLOBEX_BTS_KV-3840x2160_v01.psd')], { naming });
    expect(r.links).toEqual([expect.objectContaining({ assetId: 'd', via: 'explicit' })]);
    expect(r.conflicts).toEqual([]);
  });

  it('reports misnamed files close to a known key, with the corrected name when it can be recovered, and does not link them', () => {
    const assets = [
      asset('mpu', 'ACME_HOLIDAY_BANNER-300x250'),
      asset('leader', 'ACME_HOLIDAY_BANNER-728x90'),
      asset('poster', 'ACME_HOLIDAY_OOH-48-sheet'),
      asset('video', 'NORTHWIND_BFCM_SOCIALVID-1080x1920'),
    ];
    const files = [
      file('f-lower', 'acme_holiday_banner-300x250_v03.psd'),
      file('f-v3', 'ACME_HOLIDAY_BANNER-300x250_v3.psd'),
      file('f-spaces', 'ACME HOLIDAY BANNER 728x90 v04.psd'),
      file('f-final', 'ACME_HOLIDAY_BANNER-300x250_FINAL.psd'),
      file('f-nosize-unique', 'NORTHWIND_BFCM_SOCIALVID_v02.mp4'),
      file('f-nosize-ambiguous', 'ACME_HOLIDAY_BANNER_v02.psd'),
      file('f-poster', 'ACME_HOLIDAY_OOH_48-SHEET_v1.psd'),
    ];
    const r = linkFiles(assets, files, { naming });
    expect(r.links).toEqual([]);
    expect(r.orphans).toEqual([]);
    const byFile = Object.fromEntries(r.misnamed.map((m) => [m.fileId, m]));
    expect(byFile['f-lower']).toMatchObject({ suggestion: 'ACME_HOLIDAY_BANNER-300x250_v03.psd', keys: ['ACME_HOLIDAY_BANNER-300x250'], assetIds: ['mpu'] });
    expect(byFile['f-v3']).toMatchObject({ suggestion: 'ACME_HOLIDAY_BANNER-300x250_v03.psd', assetIds: ['mpu'], reason: expect.stringContaining('expected {version}') });
    expect(byFile['f-spaces']).toMatchObject({ suggestion: 'ACME_HOLIDAY_BANNER-728x90_v04.psd', assetIds: ['leader'] });
    expect(byFile['f-poster']).toMatchObject({ suggestion: 'ACME_HOLIDAY_OOH-48-sheet_v01.psd', assetIds: ['poster'] });
    // The key is clear but the version is not: no suggestion is invented.
    expect(byFile['f-final']).toEqual({
      connectionId: DRIVE, fileId: 'f-final', name: 'ACME_HOLIDAY_BANNER-300x250_FINAL.psd',
      reason: 'does not follow {client}_{campaign}_{asset}-{size}_v{version}.{ext}: expected "_v" after "ACME_HOLIDAY_BANNER-300x250"',
      keys: ['ACME_HOLIDAY_BANNER-300x250'], assetIds: ['mpu'],
    });
    // A name that forgot its size: one asset could be meant (fixed), or several (listed, not guessed).
    expect(byFile['f-nosize-unique']).toMatchObject({ suggestion: 'NORTHWIND_BFCM_SOCIALVID-1080x1920_v02.mp4', assetIds: ['video'] });
    expect(byFile['f-nosize-ambiguous']).toMatchObject({ keys: ['ACME_HOLIDAY_BANNER-300x250', 'ACME_HOLIDAY_BANNER-728x90'], assetIds: ['mpu', 'leader'] });
    expect(byFile['f-nosize-ambiguous']).not.toHaveProperty('suggestion');
  });

  it('lists orphans: a key no asset has, a name close to nothing, and everything unlinked when no pattern is configured', () => {
    const assets = [asset('mpu', 'ACME_HOLIDAY_BANNER-300x250')];
    const files = [
      file('f-unknown', 'ACME_HOLIDAY_BANNER-160x600_v01.psd'),
      file('f-doc', 'Holiday 2026 — creative brief'),
      file('f-mood', 'moodboard final FINAL (2).jpg'),
      // Close to nothing known: a fixable name whose key no asset has is an orphan too.
      file('f-other', 'globex_bts_kv-3840x2160_v01.psd'),
    ];
    expect(linkFiles(assets, files, { naming }).orphans).toEqual([
      { connectionId: DRIVE, fileId: 'f-unknown', name: 'ACME_HOLIDAY_BANNER-160x600_v01.psd', reason: 'unknown_key', key: 'ACME_HOLIDAY_BANNER-160x600' },
      { connectionId: DRIVE, fileId: 'f-doc', name: 'Holiday 2026 — creative brief', reason: 'unparsed' },
      { connectionId: DRIVE, fileId: 'f-mood', name: 'moodboard final FINAL (2).jpg', reason: 'unparsed' },
      { connectionId: DRIVE, fileId: 'f-other', name: 'globex_bts_kv-3840x2160_v01.psd', reason: 'unparsed' },
    ]);
    const noPattern = linkFiles([asset('mpu', 'ACME_HOLIDAY_BANNER-300x250', ['f-x'])], [file('f-x', 'x.psd'), file('f-y', 'ACME_HOLIDAY_BANNER-300x250_v01.psd')], { naming: null });
    expect(noPattern.links).toEqual([expect.objectContaining({ fileId: 'f-x', via: 'explicit' })]);
    expect(noPattern.orphans).toEqual([expect.objectContaining({ fileId: 'f-y', reason: 'no_pattern' })]);
  });

  it('reports explicit links to files it was not given, and asset keys that break the key template (still matched, corrected)', () => {
    const r = linkFiles(
      [asset('mpu', ' acme_holiday_banner-300x250 ', [id(9), id(9)]), asset('blank', '   '), asset('odd', 'Holiday banner')],
      [file(id(1), 'ACME_HOLIDAY_BANNER-300x250_v01.psd')],
      { naming },
    );
    expect(r.links).toEqual([expect.objectContaining({ assetId: 'mpu', fileId: id(1), via: 'name' })]);
    expect(r.unresolved).toEqual([{ assetId: 'mpu', fileId: id(9) }]);
    expect(r.invalidKeys).toEqual([
      { assetId: 'mpu', key: 'acme_holiday_banner-300x250', reason: expect.stringContaining('does not follow {client}_{campaign}_{asset}-{size}'), suggestion: 'ACME_HOLIDAY_BANNER-300x250' },
      { assetId: 'odd', key: 'Holiday banner', reason: expect.any(String) },
    ]);
  });

  it('counts a file listed twice once, and links the same Drive file seen by two connections in each', () => {
    const r = linkFiles(
      [asset('mpu', 'ACME_HOLIDAY_BANNER-300x250', [id(1)])],
      [file(id(1), 'a.psd'), file(id(1), 'a.psd'), file(id(1), 'a.psd', 'shared-drive')],
      { naming },
    );
    expect(r.links.map((l) => `${l.connectionId}:${l.via}`)).toEqual([`${DRIVE}:explicit`, 'shared-drive:explicit']);
  });

  it('does not call a name close to a key when it is as close to many (a name missing the part that tells them apart)', () => {
    const assets = Array.from({ length: 10_000 }, (_, i) => asset(`a${i}`, `ACME_HOLIDAY_B${i}-300x250`));
    const r = linkFiles(assets, [file('f1', 'ACME_HOLIDAY_300x250_v01.psd'), file('f2', 'ACME_HOLIDAY_B7_v01.psd')], { naming });
    expect(r.orphans).toEqual([expect.objectContaining({ fileId: 'f1', reason: 'unparsed' })]);
    expect(r.misnamed).toEqual([expect.objectContaining({ fileId: 'f2', suggestion: 'ACME_HOLIDAY_B7-300x250_v01.psd', assetIds: ['a7'] })]);
  });

  it('turns a link into the model AssetLink with a stable id per linked file', () => {
    const link = { assetId: '0b7b6c0e-8a39-5a55-9b1e-0d8f6f1f2a3b', connectionId: DRIVE, fileId: id(1), via: 'name' as const, key: 'K', version: 1 };
    const a = toAssetLink(link, { url: `https://drive.google.com/file/d/${id(1)}/view` });
    expect(AssetLink.parse(a)).toEqual(a);
    expect(a).toMatchObject({ kind: 'drive_file', externalId: id(1), via: 'name' });
    expect(toAssetLink({ ...link, assetId: 'c3a0a7a4-6b6c-5f1a-8f7e-1f2e3d4c5b6a', via: 'explicit' }).id).toBe(a.id);
  });

  it('links 10,000 assets × 10,000 files in one pass (indexed, not quadratic)', () => {
    const N = 10_000;
    const keyOf = (i: number) => `C${i % 40}_CAMP${Math.floor(i / 40) % 25}_BANNER${i}-300x250`;
    const assets: LinkableAsset[] = [];
    const files: LinkableFile[] = [];
    for (let i = 0; i < N; i++) {
      const explicit = i % 10 === 0 ? [id(i)] : [];
      // Every 1,000th asset, offset 5, also links the file of asset i-5: ten conflicts.
      if (i % 1000 === 5) explicit.push(id(i - 5));
      assets.push(asset(`a${i}`, keyOf(i), explicit));
      const name =
        i % 10 === 0 ? `Untitled design ${i}.psd`
        : i % 10 === 1 ? `${keyOf(i).toLowerCase()}_v03.psd`
        : i % 10 === 2 ? `ZZ_NOPE_BANNER${i}-300x250_v01.psd`
        : `${keyOf(i)}_v0${(i % 9) + 1}.psd`;
      files.push(file(id(i), name));
    }
    const r = linkFiles(assets, files, { naming });
    expect(r.links.filter((l) => l.via === 'explicit')).toHaveLength(990);
    expect(r.links.filter((l) => l.via === 'name')).toHaveLength(7000);
    expect(r.conflicts).toHaveLength(10);
    expect(r.conflicts[0]).toMatchObject({ fileId: id(0), claimants: [{ assetId: 'a0' }, { assetId: 'a5' }] });
    expect(r.misnamed).toHaveLength(1000);
    expect(r.misnamed.every((m) => m.assetIds.length === 1 && m.suggestion === `${keyOf(Number(m.assetIds[0]!.slice(1)))}_v03.psd`)).toBe(true);
    expect(r.orphans).toHaveLength(1000);
    expect(r.orphans.every((o) => o.reason === 'unknown_key')).toBe(true);
    expect(r.links.find((l) => l.fileId === id(4323))).toMatchObject({ assetId: 'a4323', via: 'name', version: (4323 % 9) + 1 });
    expect(placed(r)).toEqual(files.map((f) => `${f.connectionId}/${f.fileId}`).sort());
  });
});

describe('reconcileVersions', () => {
  const ASANA = 'agency-asana';
  const key = 'ACME_HOLIDAY_BANNER-300x250';
  const mpu = { id: 'asset-1', key };
  let seq = 0;
  const at = (day: number, hour = 9) => `2026-11-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00.000Z`;
  const revision = (fileId: string, name: string, createdAt: string, extra: Partial<VersionCandidate> = {}): VersionCandidate => ({
    connectionId: DRIVE, externalId: `${fileId}/r${++seq}`, source: 'revision', fileId, name, createdAt, checksum: `md5:${seq}`, ...extra,
  });
  const attachment = (name: string, createdAt: string, extra: Partial<VersionCandidate> = {}): VersionCandidate => ({
    connectionId: ASANA, externalId: `att-${++seq}`, source: 'attachment', fileId: null, name, createdAt, checksum: null, ...extra,
  });
  const summary = (vs: ReturnType<typeof reconcileVersions>) => vs.map((v) => [v.number, v.nameVersion, v.candidate.name, v.candidate.createdAt]);

  it('orders by the _vNN of the name before time, and numbers 1…n without gaps', () => {
    const v2 = revision('F2', `${key}_v02.psd`, at(3));
    const v1 = revision('F1', `${key}_v01.psd`, at(5));
    const v4 = revision('F4', `${key}_v04.psd`, at(6));
    expect(summary(reconcileVersions(mpu, [v4, v2, v1], { naming }))).toEqual([
      [1, 1, `${key}_v01.psd`, at(5)],
      [2, 2, `${key}_v02.psd`, at(3)],
      [3, 4, `${key}_v04.psd`, at(6)],
    ]);
  });

  it('continues a file’s numbering with its later revisions, before the next named file', () => {
    const f2final = revision('F2', `${key}_v02.psd`, at(6));
    const vs = reconcileVersions(mpu, [
      revision('F1', `${key}_v01.psd`, at(1)),
      // Drive keeps the file's name; a revision uploaded as "Untitled-1.psd" carries no number of its own.
      revision('F1', 'Untitled-1.psd', at(4), { nameVersion: null }),
      revision('F2', `${key}_v02.psd`, at(3)),
      f2final,
    ], { naming });
    expect(summary(vs)).toEqual([
      [1, 1, `${key}_v01.psd`, at(1)],
      [2, 1, 'Untitled-1.psd', at(4)],
      // Two saves of the same `_v02`: one version.
      [3, 2, `${key}_v02.psd`, at(3)],
    ]);
    expect(vs[2]!.merged).toEqual([{ candidate: f2final, reason: 'same_name_version' }]);
  });

  it('places versions without a number by time, after the numbered versions that preceded them', () => {
    const vs = reconcileVersions(mpu, [
      attachment('first look.png', at(1)),
      revision('F1', `${key}_v01.psd`, at(2)),
      attachment('banner with client edits.psd', at(4)),
      revision('F2', `${key}_v02.psd`, at(5)),
      attachment('banner final final.psd', at(7)),
    ], { naming });
    expect(summary(vs).map((s) => s[2])).toEqual(['first look.png', `${key}_v01.psd`, 'banner with client edits.psd', `${key}_v02.psd`, 'banner final final.psd']);
    expect(vs.map((v) => v.nameVersion)).toEqual([null, 1, null, 2, null]);
  });

  it('collapses an Asana attachment that IS the Drive file into the revision current when it was attached', () => {
    // A linked master whose name carries no number: its two revisions are two versions.
    const r1 = revision('F1', 'Holiday banner master.psd', at(1));
    const r2 = revision('F1', 'Holiday banner master.psd', at(5));
    const linked = attachment(`${key}_v01.psd`, at(3), { fileId: 'F1' });
    const early = attachment('link to the master', at(1, 8), { fileId: 'F1' });
    const elsewhere = attachment(`${key}_v02.psd`, at(6), { fileId: 'F-not-synced' });
    const vs = reconcileVersions(mpu, [linked, r2, r1, early, elsewhere], { naming });
    expect(vs.map((v) => [v.number, v.nameVersion, v.candidate.externalId, v.merged])).toEqual([
      // The attachment's `_v01` numbers the revision it points to.
      [1, 1, r1.externalId, [{ candidate: early, reason: 'points_to_file' }, { candidate: linked, reason: 'points_to_file' }]],
      // The next revision continues the file's numbering.
      [2, 1, r2.externalId, []],
      // The Drive file it points to is not among the candidates (outside the synced folders): its own version.
      [3, 2, elsewhere.externalId, []],
    ]);
  });

  it('collapses the same content (same checksum) into one version, represented by the earliest', () => {
    const original = revision('F1', `${key}_v02.psd`, at(2), { checksum: 'md5:aaa' });
    const copy = revision('F9', `Copy of ${key}_v02.psd`, at(4), { checksum: 'md5:aaa' });
    const resaved = revision('F3', `${key}_v03.psd`, at(5), { checksum: 'md5:aaa' });
    const real = revision('F4', `${key}_v03.psd`, at(6), { checksum: 'md5:bbb' });
    const vs = reconcileVersions(mpu, [resaved, real, copy, original], { naming });
    expect(vs.map((v) => [v.number, v.nameVersion, v.candidate.externalId, v.merged.map((m) => [m.candidate.externalId, m.reason])])).toEqual([
      [1, 2, original.externalId, [[copy.externalId, 'same_checksum'], [resaved.externalId, 'same_checksum']]],
      [2, 3, real.externalId, []],
    ]);
  });

  it('keeps deleted versions in place so that trashing a file does not renumber the others', () => {
    const candidates = [
      revision('F1', `${key}_v01.psd`, at(1)),
      revision('F2', `${key}_v02.psd`, at(2), { deletedAt: at(9) }),
      revision('F3', `${key}_v03.psd`, at(3)),
    ];
    const vs = reconcileVersions(mpu, candidates, { naming });
    expect(vs.map((v) => [v.number, v.nameVersion, v.deleted])).toEqual([[1, 1, false], [2, 2, true], [3, 3, false]]);
  });

  it('reads _vNN leniently (v3), ignores the number of another asset’s file, and works without a pattern', () => {
    const v3 = attachment(`${key}_v3.psd`, at(1));
    const other = attachment('ACME_HOLIDAY_BANNER-728x90_v01.psd', at(2));
    const v2 = attachment(`${key}_v02.psd`, at(3));
    expect(summary(reconcileVersions(mpu, [v3, other, v2], { naming })).map((s) => [s[1], s[2]])).toEqual([
      [2, `${key}_v02.psd`],
      [3, `${key}_v3.psd`],
      // Another asset's number does not count: placed by time, after v3 (uploaded the day before).
      [null, 'ACME_HOLIDAY_BANNER-728x90_v01.psd'],
    ]);
    // No pattern: any trailing _vNN counts.
    expect(reconcileVersions(mpu, [v3, other, v2]).map((v) => v.nameVersion)).toEqual([1, 2, 3]);
  });

  it('merges the candidates that carry the same _vNN: the intermediate and final saves, the Asana upload, the Final/ copy', () => {
    const v01 = revision('F1', `${key}_v01.psd`, at(1), { sizeBytes: 1_000 });
    const draft = revision('F2', `${key}_v02.psd`, at(3, 9), { sizeBytes: 1_900 });
    const saved = revision('F2', `${key}_v02.psd`, at(3, 11), { sizeBytes: 2_000 });
    const uploaded = attachment(`${key}_v02.psd`, at(3, 12), { sizeBytes: 2_000 });
    // files.copy keeps the content: the copy has the checksum of the revision it copies.
    const finalCopy = revision('F9', `${key}_v02.psd`, at(8), { checksum: saved.checksum, sizeBytes: 2_000 });
    // A copy exported again (another checksum) still says `_v02`.
    const reexport = revision('F8', `${key}_v02.psd`, at(9), { sizeBytes: 2_050 });
    // `v2` read leniently is the same number.
    const lenient = attachment(`${key}_v2.psd`, at(10));
    const vs = reconcileVersions(mpu, [reexport, finalCopy, uploaded, saved, draft, v01, lenient], { naming });
    expect(vs.map((v) => [v.number, v.nameVersion, v.candidate.externalId, v.merged.map((m) => [m.candidate.externalId, m.reason])])).toEqual([
      [1, 1, v01.externalId, []],
      [2, 2, draft.externalId, [
        [saved.externalId, 'same_name_version'],
        [uploaded.externalId, 'same_name_version'],
        // Joined the final save by its checksum first; that save joined the draft by number.
        [finalCopy.externalId, 'same_checksum'],
        [reexport.externalId, 'same_name_version'],
        [lenient.externalId, 'same_name_version'],
      ]],
    ]);
    // Every order of the same candidates gives the same list, reasons included.
    const ref = JSON.stringify(vs);
    const cs = [v01, draft, saved, uploaded, finalCopy, reexport, lenient];
    for (let k = 0; k < cs.length; k++) expect(JSON.stringify(reconcileVersions(mpu, [...cs.slice(k), ...cs.slice(0, k)].reverse(), { naming }))).toBe(ref);
  });

  it('a Final/ copy of the latest version is that version, not a new one', () => {
    const cs = [
      revision('F1', `${key}_v01.psd`, at(1)),
      attachment(`${key}_v01.psd`, at(1, 10)),
      revision('F2', `${key}_v02.psd`, at(2), { checksum: 'md5:latest' }),
      attachment(`${key}_v02.psd`, at(2, 10)),
      revision('F3', `${key}_v02.psd`, at(6), { checksum: 'md5:latest' }),
    ];
    const vs = reconcileVersions(mpu, cs, { naming });
    expect(vs.map((v) => [v.number, v.nameVersion, v.merged.length])).toEqual([[1, 1, 1], [2, 2, 2]]);
  });

  it('an upload without a number joins an earlier save of another tool with the same size, else follows it', () => {
    const v02 = revision('F2', `${key}_v02.psd`, at(2), { sizeBytes: 2_222 });
    const v03 = revision('F3', `${key}_v03.psd`, at(5, 9), { sizeBytes: 3_333 });
    const sameSize = attachment(`${key}_FINAL.psd`, at(5, 10), { sizeBytes: 3_333 });
    const same = reconcileVersions(mpu, [sameSize, v03, v02], { naming });
    expect(same.map((v) => [v.number, v.nameVersion, v.candidate.externalId, v.merged])).toEqual([
      [1, 2, v02.externalId, []],
      [2, 3, v03.externalId, [{ candidate: sameSize, reason: 'same_size' }]],
    ]);
    const otherSize = attachment(`${key}_FINAL.psd`, at(5, 10), { sizeBytes: 3_334 });
    expect(summary(reconcileVersions(mpu, [otherSize, v03, v02], { naming }))).toEqual([
      [1, 2, `${key}_v02.psd`, at(2)],
      [2, 3, `${key}_v03.psd`, at(5, 9)],
      // A new version after 3.
      [3, null, `${key}_FINAL.psd`, at(5, 10)],
    ]);
    // The size of an older version: the earlier candidate with that size decides, whatever its number.
    const oldSize = attachment(`${key}_FINAL.psd`, at(6), { sizeBytes: 2_222 });
    expect(reconcileVersions(mpu, [oldSize, v03, v02], { naming }).map((v) => [v.number, v.merged.map((m) => m.reason)])).toEqual([[1, ['same_size']], [2, []]]);
  });

  it('matches sizes only across connections, only with earlier candidates, only for candidates without a number, never on 0', () => {
    const v03 = revision('F3', `${key}_v03.psd`, at(5, 9), { sizeBytes: 3_333 });
    const cases: [string, VersionCandidate[]][] = [
      // The same connection: a second Drive file of that size is not proof of the same version.
      ['same connection', [v03, revision('F4', 'banner final.psd', at(5, 10), { sizeBytes: 3_333 })]],
      // The upload came first: the later Drive save does not reach back.
      ['later', [v03, attachment(`${key}_FINAL.psd`, at(5, 8), { sizeBytes: 3_333 })]],
      // An upload with its own number is placed by that number.
      ['numbered', [v03, attachment(`${key}_v04.psd`, at(5, 10), { sizeBytes: 3_333 })]],
      // Unknown sizes.
      ['zero', [revision('F3', `${key}_v03.psd`, at(5, 9), { sizeBytes: 0 }), attachment(`${key}_FINAL.psd`, at(5, 10), { sizeBytes: 0 })]],
    ];
    for (const [label, cs] of cases) expect([label, reconcileVersions(mpu, cs, { naming }).length]).toEqual([label, 2]);
    // Two uploads without a number never merge with each other except by size, and size needs another connection.
    const a = attachment('banner final.psd', at(2), { sizeBytes: 10 });
    const b = attachment('banner final final.psd', at(3), { sizeBytes: 10 });
    expect(reconcileVersions(mpu, [a, b], { naming })).toHaveLength(2);
    const driveCopy = revision('F5', 'banner final final.psd', at(4), { sizeBytes: 10 });
    expect(reconcileVersions(mpu, [a, b, driveCopy], { naming }).map((v) => [v.candidate.externalId, v.merged.map((m) => m.candidate.externalId)])).toEqual([
      [a.externalId, []],
      // The latest earlier candidate of that size from another connection.
      [b.externalId, [driveCopy.externalId]],
    ]);
  });

  it('cannot tell an intermediate save of a file without a number from a version: it stands alone, before the save the attachment points to', () => {
    const v01 = revision('F1', `${key}_v01.psd`, at(1), { sizeBytes: 100 });
    // An Asana attachment hosted on Drive, named KEY_FINAL: its file has two saves, no number, two sizes.
    const draft = revision('F2', `${key}_FINAL.psd`, at(3, 9), { sizeBytes: 180 });
    const saved = revision('F2', `${key}_FINAL.psd`, at(3, 11), { sizeBytes: 200 });
    const linked = attachment(`${key}_FINAL.psd`, at(3, 12), { fileId: 'F2', sizeBytes: 200 });
    const vs = reconcileVersions(mpu, [linked, saved, draft, v01], { naming });
    expect(vs.map((v) => [v.number, v.nameVersion, v.candidate.externalId, v.merged.map((m) => [m.candidate.externalId, m.reason])])).toEqual([
      [1, 1, v01.externalId, []],
      [2, null, draft.externalId, []],
      [3, null, saved.externalId, [[linked.externalId, 'points_to_file']]],
    ]);
  });

  it('deleted candidates still merge and keep their place: numbers do not move when a file is trashed', () => {
    const make = (trashed: boolean): VersionCandidate[] => [
      revision('F1', `${key}_v01.psd`, at(1), { externalId: 'F1/r1', deletedAt: trashed ? at(9) : null }),
      attachment(`${key}_v01.psd`, at(1, 10), { externalId: 'att-1', deletedAt: trashed ? at(9) : null }),
      revision('F2', `${key}_v02.psd`, at(2), { externalId: 'F2/r1', sizeBytes: 500, deletedAt: trashed ? at(9) : null }),
      attachment(`${key}_FINAL.psd`, at(2, 10), { externalId: 'att-2', sizeBytes: 500 }),
      revision('F3', `${key}_v03.psd`, at(3), { externalId: 'F3/r1', deletedAt: trashed ? at(9) : null }),
      attachment(`${key}_v03.psd`, at(3, 10), { externalId: 'att-3' }),
    ];
    const numbers = (vs: ReturnType<typeof reconcileVersions>) => vs.flatMap((v) => [v.candidate, ...v.merged.map((m) => m.candidate)].map((c) => `${c.externalId}=${v.number}`)).sort();
    const live = reconcileVersions(mpu, make(false), { naming });
    const trashed = reconcileVersions(mpu, make(true), { naming });
    expect(numbers(trashed)).toEqual(numbers(live));
    expect(numbers(live)).toEqual(['F1/r1=1', 'F2/r1=2', 'F3/r1=3', 'att-1=1', 'att-2=2', 'att-3=3']);
    // Version 1 is gone from both tools; versions 2 and 3 live on in Asana.
    expect(trashed.map((v) => v.deleted)).toEqual([true, false, false]);
    expect(live.map((v) => v.deleted)).toEqual([false, false, false]);
  });

  it('gives the same list whatever the input order, counts a candidate given twice once, and is empty for no candidates', () => {
    const cs = [
      revision('F1', `${key}_v01.psd`, at(1)),
      attachment('notes.pdf', at(1)),
      revision('F2', `${key}_v02.psd`, at(2)),
      attachment(`${key}_v02.psd`, at(2)),
      revision('F1', `${key}_v01.psd`, at(3)),
    ];
    const ref = reconcileVersions(mpu, cs, { naming }).map((v) => v.candidate.externalId);
    expect(reconcileVersions(mpu, [...cs].reverse(), { naming }).map((v) => v.candidate.externalId)).toEqual(ref);
    // v01 twice (one file, two saves), notes.pdf, v02 in both tools: three versions.
    expect(reconcileVersions(mpu, [...cs, cs[0]!, cs[3]!], { naming })).toHaveLength(3);
    expect(reconcileVersions(mpu, [])).toEqual([]);
  });
});

describe('linkFiles: a key one typo away from a known key', () => {
  const naming = createNaming();
  const assets = [
    { id: 'email4', key: 'ACME_BTS_EMAIL4-600x1200', explicitFileIds: [] },
    { id: 'banner', key: 'ACME_HOLIDAY_BANNER-300x250', explicitFileIds: [] },
  ];
  const file = (fileId: string, name: string) => ({ fileId, name, connectionId: 'drive' });

  it('reports two swapped letters as misnamed, with the corrected name, and does not link it', () => {
    const r = linkFiles(assets, [file('f1', 'ACME_BTS_MEAIL4-600x1200_v01.html')], { naming });
    expect(r.links).toEqual([]);
    expect(r.misnamed).toEqual([
      expect.objectContaining({ fileId: 'f1', keys: ['ACME_BTS_EMAIL4-600x1200'], assetIds: ['email4'], suggestion: 'ACME_BTS_EMAIL4-600x1200_v01.html', reason: expect.stringMatching(/did you mean ACME_BTS_EMAIL4-600x1200/) }),
    ]);
  });

  it('also catches one wrong, missing or extra letter, in any key part', () => {
    for (const name of ['ACME_HOLIDAY_BANMER-300x250_v02.psd', 'ACME_HOLIDAY_BANER-300x250_v02.psd', 'ACME_HOLIIDAY_BANNER-300x250_v02.psd']) {
      expect(linkFiles(assets, [file('f', name)], { naming }).misnamed.map((m) => m.assetIds)).toEqual([['banner']]);
    }
  });

  it('leaves a key that differs by a digit, or by more than one letter, as an orphan with an unknown key', () => {
    for (const name of ['ACME_BTS_EMAIL5-600x1200_v01.html', 'ACME_HOLIDAY_BANNER-300x600_v01.psd', 'ACME_HOLIDAY_BNANRE-300x250_v01.psd']) {
      const r = linkFiles(assets, [file('f', name)], { naming });
      expect(r.orphans).toEqual([expect.objectContaining({ reason: 'unknown_key' })]);
    }
  });
});

describe('oneLetterTypo', () => {
  it('is one letter swapped, replaced, added or dropped, and nothing else', () => {
    expect([oneLetterTypo('EMAIL', 'MEAIL'), oneLetterTypo('BANNER', 'BANMER'), oneLetterTypo('BANNER', 'BANER'), oneLetterTypo('BANER', 'BANNER')]).toEqual([true, true, true, true]);
    expect([oneLetterTypo('EMAIL', 'EMAIL'), oneLetterTypo('EMAIL4', 'EMAIL5'), oneLetterTypo('EMAIL', 'EMAIL2'), oneLetterTypo('BANNER', 'BNANRE')]).toEqual([false, false, false, false]);
  });
});

describe('names that break the pattern still say which version they are', () => {
  const naming = createNaming();
  const rev = (externalId: string, name: string, createdAt: string): VersionCandidate => ({ connectionId: 'drive', externalId, source: 'revision', fileId: 'f1', name, createdAt, checksum: null });
  const att = (externalId: string, name: string, createdAt: string): VersionCandidate => ({ connectionId: 'asana', externalId, source: 'attachment', fileId: null, name, createdAt, checksum: null });

  it('a revision saved under a misspelt key keeps its _vNN after the file is renamed, so nothing is renumbered', () => {
    const out = reconcileVersions({ key: 'SOLSTICE_BTS_EMAIL5-600x1200' }, [
      rev('f1/r1', 'SOLSTICE_BTS_MEAIL5-600x1200_v01.html', '2026-03-01T09:00:00Z'),
      att('a1', 'SOLSTICE_BTS_EMAIL5-600x1200_v01.html', '2026-03-01T10:00:00Z'),
      rev('f1/r2', 'SOLSTICE_BTS_EMAIL5-600x1200_v02.html', '2026-03-05T09:00:00Z'),
    ], { naming });
    expect(out.map((v) => [v.number, v.candidate.externalId, v.merged.map((m) => m.candidate.externalId)])).toEqual([[1, 'f1/r1', ['a1']], [2, 'f1/r2', []]]);
  });

  it('a name without its size reads its trailing _vNN; another asset\'s key does not number this one', () => {
    const out = reconcileVersions({ key: 'ACME_HOLIDAY_BANNER-300x250' }, [
      att('a1', 'ACME_HOLIDAY_BANNER_v02.psd', '2026-03-02T10:00:00Z'),
      att('a0', 'ACME_HOLIDAY_BANNER-300x250_v01.psd', '2026-03-01T10:00:00Z'),
      att('ref', 'ACME_HOLIDAY_POSTER-A4_v07.psd', '2026-03-03T10:00:00Z'),
    ], { naming });
    expect(out.map((v) => [v.number, v.candidate.externalId, v.nameVersion])).toEqual([[1, 'a0', 1], [2, 'a1', 2], [3, 'ref', null]]);
  });

  it('a file name that left out the size of an asset made in many sizes is misnamed, with every candidate key', () => {
    const sizes = ['300x250', '728x90', '160x600', '300x600', '970x250', '320x50'];
    const assets = sizes.map((s, i) => ({ id: `a${i}`, key: `SOLSTICE_BTS_BANNER2-${s}`, explicitFileIds: [] }));
    const r = linkFiles(assets, [{ fileId: 'f', name: 'SOLSTICE_BTS_BANNER2_v01.psd', connectionId: 'drive' }], { naming });
    expect(r.orphans).toEqual([]);
    expect(r.misnamed).toEqual([expect.objectContaining({ fileId: 'f', keys: expect.arrayContaining(assets.map((a) => a.key)) })]);
    expect(r.misnamed[0]!.keys).toHaveLength(6);
  });
});
