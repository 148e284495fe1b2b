import { describe, expect, it } from 'vitest';
import { compileNaming, createNaming, DEFAULT_NAMING, NamingError, versionSuffix, type NamingConfigInput } from './naming';

const naming = createNaming(DEFAULT_NAMING);

function issuesOf(cfg: NamingConfigInput) {
  const r = compileNaming(cfg);
  if (r.ok) throw new Error('expected the config to be rejected');
  return r.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('naming pattern: names that follow it', () => {
  it('reads the parts, the asset key and the version of a well-formed file name', () => {
    expect(naming.parseName('ACME_HOLIDAY_BANNER-300x250_v03.psd')).toEqual({
      ok: true,
      parts: { client: 'ACME', campaign: 'HOLIDAY', asset: 'BANNER', size: '300x250', version: '03', ext: 'psd' },
      key: 'ACME_HOLIDAY_BANNER-300x250',
      version: 3,
    });
  });

  it.each([
    ['NORTHWIND_BFCM_SOCIALVID-1080x1920_v12.mp4', 'NORTHWIND_BFCM_SOCIALVID-1080x1920', 12],
    ['GLOBEX_HOLIDAYW2_BANNER2-728x90_v01.psd', 'GLOBEX_HOLIDAYW2_BANNER2-728x90', 1],
    ['ACME_REFRESH_PRINT-A4_v02.pdf', 'ACME_REFRESH_PRINT-A4', 2],
    ['VANTA_WINTER_PRINT-DPS_v07.pdf', 'VANTA_WINTER_PRINT-DPS', 7],
    ['LUMA_SPRING_OOH-48-sheet_v100.psd', 'LUMA_SPRING_OOH-48-sheet', 100],
  ])('%s → key %s, version %d (pixel, print and poster sizes)', (name, key, version) => {
    expect(naming.parseName(name)).toMatchObject({ ok: true, key, version });
  });

  it('reads asset keys under the key template', () => {
    expect(naming.parseKey('ACME_HOLIDAY_BANNER-300x250')).toMatchObject({ ok: true, key: 'ACME_HOLIDAY_BANNER-300x250', parts: { size: '300x250' } });
    expect(naming.parseKey('acme_holiday_banner-300x250')).toMatchObject({ ok: false, suggestion: 'ACME_HOLIDAY_BANNER-300x250', fixes: ['case'] });
  });

  it('formats a name from parts, and refuses to when a required part is missing', () => {
    const parts = { client: 'ACME', campaign: 'HOLIDAY', asset: 'BANNER', size: '300x250', version: '04', ext: 'psd' };
    expect(naming.formatName(parts)).toBe('ACME_HOLIDAY_BANNER-300x250_v04.psd');
    expect(naming.formatName({ ...parts, size: undefined as unknown as string })).toBeNull();
  });

  it('exposes the compiled pattern as one anchored RegExp with named groups', () => {
    expect(naming.regex.exec('ACME_HOLIDAY_BANNER-300x250_v03.psd')?.groups).toMatchObject({ client: 'ACME', size: '300x250' });
    expect(naming.regex.test('x ACME_HOLIDAY_BANNER-300x250_v03.psd')).toBe(false);
    expect(naming.parts).toEqual(['client', 'campaign', 'asset', 'size', 'version', 'ext']);
    expect(naming.keyParts).toEqual(['client', 'campaign', 'asset', 'size']);
  });
});

describe('naming pattern: names that do not follow it, with the fix', () => {
  it.each([
    ['lower case', 'acme_holiday_banner-300x250_v03.psd', 'ACME_HOLIDAY_BANNER-300x250_v03.psd', ['case']],
    ['version not zero-padded', 'ACME_HOLIDAY_BANNER-300x250_v3.psd', 'ACME_HOLIDAY_BANNER-300x250_v03.psd', ['padding']],
    ['lower case and v3', 'acme_holiday_banner-300x250_v3.psd', 'ACME_HOLIDAY_BANNER-300x250_v03.psd', ['case', 'padding']],
    ['- and _ swapped, upper-case extension', 'ACME_HOLIDAY_BANNER_300x250-v03.PSD', 'ACME_HOLIDAY_BANNER-300x250_v03.psd', ['case', 'separator']],
    ['spaces for separators', 'ACME HOLIDAY BANNER 300x250 v03.psd', 'ACME_HOLIDAY_BANNER-300x250_v03.psd', ['separator']],
    ['stray spaces', ' ACME_HOLIDAY_BANNER-300x250_v03 .psd ', 'ACME_HOLIDAY_BANNER-300x250_v03.psd', ['whitespace', 'separator']],
    ['mixed case codes, upper-case size', 'Acme_Holiday_Banner-300X250_V03.psd', 'ACME_HOLIDAY_BANNER-300x250_v03.psd', ['case']],
    ['poster size in capitals', 'acme_holiday_ooh-48-SHEET_v1.psd', 'ACME_HOLIDAY_OOH-48-sheet_v01.psd', ['case', 'padding']],
  ])('%s: %j → %j', (_what, name, suggestion, fixes) => {
    const r = naming.parseName(name);
    expect(r).toMatchObject({ ok: false, suggestion });
    expect(r.ok ? [] : [...(r.fixes ?? [])].sort()).toEqual([...fixes].sort());
    // The suggestion itself follows the pattern, with the same key.
    expect(naming.parseName(suggestion)).toMatchObject({ ok: true, key: suggestion.replace(/_v\d+\.\w+$/, '') });
  });

  it('says where the name stops following the pattern when a part is missing, and suggests nothing it cannot know', () => {
    const r = naming.parseName('ACME_HOLIDAY_BANNER_v03.psd');
    expect(r).toEqual({ ok: false, reason: 'does not follow {client}_{campaign}_{asset}-{size}_v{version}.{ext}: expected "-" after "ACME_HOLIDAY_BANNER"' });
    expect(naming.parseName('ACME_HOLIDAY_BANNER-300x250_FINAL.psd')).toEqual({
      ok: false,
      reason: 'does not follow {client}_{campaign}_{asset}-{size}_v{version}.{ext}: expected "_v" after "ACME_HOLIDAY_BANNER-300x250"',
    });
    expect(naming.parseName('ACME_HOLIDAY_BANNER-300x250_v3.psd')).toMatchObject({ reason: expect.stringContaining('expected {version} (\\d{2,3}) after "ACME_HOLIDAY_BANNER-300x250_v"') });
    expect(naming.parseName('ACME_HOLIDAY_BANNER-300x250_v03.psd.zip')).toMatchObject({ reason: expect.stringContaining('unexpected ".zip" after "ACME_HOLIDAY_BANNER-300x250_v03.psd"') });
    expect(naming.parseName('   ')).toMatchObject({ ok: false, reason: expect.stringContaining('the name is empty') });
  });

  it('does not take a Google Docs title for a creative file', () => {
    const r = naming.parseName('Holiday 2026 — banner copy deck');
    expect(r.ok).toBe(false);
    expect(r).not.toHaveProperty('suggestion');
  });

  it('reads Google Docs titles (no extension) when the pattern makes the extension optional', () => {
    const docs = createNaming({ pattern: '{client}_{campaign}_{asset}-{size}_v{version}[.{ext}]', key: DEFAULT_NAMING.key });
    expect(docs.parseName('ACME_HOLIDAY_COPY-300x250_v02')).toEqual({
      ok: true, parts: { client: 'ACME', campaign: 'HOLIDAY', asset: 'COPY', size: '300x250', version: '02' }, key: 'ACME_HOLIDAY_COPY-300x250', version: 2,
    });
    expect(docs.parseName('ACME_HOLIDAY_BANNER-300x250_v03.psd')).toMatchObject({ ok: true, version: 3 });
    expect(docs.parseName('ACME HOLIDAY COPY 300x250 v2')).toMatchObject({ ok: false, suggestion: 'ACME_HOLIDAY_COPY-300x250_v02' });
    expect(docs.formatName({ client: 'A', campaign: 'B', asset: 'C', size: '1x1', version: '01' })).toBe('A_B_C-1x1_v01');
  });

  it('uses parts defined in the config, and overrides of the defaults', () => {
    const custom = createNaming({
      pattern: '{brand}-{job}-{asset}_{size}_r{version}.{ext}',
      key: '{brand}-{job}-{asset}_{size}',
      parts: { brand: '[a-z]{2,8}', job: 'J\\d{4}', size: '\\d+x\\d+(?:mm)?', version: '\\d+' },
    });
    expect(custom.parseName('acme-J0042-BANNER_210x297mm_r7.pdf')).toMatchObject({ ok: true, key: 'acme-J0042-BANNER_210x297mm', version: 7 });
    expect(custom.parseName('ACME-j0042-banner_210x297mm_r7.pdf')).toMatchObject({ ok: false, suggestion: 'acme-J0042-BANNER_210x297mm_r7.pdf' });
  });

  it('stays fast on long or hostile names (no catastrophic backtracking)', () => {
    for (const name of ['A'.repeat(5000), 'A_'.repeat(2000), 'a-b_'.repeat(300) + '.psd', `A_B_C-1x1_v${'1'.repeat(3000)}.x`]) {
      expect(naming.parseName(name).ok).toBe(false);
    }
  });
});

describe('naming pattern: invalid configs are rejected with a clear message', () => {
  it.each([
    [{ pattern: '{client}_{brand}_v{version}.{ext}', key: '{client}' }, 'pattern', /unknown placeholder \{brand\} \(known: client, campaign, asset, size, version, ext; define others under parts\)/],
    [{ pattern: '{constructor}_v{version}', key: '{constructor}' }, 'pattern', /unknown placeholder \{constructor\}/],
    [{ pattern: '{client_{asset}.{ext}', key: '{client}' }, 'pattern', /unbalanced braces: the "\{" at character 1 is not closed/],
    [{ pattern: '{client}}_{asset}', key: '{client}' }, 'pattern', /unbalanced braces: the "\}" at character 9 has no "\{"/],
    [{ pattern: '{client}_v{version}[.{ext}', key: '{client}' }, 'pattern', /unbalanced brackets: the "\[" at character 20 is not closed/],
    [{ pattern: '{client}_{asset}]', key: '{client}' }, 'pattern', /unbalanced brackets: the "\]" at character 17 has no "\["/],
    [{ pattern: '{client}[_FINAL]', key: '{client}' }, 'pattern', /optional segment .* has no placeholder/],
    [{ pattern: '{Client}_{asset}', key: '{client}' }, 'pattern', /"\{Client\}" at character 1 is not a placeholder/],
    [{ pattern: 'banner.psd', key: '{client}' }, 'pattern', /the pattern has no placeholder/],
    [{ pattern: '{client}_{client}', key: '{client}' }, 'pattern', /\{client\} appears twice in the pattern/],
    [{ pattern: '{client}_{asset}', key: '{client}_{size}' }, 'key', /the key uses \{size\}, which the pattern does not have \(pattern parts: client, asset\)/],
    [{ pattern: '{client}_{asset}[-{size}]', key: '{client}_{size}' }, 'key', /\{size\}, which is optional in the pattern/],
    [{ pattern: '{client}_v{version}', key: '{client}_v{version}' }, 'key', /the key cannot use \{version\}/],
    [{ pattern: '{client}_{asset}', key: '{client}[_{asset}]' }, 'key', /optional segments .* are not allowed here/],
    [{ pattern: '{client}_{asset}', key: 'ACME' }, 'key', /the key has no placeholder/],
    [{ pattern: '{client}_{asset}', key: '{client}', parts: { asset: '[A-Z' } }, 'parts.asset', /^\/\[A-Z\/ is not a valid regular expression: Unterminated character class$/],
    [{ pattern: '{client}_{asset}', key: '{client}', parts: { asset: '(BANNER|MPU)' } }, 'parts.asset', /capturing group: use a non-capturing group/],
    [{ pattern: '{client}_{asset}', key: '{client}', parts: { asset: '[A-Z]*' } }, 'parts.asset', /matches an empty string/],
    [{ pattern: '{client}_{asset}', key: '{client}', parts: { 'Asset Code': '[A-Z]+' } }, 'parts.Asset Code', /not a valid part name/],
  ])('%j → %s', (cfg, path, message) => {
    expect(issuesOf(cfg)).toEqual([{ path, message: expect.stringMatching(message) }]);
  });

  it('lists every problem at once, and createNaming throws them', () => {
    const cfg = { pattern: '{client}_{brand}.{ext}', key: '{client}_{size}', parts: { ext: '(psd)' } };
    expect(issuesOf(cfg).map((i) => i.path)).toEqual(['parts.ext', 'pattern', 'key']);
    expect(() => createNaming(cfg)).toThrow(NamingError);
    expect(() => createNaming(cfg)).toThrow(/pattern: unknown placeholder \{brand\}/);
  });
});

describe('versionSuffix (names outside any pattern)', () => {
  it.each([
    ['ACME_HOLIDAY_BANNER-300x250_v03.psd', 3],
    ['Banner v3.psd', 3],
    ['banner-V12.pdf', 12],
    ['Copy deck v2', 2],
    ['banner_FINAL.psd', null],
    ['inventory.psd', null],
    ['brief_v2_notes.docx', null],
  ])('%s → %s', (name, v) => {
    expect(versionSuffix(name)).toBe(v);
  });
});
