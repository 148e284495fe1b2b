// Partial responses: the `fields` parameter, parsed and checked against Google's schemas the way the
// API does it (`nextPageToken,files(id,name,lastModifyingUser(displayName)),kind`, `files/id`, `*`).
// A selection naming no field of the resource is a 400 `invalidParameter` "Invalid field selection".

import { invalidFieldSelection } from './errors';
import { SCHEMAS } from './schema';
import { type TypeNode } from './spec-types';

/** `true` selects a whole value; a tree selects some of its fields (`all` = `*`). */
export type Selection = true | FieldTree;
export interface FieldTree {
  all: boolean;
  children: Map<string, Selection>;
}

const NAME = /^[A-Za-z_$][\w$-]*$/;

/** Parses a `fields` value; throws a 400 on a syntax error. */
export function parseFields(text: string): FieldTree {
  const root: FieldTree = { all: false, children: new Map() };
  let i = 0;
  const s = text;
  const skip = (): void => {
    while (i < s.length && /\s/.test(s[i] as string)) i++;
  };
  const seg = (): string => {
    skip();
    const start = i;
    while (i < s.length && /[\w$*-]/.test(s[i] as string)) i++;
    const name = s.slice(start, i);
    if (name !== '*' && !NAME.test(name)) throw invalidFieldSelection(name === '' ? s : name);
    return name;
  };
  const selection = (into: FieldTree, depth: number): void => {
    for (;;) {
      // path := seg ('/' seg)*, then an optional ( selection )
      let node = into;
      let name = seg();
      skip();
      while (s[i] === '/') {
        i++;
        node = child(node, name);
        name = seg();
        skip();
      }
      if (s[i] === '(') {
        i++;
        const sub = child(node, name);
        selection(sub, depth + 1);
        skip();
        if (s[i] !== ')') throw invalidFieldSelection(s);
        i++;
      } else if (name === '*') {
        node.all = true;
      } else {
        node.children.set(name, true);
      }
      skip();
      if (s[i] === ',') {
        i++;
        continue;
      }
      if (i >= s.length || (depth > 0 && s[i] === ')')) return;
      throw invalidFieldSelection(s);
    }
  };
  selection(root, 0);
  return root;
}

function child(tree: FieldTree, name: string): FieldTree {
  if (name === '*') throw invalidFieldSelection('*');
  const existing = tree.children.get(name);
  if (existing === true) return { all: true, children: new Map() };
  if (existing) return existing;
  const sub: FieldTree = { all: false, children: new Map() };
  tree.children.set(name, sub);
  return sub;
}

/** Throws a 400 if the selection names a field the schema (and the schemas it refers to) lacks. */
export function checkFields(tree: FieldTree, schema: string): void {
  checkAgainst(tree, { k: 'ref', name: schema }, '');
}

function checkAgainst(tree: FieldTree, type: TypeNode, path: string): void {
  let t = type;
  while (t.k === 'array') t = t.of;
  if (t.k === 'map' || t.k === 'any') return;
  const props = t.k === 'ref' ? SCHEMAS[t.name] : t.k === 'object' ? t.props : undefined;
  if (!props) throw invalidFieldSelection(path || '*');
  for (const [name, sub] of tree.children) {
    const at = path ? `${path}/${name}` : name;
    const pt = props[name];
    if (!pt) throw invalidFieldSelection(at);
    if (sub !== true) checkAgainst(sub, pt, at);
  }
}

/** Parses and checks; null when no `fields` was given (the caller then uses the method's default). */
export function selectionFor(fields: string | null, schema: string): FieldTree | null {
  if (fields === null) return null;
  const tree = parseFields(fields);
  checkFields(tree, schema);
  return tree;
}

/** The sub-selection for one field of a selection (`true` = everything). */
export function sub(sel: Selection, name: string): Selection | undefined {
  if (sel === true) return true;
  const c = sel.children.get(name);
  if (c !== undefined) return c;
  return sel.all ? true : undefined;
}

/** The field names a selection asks for, given all the names a renderer knows. */
export function wanted(sel: Selection, known: readonly string[]): string[] {
  if (sel === true || sel.all) return known as string[];
  return [...sel.children.keys()];
}

/** Cuts a plain JSON value down to a selection (used for nested plain objects such as users). */
export function project(value: unknown, sel: Selection): unknown {
  if (sel === true || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => project(v, sel));
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of wanted(sel, Object.keys(src))) {
    const v = src[key];
    const s = sub(sel, key);
    if (v !== undefined && s !== undefined) out[key] = project(v, s);
  }
  return out;
}

/** A default selection written in `fields` syntax. */
export const defaults = (text: string): FieldTree => parseFields(text);
