// Naming patterns: the workspace's convention for asset keys and file names, configured in
// stageline.yaml (`workspace.linking.naming`), compiled once into anchored RegExps with named groups.
//
//   pattern: "{client}_{campaign}_{asset}-{size}_v{version}.{ext}"
//   key:     "{client}_{campaign}_{asset}-{size}"
//
// A template is literal text with `{part}` placeholders and `[…]` optional segments (e.g. `[.{ext}]`
// for Google Docs, which have no extension). Each part has a regex (defaults below, overridable and
// extendable under `parts`). `parseName` either returns the parts, the asset key and the version, or
// says where the name stops following the pattern and, when the parts can be recovered (wrong case,
// `-`/`_`/space swapped, `v3` for `v03`, stray spaces), the corrected name. Pure: no I/O, no clock.
import { z } from 'zod';
import type { Issue } from './model';

/**
 * Default part regexes. Codes are upper-case letters and digits with no separator inside, because
 * `_` and `-` separate parts in the default pattern: a code that may contain them makes a name
 * ambiguous (is `A-B-300x250` asset `A-B` or `A`?). Sizes cover pixel sizes and the print and
 * out-of-home formats an agency uses (A4, DPS, 48-sheet; see connectors/asana/simulator/vocabulary.ts).
 */
export const DEFAULT_PARTS: Readonly<Record<string, string>> = {
  client: '[A-Z0-9]+',
  campaign: '[A-Z0-9]+',
  asset: '[A-Z0-9]+',
  size: '\\d+x\\d+|A\\d{1,2}|DPS|\\d+-sheet',
  version: '\\d{2,3}',
  ext: '[a-z0-9]+',
};

export const DEFAULT_NAMING = {
  pattern: '{client}_{campaign}_{asset}-{size}_v{version}.{ext}',
  key: '{client}_{campaign}_{asset}-{size}',
} as const;

/** The part whose value is a version number (digits only), reported as `version`. */
export const VERSION_PART = 'version';

export interface NamingConfigInput {
  pattern: string;
  key: string;
  /** Part name → regex source; adds parts or overrides the defaults. */
  parts?: Record<string, string> | undefined;
}

/** What was wrong with a name that could be corrected. */
export type NameFix = 'case' | 'separator' | 'padding' | 'whitespace';

export type ParsedName =
  | { ok: true; parts: Record<string, string>; key: string; version?: number }
  | {
      ok: false;
      /** Where the name stops following the template, e.g. `expected {size} (\d+x\d+) after "ACME_HOLIDAY_BANNER-"`. */
      reason: string;
      /** The corrected name, when every part could be recovered. */
      suggestion?: string;
      /** What the suggestion corrects (present with `suggestion`). */
      fixes?: NameFix[];
    };

export interface Naming {
  readonly pattern: string;
  readonly key: string;
  /** The pattern as an anchored RegExp with one named group per part. */
  readonly regex: RegExp;
  /** Parts of the pattern, in order. */
  readonly parts: readonly string[];
  /** Parts of the key template, in order. */
  readonly keyParts: readonly string[];
  /** A file or asset name under the pattern. */
  parseName(name: string): ParsedName;
  /** An asset key under the key template (`key` of the result is the key itself). */
  parseKey(key: string): ParsedName;
  /** The name the pattern gives these parts; null when a required part is missing. */
  formatName(parts: Readonly<Record<string, string>>): string | null;
}

export type CompiledNaming = { ok: true; naming: Naming } | { ok: false; issues: Issue[] };

/** The naming section of stageline.yaml; an invalid pattern is reported at its path. */
export const NamingConfig = z
  .strictObject({
    pattern: z.string().min(1),
    key: z.string().min(1),
    parts: z.record(z.string(), z.string().min(1)).optional(),
  })
  .superRefine((cfg, ctx) => {
    const r = compileNaming(cfg);
    if (!r.ok) for (const i of r.issues) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
  });
export type NamingConfig = z.infer<typeof NamingConfig>;

export class NamingError extends Error {
  constructor(readonly issues: Issue[]) {
    super(`invalid naming pattern:\n${issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
    this.name = 'NamingError';
  }
}

/** Compiles a naming config, or lists every problem with its path (`pattern`, `key`, `parts.<name>`). */
export function compileNaming(cfg: NamingConfigInput): CompiledNaming {
  const issues: Issue[] = [];
  const issue = (path: (string | number)[], message: string): void => {
    issues.push({ code: 'invalid_pattern', path, message });
  };

  const sources = new Map<string, string>(Object.entries(DEFAULT_PARTS));
  for (const [name, source] of Object.entries(cfg.parts ?? {})) {
    if (!PART_NAME.test(name)) {
      issue(['parts', name], `"${name}" is not a valid part name (lower_snake_case: a letter, then letters, digits or _)`);
      continue;
    }
    const problem = partRegexProblem(source);
    if (problem) issue(['parts', name], problem);
    else sources.set(name, source);
  }

  const pattern = parseTemplate(cfg.pattern, true);
  let patternParts: { required: Set<string>; all: string[] } | null = null;
  if (!pattern.ok) issue(['pattern'], pattern.message);
  else {
    const all = placeholders(pattern.nodes);
    const required = new Set(placeholders(pattern.nodes, false));
    const dup = duplicate(all);
    // A configured part with a bad regex is reported as that, not again as unknown.
    const unknown = all.filter((p) => !sources.has(p) && !(cfg.parts && Object.hasOwn(cfg.parts, p)));
    if (all.length === 0) issue(['pattern'], 'the pattern has no placeholder: name its parts in braces, e.g. {client}_{asset}_v{version}.{ext}');
    if (dup) issue(['pattern'], `{${dup}} appears twice in the pattern`);
    for (const p of new Set(unknown)) issue(['pattern'], `unknown placeholder {${p}} (known: ${[...sources.keys()].join(', ')}; define others under parts)`);
    // Key parts are checked against a usable pattern only, so one mistake is reported once.
    if (all.length > 0) patternParts = { required, all };
  }

  const key = parseTemplate(cfg.key, false);
  if (!key.ok) issue(['key'], key.message);
  else {
    const kp = placeholders(key.nodes);
    const dup = duplicate(kp);
    if (kp.length === 0) issue(['key'], 'the key has no placeholder: name the pattern parts that identify an asset, e.g. {client}_{campaign}_{asset}');
    if (dup) issue(['key'], `{${dup}} appears twice in the key`);
    for (const p of new Set(kp)) {
      if (p === VERSION_PART) issue(['key'], `the key cannot use {${VERSION_PART}}: every version of an asset shares its key`);
      else if (patternParts && !patternParts.all.includes(p)) issue(['key'], `the key uses {${p}}, which the pattern does not have (pattern parts: ${patternParts.all.join(', ')})`);
      else if (patternParts && !patternParts.required.has(p)) issue(['key'], `the key uses {${p}}, which is optional in the pattern: a key part must always be present`);
    }
  }

  if (issues.length || !pattern.ok || !key.ok) return { ok: false, issues };
  let patternT: Template;
  let keyT: Template;
  try {
    patternT = new Template(cfg.pattern, pattern.nodes, sources);
    keyT = new Template(cfg.key, key.nodes, sources);
  } catch (e) {
    return { ok: false, issues: [{ code: 'invalid_pattern', path: ['pattern'], message: `the pattern does not compile: ${(e as Error).message}` }] };
  }
  const keyParts = placeholders(key.nodes);

  const toParsed = (t: Template, name: string, keyOf: (parts: Record<string, string>) => string): ParsedName => {
    const parts = t.match(name);
    if (parts) {
      const out: ParsedName = { ok: true, parts, key: keyOf(parts) };
      const v = parts[VERSION_PART];
      if (typeof v === 'string' && /^\d+$/.test(v)) out.version = Number(v);
      return out;
    }
    const fail: ParsedName = { ok: false, reason: t.explain(name) };
    const s = t.suggest(name);
    if (s) {
      fail.suggestion = s.name;
      fail.fixes = s.fixes;
    }
    return fail;
  };

  const naming: Naming = {
    pattern: cfg.pattern,
    key: cfg.key,
    regex: patternT.strict,
    parts: placeholders(pattern.nodes),
    keyParts,
    parseName: (name) => toParsed(patternT, name, (parts) => keyT.render(parts) ?? ''),
    parseKey: (k) => toParsed(keyT, k, () => k),
    formatName: (parts) => patternT.render(parts),
  };
  return { ok: true, naming };
}

/** compileNaming, throwing NamingError when the config is invalid (config already checked by parseConfig). */
export function createNaming(cfg: NamingConfigInput = DEFAULT_NAMING): Naming {
  const r = compileNaming(cfg);
  if (!r.ok) throw new NamingError(r.issues);
  return r.naming;
}

/**
 * The `_vNN` number at the end of a name, whatever the pattern (`X_v03.psd`, `X v3`, `X-V12.pdf`),
 * for names that do not follow a pattern. Null when there is none.
 */
export function versionSuffix(name: string): number | null {
  const m = /(?:^|[-_\s])v(\d{1,4})(?:\s*\.[\p{L}\p{N}]{1,8})?\s*$/iu.exec(name);
  return m ? Number(m[1]) : null;
}

// ------------------------------------------------------------------------------------ templates

type Node = { t: 'lit'; text: string } | { t: 'part'; name: string } | { t: 'opt'; nodes: Node[] };

const PART_NAME = /^[a-z][a-z0-9_]*$/;

function parseTemplate(src: string, allowOptional: boolean): { ok: true; nodes: Node[] } | { ok: false; message: string } {
  const fail = (message: string) => ({ ok: false as const, message });
  if (src.length === 0) return fail('the template is empty');
  const stack: Node[][] = [[]];
  const opens: number[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    const top = stack[stack.length - 1]!;
    if (c === '{') {
      const close = src.indexOf('}', i + 1);
      const reopen = src.indexOf('{', i + 1);
      if (close < 0 || (reopen >= 0 && reopen < close)) return fail(`unbalanced braces: the "{" at character ${i + 1} is not closed`);
      const name = src.slice(i + 1, close);
      if (!PART_NAME.test(name)) return fail(`"{${name}}" at character ${i + 1} is not a placeholder: write a lower_snake_case part name in braces, e.g. {client}`);
      top.push({ t: 'part', name });
      i = close + 1;
    } else if (c === '}') {
      return fail(`unbalanced braces: the "}" at character ${i + 1} has no "{"`);
    } else if (c === '[') {
      if (!allowOptional) return fail(`optional segments "[…]" are not allowed here (character ${i + 1}): every key part is required`);
      stack.push([]);
      opens.push(i);
      i++;
    } else if (c === ']') {
      if (stack.length === 1) return fail(`unbalanced brackets: the "]" at character ${i + 1} has no "["`);
      const nodes = stack.pop()!;
      const at = opens.pop()!;
      if (placeholders(nodes).length === 0) return fail(`the optional segment at character ${at + 1} has no placeholder: an optional segment is for an optional part, e.g. [.{ext}]`);
      stack[stack.length - 1]!.push({ t: 'opt', nodes });
      i++;
    } else {
      const last = top[top.length - 1];
      if (last?.t === 'lit') last.text += c;
      else top.push({ t: 'lit', text: c });
      i++;
    }
  }
  if (stack.length > 1) return fail(`unbalanced brackets: the "[" at character ${opens[opens.length - 1]! + 1} is not closed`);
  return { ok: true, nodes: stack[0]! };
}

function placeholders(nodes: Node[], includeOptional = true): string[] {
  const out: string[] = [];
  for (const n of nodes) {
    if (n.t === 'part') out.push(n.name);
    else if (n.t === 'opt' && includeOptional) out.push(...placeholders(n.nodes, true));
  }
  return out;
}

function duplicate(xs: string[]): string | undefined {
  const seen = new Set<string>();
  for (const x of xs) {
    if (seen.has(x)) return x;
    seen.add(x);
  }
  return undefined;
}

function partRegexProblem(source: string): string | null {
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${source})$`, 'u');
  } catch (e) {
    return `/${source}/ is not a valid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: (?:\/.*\/[a-z]*: )?/s, '')}`;
  }
  // Groups of a part would shift or clash with the pattern's own named groups.
  const groups = (new RegExp(`|${source}`, 'u').exec('')?.length ?? 1) - 1;
  if (groups > 0) return `/${source}/ has a capturing group: use a non-capturing group (?:…) instead`;
  if (re.test('')) return `/${source}/ matches an empty string: a part must have at least one character`;
  return null;
}

function anchored(source: string): RegExp {
  return new RegExp(`^(?:${source})$`, 'u');
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const SEPARATORS = /[-_\s]+/y;

/** A compiled template: strict matching, an explanation of a mismatch, and a lenient repair. */
class Template {
  readonly strict: RegExp;
  private readonly lenient: RegExp;
  /** Regexes of the first k top-level nodes (k = 1…n), to find where a name stops matching. */
  private readonly prefixes: RegExp[];
  private readonly partRes: Map<string, RegExp>;

  constructor(
    readonly source: string,
    private readonly nodes: Node[],
    private readonly partSources: Map<string, string>,
  ) {
    this.strict = new RegExp(`^${this.src(nodes, false)}$`, 'u');
    this.lenient = new RegExp(`^${this.src(nodes, true)}$`, 'iu');
    this.prefixes = nodes.map((_, k) => new RegExp(`^${this.src(nodes.slice(0, k + 1), false)}`, 'u'));
    this.partRes = new Map(placeholders(nodes).map((p) => [p, anchored(partSources.get(p)!)]));
  }

  private src(nodes: Node[], lenient: boolean): string {
    return nodes
      .map((n) => {
        if (n.t === 'part') {
          const s = this.partSources.get(n.name)!;
          // Lenient: the part's own regex (case-insensitive, by the flag) or any run of letters and digits,
          // which the repair step then tries to bring into the part's shape.
          return lenient ? `(?<${n.name}>(?:${s})|[\\p{L}\\p{N}]+)` : `(?<${n.name}>${s})`;
        }
        if (n.t === 'opt') return `(?:${this.src(n.nodes, lenient)})?`;
        return lenient ? lenientLiteral(n.text) : escapeRegex(n.text);
      })
      .join('');
  }

  match(name: string): Record<string, string> | null {
    const m = this.strict.exec(name);
    return m ? definedGroups(m) : null;
  }

  render(parts: Readonly<Record<string, string>>, nodes: Node[] = this.nodes): string | null {
    let out = '';
    for (const n of nodes) {
      if (n.t === 'lit') out += n.text;
      else if (n.t === 'part') {
        const v = Object.hasOwn(parts, n.name) ? parts[n.name] : undefined;
        if (v === undefined) return null;
        out += v;
      } else out += this.render(parts, n.nodes) ?? '';
    }
    return out;
  }

  explain(name: string): string {
    const head = `does not follow ${this.source}`;
    if (name.trim() === '') return `${head}: the name is empty`;
    let k = this.nodes.length;
    let matched = '';
    while (k > 0) {
      const m = this.prefixes[k - 1]!.exec(name);
      if (m) {
        matched = m[0];
        break;
      }
      k--;
    }
    if (k === this.nodes.length) return `${head}: unexpected ${JSON.stringify(name.slice(matched.length))} after ${JSON.stringify(matched)}`;
    const where = k === 0 ? 'at the start' : `after ${JSON.stringify(matched)}`;
    return `${head}: expected ${this.describe(this.nodes[k]!)} ${where}`;
  }

  private describe(n: Node): string {
    if (n.t === 'lit') return JSON.stringify(n.text);
    if (n.t === 'part') return `{${n.name}} (${this.partSources.get(n.name)})`;
    return `[${n.nodes.map((x) => this.describe(x)).join(' ')}]`;
  }

  /** The corrected name, when the lenient form matches and every part can be brought into shape. */
  suggest(name: string): { name: string; fixes: NameFix[] } | null {
    const trimmed = name.trim();
    const m = this.lenient.exec(trimmed);
    if (!m) return null;
    const found = definedGroups(m);
    const fixes = new Set<NameFix>();
    const repaired: Record<string, string> = {};
    for (const [part, value] of Object.entries(found)) {
      const r = repairPart(value, this.partRes.get(part)!);
      if (!r) return null;
      repaired[part] = r.value;
      if (r.fix) fixes.add(r.fix);
    }
    const suggestion = this.render(repaired);
    if (suggestion === null || suggestion === name || !this.strict.test(suggestion)) return null;
    if (trimmed !== name) fixes.add('whitespace');
    const asFound = this.render(found);
    if (asFound !== null && asFound !== trimmed) fixes.add(asFound.toLowerCase() === trimmed.toLowerCase() ? 'case' : 'separator');
    return { name: suggestion, fixes: [...fixes] };
  }
}

function definedGroups(m: RegExpExecArray): Record<string, string> {
  const out: Record<string, string> = {};
  const groups = m.groups ?? {};
  for (const k in groups) if (groups[k] !== undefined) out[k] = groups[k];
  return out;
}

/** Separators (`-`, `_`, spaces) match any run of separators; a dot may have spaces around it. */
function lenientLiteral(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    SEPARATORS.lastIndex = i;
    const sep = SEPARATORS.exec(text);
    if (sep) {
      out += '[-_\\s]+';
      i += sep[0].length;
    } else if (text[i] === '.') {
      out += '\\s*\\.\\s*';
      i++;
    } else {
      out += escapeRegex(text[i]!);
      i++;
    }
  }
  return out;
}

function repairPart(value: string, re: RegExp): { value: string; fix?: NameFix } | null {
  const tries: [string, NameFix | undefined][] = [
    [value, undefined],
    [value.toUpperCase(), 'case'],
    [value.toLowerCase(), 'case'],
  ];
  if (/^\d+$/.test(value)) {
    // `3` for `03`; `0003` for `003`.
    const bare = value.replace(/^0+(?=\d)/, '');
    for (let n = bare.length; n <= bare.length + 3; n++) if (n !== value.length) tries.push([bare.padStart(n, '0'), 'padding']);
  }
  for (const [v, fix] of tries) if (re.test(v)) return fix ? { value: v, fix } : { value: v };
  return null;
}
