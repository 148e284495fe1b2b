// Google's own Drive v3 schemas, read from the official client's typed surface
// (`@googleapis/drive` build/v3.d.ts: generated from the discovery document, with its descriptions).
// The conformance test parses the .d.ts with this and checks every served body against it, and that
// the simulator's compiled-in copy (schema.ts) has not drifted from it.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { type SchemaMap, type TypeNode } from './spec-types';

export type { SchemaMap, TypeNode } from './spec-types';

/** The schemas the simulator serves; their references are followed. */
export const SERVED_SCHEMAS = [
  'About',
  'Change',
  'ChangeList',
  'Comment',
  'CommentList',
  'Drive',
  'DriveList',
  'File',
  'FileList',
  'Reply',
  'ReplyList',
  'Revision',
  'RevisionList',
  'StartPageToken',
  'User',
] as const;

export function v3DtsPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@googleapis/drive/package.json')), 'build', 'v3.d.ts');
}

/** Every `Schema$X` interface reachable from SERVED_SCHEMAS, property by property. */
export function readDriveSchemas(path = v3DtsPath()): SchemaMap {
  const text = readFileSync(path, 'utf8');
  const all = new Map<string, string>();
  const re = /export interface Schema\$(\w+) \{/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const start = m.index + m[0].length;
    all.set(m[1] as string, text.slice(start, matchingBrace(text, start - 1)));
  }
  const out: SchemaMap = {};
  const queue: string[] = [...SERVED_SCHEMAS];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (out[name]) continue;
    const body = all.get(name);
    if (body === undefined) throw new Error(`v3.d.ts has no Schema$${name}`);
    const props = parseProps(stripComments(body));
    out[name] = props;
    for (const ref of refsOf({ k: 'object', props })) if (!out[ref]) queue.push(ref);
  }
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k] as Record<string, TypeNode>]));
}

function refsOf(t: TypeNode): string[] {
  switch (t.k) {
    case 'ref':
      return [t.name];
    case 'array':
    case 'map':
      return refsOf(t.of);
    case 'object':
      return Object.values(t.props).flatMap(refsOf);
    default:
      return [];
  }
}

function stripComments(s: string): string {
  return s.replace(/\/\*[\s\S]*?\*\//g, '');
}

function matchingBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '{' || c === '<' || c === '(') depth++;
    else if (c === '}' || c === '>' || c === ')') {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw new Error('unbalanced braces in v3.d.ts');
}

/** `name?: TYPE;` pairs at depth 0 of an interface or inline object body. */
function parseProps(body: string): Record<string, TypeNode> {
  const props: Record<string, TypeNode> = {};
  let i = 0;
  while (i < body.length) {
    const m = /^\s*(?:'([^']+)'|(\w+))\??:\s*/.exec(body.slice(i));
    if (!m) {
      if (body.slice(i).trim() === '') break;
      throw new Error(`cannot parse property at: ${body.slice(i, i + 80)}`);
    }
    i += m[0].length;
    let depth = 0;
    let j = i;
    for (; j < body.length; j++) {
      const c = body[j];
      if (c === '{' || c === '<' || c === '(') depth++;
      else if (c === '}' || c === '>' || c === ')') depth--;
      else if (c === ';' && depth === 0) break;
    }
    props[(m[1] ?? m[2]) as string] = parseType(body.slice(i, j));
    i = j + 1;
  }
  return props;
}

function parseType(raw: string): TypeNode {
  let t = raw.trim().replace(/\s*\|\s*null$/, '').trim();
  if (t.startsWith('Array<') && t.endsWith('>')) return { k: 'array', of: parseType(t.slice(6, -1)) };
  if (t.endsWith('[]')) return { k: 'array', of: parseType(t.slice(0, -2)) };
  if (t.startsWith('Schema$')) return { k: 'ref', name: t.slice(7) };
  if (t === 'string' || t === 'boolean' || t === 'number' || t === 'any') return { k: t };
  if (t.startsWith('{') && t.endsWith('}')) {
    t = t.slice(1, -1);
    const map = /^\s*\[key: string\]:\s*([\s\S]+?);?\s*$/.exec(t);
    if (map) return { k: 'map', of: parseType(map[1] as string) };
    return { k: 'object', props: parseProps(t) };
  }
  throw new Error(`cannot parse type: ${raw}`);
}

/** schema.ts as it should read, for regenerating it after a client upgrade. */
export function renderSchemaModule(schemas: SchemaMap, version: string): string {
  const lines = [
    `// Generated from @googleapis/drive@${version} build/v3.d.ts by spec.ts renderSchemaModule(); the`,
    '// conformance test fails when this copy and the installed client disagree. Do not edit by hand.',
    '',
    "import { type SchemaMap } from './spec-types';",
    '',
    'export const SCHEMAS: SchemaMap = {',
  ];
  for (const [name, props] of Object.entries(schemas)) {
    lines.push(`  ${name}: {`);
    for (const [prop, type] of Object.entries(props)) lines.push(`    ${key(prop)}: ${literal(type)},`);
    lines.push('  },');
  }
  lines.push('};', '');
  return lines.join('\n');
}

const key = (k: string): string => (/^\w+$/.test(k) ? k : `'${k}'`);

function literal(t: TypeNode): string {
  switch (t.k) {
    case 'ref':
      return `{ k: 'ref', name: '${t.name}' }`;
    case 'array':
    case 'map':
      return `{ k: '${t.k}', of: ${literal(t.of)} }`;
    case 'object':
      return `{ k: 'object', props: { ${Object.entries(t.props).map(([p, v]) => `${key(p)}: ${literal(v)}`).join(', ')} } }`;
    default:
      return `{ k: '${t.k}' }`;
  }
}

/** The fixed `kind` each schema documents ("Value: the fixed string `"drive#file"`"). */
export function readKinds(path = v3DtsPath()): Record<string, string> {
  const text = readFileSync(path, 'utf8');
  const out: Record<string, string> = {};
  const re = /export interface Schema\$(\w+) \{/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const start = m.index + m[0].length;
    const body = text.slice(start, matchingBrace(text, start - 1));
    const kind = /fixed string `"?([\w#]+)"?`[^*]*\*\/\s*kind\?:/.exec(body);
    if (kind) out[m[1] as string] = kind[1] as string;
  }
  return out;
}
