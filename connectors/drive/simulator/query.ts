// The files.list `q` language (developers.google.com/workspace/drive/api/guides/search-files):
// terms joined by `and`/`or`, negated with `not`, grouped with parentheses. A query Drive would
// reject is a 400 `invalid` "Invalid Value" on `q`; a valid term this simulator does not model is
// a 400 that says so, never a silently empty result.

import { type DriveError, invalidValue } from './errors';
import { type FileRec } from './model';

type Tok =
  | { t: 'str'; v: string }
  | { t: 'word'; v: string }
  | { t: 'op'; v: '=' | '!=' | '<' | '<=' | '>' | '>=' }
  | { t: '(' | ')' | '{' | '}' };

export type Node =
  | { k: 'and' | 'or'; l: Node; r: Node }
  | { k: 'not'; e: Node }
  | { k: 'in'; value: string; field: 'parents' | 'owners' }
  | { k: 'cmp'; field: string; op: string; value: string | boolean }
  | { k: 'contains'; field: 'name' | 'mimeType'; value: string }
  | { k: 'has'; field: 'appProperties' | 'properties'; key: string; value: string };

export interface QueryContext {
  myDriveRootId: string;
  /** The requesting user's email, for `'me' in owners`. */
  meEmail: string;
}

export interface CompiledQuery {
  test: (f: FileRec) => boolean;
  /** A folder every match must be directly in (from a top-level `'id' in parents` conjunct), for the index. */
  parent: string | null;
}

const bad = (): DriveError => invalidValue('q');
const unsupported = (what: string): DriveError => invalidValue('q', `The simulator does not serve the query term ${what}`);

function lex(q: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let v = '';
      i++;
      for (;;) {
        if (i >= q.length) throw bad();
        const d = q[i] as string;
        if (d === '\\') {
          const e = q[i + 1];
          if (e === undefined) throw bad();
          v += e;
          i += 2;
        } else if (d === "'") {
          i++;
          break;
        } else {
          v += d;
          i++;
        }
      }
      out.push({ t: 'str', v });
    } else if (c === '(' || c === ')' || c === '{' || c === '}') {
      out.push({ t: c });
      i++;
    } else if (c === '!' && q[i + 1] === '=') {
      out.push({ t: 'op', v: '!=' });
      i += 2;
    } else if (c === '<' || c === '>') {
      const eq = q[i + 1] === '=';
      out.push({ t: 'op', v: `${c}${eq ? '=' : ''}` as '<' | '<=' | '>' | '>=' });
      i += eq ? 2 : 1;
    } else if (c === '=') {
      out.push({ t: 'op', v: '=' });
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][\w.]*/.exec(q.slice(i)) as RegExpExecArray;
      out.push({ t: 'word', v: m[0] });
      i += m[0].length;
    } else {
      throw bad();
    }
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  parse(): Node {
    const n = this.or();
    if (this.i !== this.toks.length) throw bad();
    return n;
  }

  private peek(): Tok | undefined {
    return this.toks[this.i];
  }
  private next(): Tok {
    const t = this.toks[this.i++];
    if (!t) throw bad();
    return t;
  }
  private isWord(w: string): boolean {
    const t = this.peek();
    return t?.t === 'word' && t.v.toLowerCase() === w;
  }
  private expect(t: Tok['t']): Tok {
    const x = this.next();
    if (x.t !== t) throw bad();
    return x;
  }
  private str(): string {
    const x = this.next();
    if (x.t !== 'str') throw bad();
    return x.v;
  }

  private or(): Node {
    let l = this.and();
    while (this.isWord('or')) {
      this.i++;
      l = { k: 'or', l, r: this.and() };
    }
    return l;
  }
  private and(): Node {
    let l = this.unary();
    while (this.isWord('and')) {
      this.i++;
      l = { k: 'and', l, r: this.unary() };
    }
    return l;
  }
  private unary(): Node {
    if (this.isWord('not')) {
      this.i++;
      return { k: 'not', e: this.unary() };
    }
    if (this.peek()?.t === '(') {
      this.i++;
      const e = this.or();
      this.expect(')');
      return e;
    }
    return this.term();
  }

  private term(): Node {
    const first = this.next();
    if (first.t === 'str') {
      if (!this.isWord('in')) throw bad();
      this.i++;
      const f = this.next();
      if (f.t !== 'word') throw bad();
      if (f.v === 'parents' || f.v === 'owners') return { k: 'in', value: first.v, field: f.v };
      if (f.v === 'writers' || f.v === 'readers') throw unsupported(`'…' in ${f.v}`);
      throw bad();
    }
    if (first.t !== 'word') throw bad();
    const field = first.v;
    const nt = this.peek();
    if (nt?.t === 'word' && nt.v === 'contains') {
      this.i++;
      const value = this.str();
      if (field === 'name' || field === 'mimeType') return { k: 'contains', field, value };
      if (field === 'fullText' || field === 'description') throw unsupported(`${field} contains`);
      throw bad();
    }
    if (nt?.t === 'word' && nt.v === 'has') {
      this.i++;
      if (field !== 'appProperties' && field !== 'properties') throw bad();
      this.expect('{');
      if (!this.isWord('key')) throw bad();
      this.i++;
      if ((this.next() as { v?: string }).v !== '=') throw bad();
      const key = this.str();
      if (!this.isWord('and')) throw bad();
      this.i++;
      if (!this.isWord('value')) throw bad();
      this.i++;
      if ((this.next() as { v?: string }).v !== '=') throw bad();
      const value = this.str();
      this.expect('}');
      return { k: 'has', field, key, value };
    }
    if (nt?.t !== 'op') throw bad();
    this.i++;
    const op = nt.v;
    const v = this.next();
    switch (field) {
      case 'name':
      case 'mimeType':
        if (v.t !== 'str' || (op !== '=' && op !== '!=')) throw bad();
        return { k: 'cmp', field, op, value: v.v };
      case 'trashed':
      case 'starred': {
        if (v.t !== 'word' || (v.v !== 'true' && v.v !== 'false') || (op !== '=' && op !== '!=')) throw bad();
        return { k: 'cmp', field, op, value: v.v === 'true' };
      }
      case 'modifiedTime':
      case 'createdTime': {
        if (v.t !== 'str') throw bad();
        if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v.v)) throw bad();
        return { k: 'cmp', field, op, value: v.v };
      }
      case 'viewedByMeTime':
      case 'sharedWithMe':
      case 'visibility':
      case 'shortcutDetails.targetId':
      case 'memberCount':
      case 'organizerCount':
        throw unsupported(field);
      default:
        throw bad();
    }
  }
}

/** Parses `q`; throws a Google-shaped 400 for anything Drive would reject. */
export function parseQuery(q: string): Node {
  if (q.trim() === '') throw bad();
  return new Parser(lex(q)).parse();
}

/** RFC 3339 without a zone is UTC in Drive queries. */
function timeOf(s: string): number {
  const withZone = /T/.test(s) && !/(Z|[+-]\d{2}:?\d{2})$/.test(s) ? `${s}Z` : s;
  const t = Date.parse(withZone);
  if (Number.isNaN(t)) throw bad();
  return t;
}

/**
 * `name contains 'x'` is prefix matching on the name's words ("HelloWorld" contains "Hello" but not
 * "World": search-files guide); the simulator treats every non-alphanumeric character as a word break
 * and ignores case.
 */
export function nameContains(name: string, value: string): boolean {
  const n = name.toLowerCase();
  const v = value.toLowerCase();
  if (v === '') return true;
  let at = n.indexOf(v);
  while (at >= 0) {
    if (at === 0 || !/[\p{L}\p{N}]/u.test(n[at - 1] as string)) return true;
    at = n.indexOf(v, at + 1);
  }
  return false;
}

export function compileQuery(q: string | null, ctx: QueryContext): CompiledQuery {
  if (q === null) return { test: () => true, parent: null };
  const ast = parseQuery(q);
  return { test: compile(ast, ctx), parent: parentHint(ast, ctx) };
}

function parentHint(n: Node, ctx: QueryContext): string | null {
  if (n.k === 'in' && n.field === 'parents') return n.value === 'root' ? ctx.myDriveRootId : n.value;
  if (n.k === 'and') return parentHint(n.l, ctx) ?? parentHint(n.r, ctx);
  return null;
}

function compile(n: Node, ctx: QueryContext): (f: FileRec) => boolean {
  switch (n.k) {
    case 'and': {
      const l = compile(n.l, ctx);
      const r = compile(n.r, ctx);
      return (f) => l(f) && r(f);
    }
    case 'or': {
      const l = compile(n.l, ctx);
      const r = compile(n.r, ctx);
      return (f) => l(f) || r(f);
    }
    case 'not': {
      const e = compile(n.e, ctx);
      return (f) => !e(f);
    }
    case 'in': {
      if (n.field === 'parents') {
        const id = n.value === 'root' ? ctx.myDriveRootId : n.value;
        return (f) => f.parents[0] === id;
      }
      const email = n.value === 'me' ? ctx.meEmail : n.value.toLowerCase();
      return (f) => f.driveId === null && f.owner.email === email;
    }
    case 'contains': {
      const v = n.value;
      if (n.field === 'name') return (f) => nameContains(f.name, v);
      return (f) => f.mimeType.includes(v);
    }
    case 'has': {
      const { key, value } = n;
      return n.field === 'appProperties' ? (f) => f.appProperties[key] === value : (f) => f.properties[key] === value;
    }
    case 'cmp': {
      const eq = n.op === '=';
      switch (n.field) {
        case 'name': {
          const v = n.value as string;
          return eq ? (f) => f.name === v : (f) => f.name !== v;
        }
        case 'mimeType': {
          const v = n.value as string;
          return eq ? (f) => f.mimeType === v : (f) => f.mimeType !== v;
        }
        case 'trashed': {
          const v = n.value as boolean;
          return eq ? (f) => f.trashed === v : (f) => f.trashed !== v;
        }
        case 'starred': {
          const v = n.value as boolean;
          return eq ? (f) => f.starred === v : (f) => f.starred !== v;
        }
        default: {
          const t = timeOf(n.value as string);
          const get = n.field === 'modifiedTime' ? (f: FileRec) => f.modifiedTime : (f: FileRec) => f.createdTime;
          switch (n.op) {
            case '=':
              return (f) => get(f) === t;
            case '!=':
              return (f) => get(f) !== t;
            case '<':
              return (f) => get(f) < t;
            case '<=':
              return (f) => get(f) <= t;
            case '>':
              return (f) => get(f) > t;
            default:
              return (f) => get(f) >= t;
          }
        }
      }
    }
  }
}
