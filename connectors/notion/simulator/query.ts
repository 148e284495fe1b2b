// Data-source query filters and sorts (@notionhq/client 5.26 `common.d.ts` PropertyFilter,
// TimestampFilter, GroupFilterOperatorArray; `data-sources.d.ts` QueryDataSourceBodyParameters),
// compiled once per request into a predicate and a comparator. Every malformed filter or sort is a
// 400 validation_error naming its path. Timestamps compare at Notion's minute granularity because the
// stored times are minute-rounded; a date-only bound compares whole UTC days.

import { type DataSourceRec, type PageRec, type PropertyRec, type PropertyType, plainText } from './model';
import { invalidParam, validation } from './errors';
import { valueOf } from './values';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const DAY = 86_400_000;

export type Predicate = (page: PageRec) => boolean;
/** A row's sort keys, compared in order; null sorts last in either direction [U]. */
export type SortKey = string | number | null;

export interface CompiledSort {
  keys: (page: PageRec) => SortKey[];
  directions: (1 | -1)[];
}

/** Which filter conditions each property type takes (the SDK's *PropertyFilter types). */
const CONDITION_FAMILY: Record<PropertyType, 'text' | 'number' | 'checkbox' | 'select' | 'multi_select' | 'date' | 'people' | 'relation' | 'files'> = {
  title: 'text',
  rich_text: 'text',
  url: 'text',
  number: 'number',
  unique_id: 'number',
  checkbox: 'checkbox',
  select: 'select',
  status: 'select',
  multi_select: 'multi_select',
  date: 'date',
  created_time: 'date',
  last_edited_time: 'date',
  people: 'people',
  created_by: 'people',
  last_edited_by: 'people',
  relation: 'relation',
  files: 'files',
};

const OPERATORS: Record<string, readonly string[]> = {
  text: ['equals', 'does_not_equal', 'contains', 'does_not_contain', 'starts_with', 'ends_with', 'is_empty', 'is_not_empty'],
  number: ['equals', 'does_not_equal', 'greater_than', 'less_than', 'greater_than_or_equal_to', 'less_than_or_equal_to', 'is_empty', 'is_not_empty'],
  checkbox: ['equals', 'does_not_equal'],
  select: ['equals', 'does_not_equal', 'is_empty', 'is_not_empty'],
  multi_select: ['contains', 'does_not_contain', 'is_empty', 'is_not_empty'],
  date: ['equals', 'before', 'after', 'on_or_before', 'on_or_after', 'is_empty', 'is_not_empty', 'past_week', 'past_month', 'past_year', 'next_week', 'next_month', 'next_year', 'this_week'],
  people: ['contains', 'does_not_contain', 'is_empty', 'is_not_empty'],
  relation: ['contains', 'does_not_contain', 'is_empty', 'is_not_empty'],
  files: ['is_empty', 'is_not_empty'],
};

const RELATIVE = ['today', 'tomorrow', 'yesterday', 'one_week_ago', 'one_week_from_now', 'one_month_ago', 'one_month_from_now'] as const;

export function findProperty(ds: DataSourceRec, key: string): PropertyRec | undefined {
  const dec = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return ds.properties.find((p) => p.name === key) ?? ds.properties.find((p) => p.id === key || dec(p.id) === dec(key));
}

/** The instant a page's date-like value stands for (a date-only start is midnight UTC), or null. */
function instantOf(page: PageRec, prop: PropertyRec): number | null {
  const v = valueOf(page, prop);
  if (v.t === 'time') return v.ms;
  if (v.t === 'date') return v.date ? Date.parse(v.date.start.length === 10 ? `${v.date.start}T00:00:00Z` : v.date.start) : null;
  return null;
}

function textOf(page: PageRec, prop: PropertyRec): string {
  const v = valueOf(page, prop);
  if (v.t === 'title' || v.t === 'rich_text') return plainText(v.items);
  if (v.t === 'url') return v.url ?? '';
  return '';
}

function numberOf(page: PageRec, prop: PropertyRec): number | null {
  const v = valueOf(page, prop);
  if (v.t === 'number') return v.n;
  if (v.t === 'unique_id') return v.n;
  return null;
}

/** A date bound: [from, to) in ms for a date-only value, or a single instant. */
function parseBound(raw: unknown, now: number, path: string): { day: boolean; at: number } {
  if (typeof raw !== 'string') throw invalidParam('body', path, 'a string (an ISO 8601 date or date-time, or a relative date)', raw);
  const rel = RELATIVE.indexOf(raw as (typeof RELATIVE)[number]);
  if (rel >= 0) {
    const today = Math.floor(now / DAY) * DAY;
    const offsets = [0, DAY, -DAY, -7 * DAY, 7 * DAY, -30 * DAY, 30 * DAY];
    return { day: true, at: today + (offsets[rel] as number) };
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(raw)) {
    const at = Date.parse(`${raw}T00:00:00Z`);
    if (Number.isNaN(at)) throw invalidParam('body', path, 'a valid date', raw);
    return { day: true, at };
  }
  const at = /^\d{4}-\d{2}-\d{2}T/.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(at)) throw invalidParam('body', path, 'an ISO 8601 date or date-time', raw);
  return { day: false, at };
}

function oneCondition(cond: unknown, family: string, path: string): [string, unknown] {
  if (!isObj(cond)) throw invalidParam('body', path, 'an object', cond);
  const keys = Object.keys(cond);
  const allowed = OPERATORS[family] ?? [];
  if (keys.length !== 1 || !allowed.includes(keys[0] as string)) {
    throw validation(`body failed validation: ${path} should have exactly one of ${allowed.map((a) => `\`${a}\``).join(', ')}, instead had ${keys.length === 0 ? 'none' : keys.map((k) => `\`${k}\``).join(', ')}.`);
  }
  const op = keys[0] as string;
  const value = cond[op];
  if ((op === 'is_empty' || op === 'is_not_empty') && value !== true) throw invalidParam('body', `${path}.${op}`, '`true`', value);
  return [op, value];
}

function dateCondition(get: (p: PageRec) => number | null, cond: unknown, now: number, path: string): Predicate {
  const [op, value] = oneCondition(cond, 'date', path);
  if (op === 'is_empty') return (p) => get(p) === null;
  if (op === 'is_not_empty') return (p) => get(p) !== null;
  const windows: Record<string, [number, number]> = {
    past_week: [now - 7 * DAY, now],
    past_month: [now - 30 * DAY, now],
    past_year: [now - 365 * DAY, now],
    next_week: [now, now + 7 * DAY],
    next_month: [now, now + 30 * DAY],
    next_year: [now, now + 365 * DAY],
  };
  if (op === 'this_week') {
    // Monday to Sunday in UTC (the live API uses the workspace's time zone [U]).
    const day = Math.floor(now / DAY) * DAY;
    const monday = day - ((new Date(day).getUTCDay() + 6) % 7) * DAY;
    windows.this_week = [monday, monday + 7 * DAY];
  }
  const w = windows[op];
  if (w) {
    if (!isObj(value) || Object.keys(value).length > 0) throw invalidParam('body', `${path}.${op}`, 'an empty object', value);
    return (p) => {
      const t = get(p);
      return t !== null && t >= w[0] && t <= w[1];
    };
  }
  const b = parseBound(value, now, `${path}.${op}`);
  const lo = b.at;
  const hi = b.day ? b.at + DAY : b.at;
  const test: Record<string, (t: number) => boolean> = b.day
    ? { equals: (t) => t >= lo && t < hi, before: (t) => t < lo, after: (t) => t >= hi, on_or_before: (t) => t < hi, on_or_after: (t) => t >= lo }
    : { equals: (t) => t === lo, before: (t) => t < lo, after: (t) => t > lo, on_or_before: (t) => t <= lo, on_or_after: (t) => t >= lo };
  const f = test[op] as (t: number) => boolean;
  return (p) => {
    const t = get(p);
    return t !== null && f(t);
  };
}

function stringList(v: unknown, path: string): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw invalidParam('body', path, 'a string or an array of strings', v);
}

function propertyCondition(prop: PropertyRec, cond: unknown, now: number, botId: string, path: string): Predicate {
  const family = CONDITION_FAMILY[prop.type];
  if (family === 'date') return dateCondition((p) => instantOf(p, prop), cond, now, path);
  const [op, value] = oneCondition(cond, family, path);
  const at = `${path}.${op}`;
  switch (family) {
    case 'text': {
      if (op === 'is_empty') return (p) => textOf(p, prop) === '';
      if (op === 'is_not_empty') return (p) => textOf(p, prop) !== '';
      if (typeof value !== 'string') throw invalidParam('body', at, 'a string', value);
      const s = value;
      const f: Record<string, (t: string) => boolean> = {
        equals: (t) => t === s,
        does_not_equal: (t) => t !== s,
        contains: (t) => t.toLowerCase().includes(s.toLowerCase()),
        does_not_contain: (t) => !t.toLowerCase().includes(s.toLowerCase()),
        starts_with: (t) => t.startsWith(s),
        ends_with: (t) => t.endsWith(s),
      };
      const g = f[op] as (t: string) => boolean;
      return (p) => g(textOf(p, prop));
    }
    case 'number': {
      if (op === 'is_empty') return (p) => numberOf(p, prop) === null;
      if (op === 'is_not_empty') return (p) => numberOf(p, prop) !== null;
      if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidParam('body', at, 'a number', value);
      const f: Record<string, (n: number) => boolean> = {
        equals: (n) => n === value,
        does_not_equal: (n) => n !== value,
        greater_than: (n) => n > value,
        less_than: (n) => n < value,
        greater_than_or_equal_to: (n) => n >= value,
        less_than_or_equal_to: (n) => n <= value,
      };
      const g = f[op] as (n: number) => boolean;
      return (p) => {
        const n = numberOf(p, prop);
        return op === 'does_not_equal' ? n !== value : n !== null && g(n);
      };
    }
    case 'checkbox': {
      if (typeof value !== 'boolean') throw invalidParam('body', at, 'a boolean', value);
      return (p) => {
        const v = valueOf(p, prop);
        const checked = v.t === 'checkbox' && v.v;
        return op === 'equals' ? checked === value : checked !== value;
      };
    }
    case 'select': {
      const name = (p: PageRec): string | null => {
        const v = valueOf(p, prop);
        const id = v.t === 'select' || v.t === 'status' ? v.optionId : null;
        return id === null ? null : (prop.options.find((o) => o.id === id)?.name ?? null);
      };
      if (op === 'is_empty') return (p) => name(p) === null;
      if (op === 'is_not_empty') return (p) => name(p) !== null;
      const names = stringList(value, at);
      // Notion checks status names against the options (select filters accept any name) [U].
      if (prop.type === 'status') {
        for (const n of names) if (!prop.options.some((o) => o.name === n)) throw validation(`Invalid status filter option: "${n}" is not an option of ${prop.name}.`);
      }
      return op === 'equals' ? (p) => names.includes(name(p) ?? '\u0000') : (p) => !names.includes(name(p) ?? '\u0000');
    }
    case 'multi_select': {
      const names = (p: PageRec): string[] => {
        const v = valueOf(p, prop);
        return v.t === 'multi_select' ? v.optionIds.map((id) => prop.options.find((o) => o.id === id)?.name ?? '') : [];
      };
      if (op === 'is_empty') return (p) => names(p).length === 0;
      if (op === 'is_not_empty') return (p) => names(p).length > 0;
      const wanted = stringList(value, at);
      return op === 'contains' ? (p) => wanted.some((w) => names(p).includes(w)) : (p) => !wanted.some((w) => names(p).includes(w));
    }
    case 'people':
    case 'relation': {
      const ids = (p: PageRec): string[] => {
        const v = valueOf(p, prop);
        return v.t === 'people' ? v.userIds : v.t === 'relation' ? v.pageIds : v.t === 'user' ? [v.id] : [];
      };
      if (op === 'is_empty') return (p) => ids(p).length === 0;
      if (op === 'is_not_empty') return (p) => ids(p).length > 0;
      if (typeof value !== 'string') throw invalidParam('body', at, 'a string (an id)', value);
      const want = family === 'people' && value === 'me' ? botId : value.replace(/-/g, '').toLowerCase();
      const same = (id: string): boolean => id.replace(/-/g, '') === want.replace(/-/g, '');
      return op === 'contains' ? (p) => ids(p).some(same) : (p) => !ids(p).some(same);
    }
    case 'files': {
      const count = (p: PageRec): number => {
        const v = valueOf(p, prop);
        return v.t === 'files' ? v.files.length : 0;
      };
      return op === 'is_empty' ? (p) => count(p) === 0 : (p) => count(p) > 0;
    }
  }
}

/** Compiles `filter` (and/or up to two levels deep, as Notion allows [D]). */
export function compileFilter(filter: unknown, ds: DataSourceRec, now: number, botId: string, path = 'body.filter', depth = 0): Predicate {
  if (!isObj(filter)) throw invalidParam('body', path, 'an object', filter);
  if ('and' in filter || 'or' in filter) {
    const kind = 'and' in filter ? 'and' : 'or';
    if (Object.keys(filter).length !== 1) throw validation(`body failed validation: ${path} should have only \`${kind}\`.`);
    if (depth >= 2) throw validation(`body failed validation: ${path} is nested more than two levels deep.`);
    const list = filter[kind];
    if (!Array.isArray(list)) throw invalidParam('body', `${path}.${kind}`, 'an array', list);
    if (list.length > 100) throw invalidParam('body', `${path}.${kind}.length`, '≤ `100`', list.length);
    const parts = list.map((f, i) => compileFilter(f, ds, now, botId, `${path}.${kind}[${i}]`, depth + 1));
    return kind === 'and' ? (p) => parts.every((f) => f(p)) : (p) => parts.some((f) => f(p));
  }
  if ('timestamp' in filter) {
    const ts = filter.timestamp;
    if (ts !== 'created_time' && ts !== 'last_edited_time') throw invalidParam('body', `${path}.timestamp`, '`"created_time"` or `"last_edited_time"`', ts);
    const field = ts;
    return dateCondition((p) => (field === 'created_time' ? p.createdTime : p.lastEditedTime), filter[field], now, `${path}.${field}`);
  }
  const key = filter.property;
  if (typeof key !== 'string') throw invalidParam('body', `${path}.property`, 'a string', key);
  const prop = findProperty(ds, key);
  if (!prop) throw validation(`Could not find property with name or id: ${key}`);
  const typeKeys = Object.keys(filter).filter((k) => k !== 'property' && k !== 'type');
  if (typeKeys.length !== 1) throw validation(`body failed validation: ${path} should have exactly one property type condition, instead had ${typeKeys.length}.`);
  const given = typeKeys[0] as string;
  if (given !== prop.type) throw validation(`database property ${prop.type} does not match filter ${given}`);
  return propertyCondition(prop, filter[given], now, botId, `${path}.${given}`);
}

function sortKey(page: PageRec, prop: PropertyRec): SortKey {
  const v = valueOf(page, prop);
  switch (v.t) {
    case 'title':
    case 'rich_text': {
      const s = plainText(v.items);
      return s === '' ? null : s.toLowerCase();
    }
    case 'url':
      return v.url;
    case 'number':
      return v.n;
    case 'unique_id':
      return v.n;
    case 'select':
    case 'status': {
      // Select and status values sort by their options' order, as the app does [U].
      const i = v.optionId === null ? -1 : prop.options.findIndex((o) => o.id === v.optionId);
      return i < 0 ? null : i;
    }
    case 'multi_select':
      return v.optionIds.length === 0 ? null : prop.options.findIndex((o) => o.id === v.optionIds[0]);
    case 'date':
      return instantOf(page, prop);
    case 'time':
      return v.ms;
    case 'checkbox':
      return v.v ? 1 : 0;
    case 'people':
      return v.userIds[0] ?? null;
    case 'user':
      return v.id;
    case 'relation':
      return v.pageIds.length;
    case 'files':
      return v.files.length;
  }
}

export function compileSorts(sorts: unknown, ds: DataSourceRec): CompiledSort {
  if (sorts === undefined) return { keys: (p) => [p.createdTime], directions: [1] };
  if (!Array.isArray(sorts)) throw invalidParam('body', 'body.sorts', 'an array', sorts);
  if (sorts.length > 100) throw invalidParam('body', 'body.sorts.length', '≤ `100`', sorts.length);
  const getters: ((p: PageRec) => SortKey)[] = [];
  const directions: (1 | -1)[] = [];
  sorts.forEach((s, i) => {
    const path = `body.sorts[${i}]`;
    if (!isObj(s)) throw invalidParam('body', path, 'an object', s);
    if (s.direction !== 'ascending' && s.direction !== 'descending') throw invalidParam('body', `${path}.direction`, '`"ascending"` or `"descending"`', s.direction);
    directions.push(s.direction === 'ascending' ? 1 : -1);
    if ('timestamp' in s) {
      if (s.timestamp === 'created_time') getters.push((p) => p.createdTime);
      else if (s.timestamp === 'last_edited_time') getters.push((p) => p.lastEditedTime);
      else throw invalidParam('body', `${path}.timestamp`, '`"created_time"` or `"last_edited_time"`', s.timestamp);
      return;
    }
    if (typeof s.property !== 'string') throw invalidParam('body', `${path}.property`, 'a string', s.property);
    const prop = findProperty(ds, s.property);
    if (!prop) throw validation(`Could not find sort property with name or id: ${s.property}`);
    getters.push((p) => sortKey(p, prop));
  });
  // Without sorts, rows come oldest first (the live default follows the database's view [U]).
  return { keys: (p) => getters.map((g) => g(p)), directions };
}

/** Total order: the sort keys (nulls last), then the page id so that paging never skips or repeats. */
export function compareKeys(a: SortKey[], aId: string, b: SortKey[], bId: string, directions: readonly (1 | -1)[]): number {
  for (let i = 0; i < directions.length; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === y) continue;
    if (x === null) return 1;
    if (y === null) return -1;
    const c = x < y ? -1 : 1;
    return c * (directions[i] as number);
  }
  return aId < bId ? -1 : aId > bId ? 1 : 0;
}
