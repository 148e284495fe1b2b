// items_page `query_params`: the rules, rule groups, and/or, ids and order_by a sync uses —
// `__last_updated__` / `__creation_log__` (with `compare_attribute` UPDATED_AT / CREATED_AT),
// status indexes (5 = empty), group, name and text columns, people and dates. Anything else is an
// error saying the simulator does not support it, never a silently wrong page.

import { type GraphQLError } from 'graphql';
import { invalidArgument, invalidColumn, unsupported } from './errors';
import { type BoardRec, type Cell, type ColumnRec, type ItemRec } from './model';
import { EMPTY_STATUS_INDEX } from './vocabulary';

const DAY = 86_400_000;

interface Rule {
  column_id: string;
  compare_value: unknown;
  compare_attribute?: string | null;
  operator?: string | null;
}
interface RuleGroup {
  rules?: Rule[] | null;
  groups?: RuleGroup[] | null;
  operator?: string | null;
}
export interface ItemsQuery extends RuleGroup {
  ids?: string[] | null;
  order_by?: { column_id: string; direction?: string | null }[] | null;
}

type Pred = (item: ItemRec) => boolean;

/** The ids of a board's (or group's) active items that match, in the order asked for (default: creation order). */
export function selectItems(board: BoardRec, groupId: string | null, params: ItemsQuery | null | undefined, now: number): string[] {
  let items = board.items.filter((it) => it.state === 'active' && (groupId === null || it.group.id === groupId));
  if (params) {
    if (params.ids && params.ids.length > 0) {
      const want = new Set(params.ids.map(String));
      items = items.filter((it) => want.has(it.id));
    }
    const pred = groupPredicate(board, params, now);
    if (pred) items = items.filter(pred);
    const order = params.order_by ?? [];
    if (order.length > 0) {
      const keys = order.map((o) => sortKey(board, o.column_id, o.direction === 'desc' ? -1 : 1));
      items = [...items].sort((a, b) => {
        for (const k of keys) {
          const c = k(a, b);
          if (c !== 0) return c;
        }
        return a.seq - b.seq;
      });
    }
  }
  return items.map((it) => it.id);
}

function groupPredicate(board: BoardRec, g: RuleGroup, now: number): Pred | null {
  const preds: Pred[] = [];
  for (const r of g.rules ?? []) preds.push(rulePredicate(board, r, now));
  for (const sub of g.groups ?? []) {
    const p = groupPredicate(board, sub, now);
    if (p) preds.push(p);
  }
  if (preds.length === 0) return null;
  return g.operator === 'or' ? (it) => preds.some((p) => p(it)) : (it) => preds.every((p) => p(it));
}

const values = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === null || v === undefined ? [] : [v]);

/** A point in time from compare values: an ISO date or date-time, ["EXACT", date], or TODAY, YESTERDAY, ONE_WEEK_AGO, ONE_MONTH_AGO. */
function timeOf(compare: unknown[], now: number, rule: Rule): { start: number; end: number } {
  const today = Math.floor(now / DAY) * DAY;
  for (const v of compare) {
    if (typeof v !== 'string') continue;
    if (v === 'EXACT') continue;
    if (v === 'TODAY') return { start: today, end: today + DAY };
    if (v === 'YESTERDAY') return { start: today - DAY, end: today };
    if (v === 'ONE_WEEK_AGO') return { start: today - 7 * DAY, end: today - 6 * DAY };
    if (v === 'ONE_MONTH_AGO') return { start: today - 30 * DAY, end: today - 29 * DAY };
    if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
      const d = Date.parse(`${v}T00:00:00Z`);
      if (!Number.isNaN(d)) return { start: d, end: d + DAY };
    }
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return { start: t, end: t + 1 };
  }
  throw invalidArgument(`compare_value of ${rule.column_id}: expected a date (YYYY-MM-DD), a date-time, ["EXACT", date] or TODAY, YESTERDAY, ONE_WEEK_AGO, ONE_MONTH_AGO`, {
    compare_value: JSON.stringify(rule.compare_value),
  });
}

function compareTimes(rule: Rule, get: (it: ItemRec) => number | null, now: number): Pred {
  const op = rule.operator ?? 'any_of';
  const cv = values(rule.compare_value);
  if (op === 'is_empty') return (it) => get(it) === null;
  if (op === 'is_not_empty') return (it) => get(it) !== null;
  if (op === 'between') {
    const parts = cv.filter((v) => v !== 'EXACT');
    if (parts.length !== 2) throw invalidArgument(`between on ${rule.column_id} takes two values`);
    const a = timeOf([parts[0]], now, rule);
    const b = timeOf([parts[1]], now, rule);
    return (it) => {
      const t = get(it);
      return t !== null && t >= a.start && t < b.end;
    };
  }
  const { start, end } = timeOf(cv, now, rule);
  const test: Record<string, (t: number) => boolean> = {
    any_of: (t) => t >= start && t < end,
    not_any_of: (t) => !(t >= start && t < end),
    greater_than: (t) => t >= end,
    greater_than_or_equals: (t) => t >= start,
    lower_than: (t) => t < start,
    lower_than_or_equal: (t) => t < end,
  };
  const f = test[op];
  if (!f) throw unsupported(`the operator ${op} on ${rule.column_id}`);
  return (it) => {
    const t = get(it);
    return t !== null && f(t);
  };
}

function textTest(rule: Rule, get: (it: ItemRec) => string | null): Pred {
  const op = rule.operator ?? 'any_of';
  const cv = values(rule.compare_value).map((v) => String(v));
  const low = cv.map((v) => v.toLowerCase());
  switch (op) {
    case 'any_of':
      return (it) => cv.includes(get(it) ?? '');
    case 'not_any_of':
      return (it) => !cv.includes(get(it) ?? '');
    case 'is_empty':
      return (it) => (get(it) ?? '') === '';
    case 'is_not_empty':
      return (it) => (get(it) ?? '') !== '';
    case 'contains_text':
      return (it) => low.some((v) => (get(it) ?? '').toLowerCase().includes(v));
    case 'not_contains_text':
      return (it) => !low.some((v) => (get(it) ?? '').toLowerCase().includes(v));
    case 'starts_with':
      return (it) => low.some((v) => (get(it) ?? '').toLowerCase().startsWith(v));
    case 'ends_with':
      return (it) => low.some((v) => (get(it) ?? '').toLowerCase().endsWith(v));
    default:
      throw unsupported(`the operator ${op} on ${rule.column_id}`);
  }
}

function cellOf(it: ItemRec, column: ColumnRec): Cell | undefined {
  return it.values.get(column.id);
}

function rulePredicate(board: BoardRec, rule: Rule, now: number): Pred {
  const id = rule.column_id;
  const attr = (rule.compare_attribute ?? '').toUpperCase();
  if (id === '__last_updated__' || (id === '__creation_log__' && attr === 'UPDATED_AT')) return compareTimes(rule, (it) => it.updatedAt, now);
  if (id === '__creation_log__') return compareTimes(rule, (it) => it.createdAt, now);
  if (id === 'group') {
    const op = rule.operator ?? 'any_of';
    const ids = values(rule.compare_value).map(String);
    if (op === 'any_of') return (it) => ids.includes(it.group.id);
    if (op === 'not_any_of') return (it) => !ids.includes(it.group.id);
    throw unsupported(`the operator ${op} on group`);
  }
  if (id === 'name') return textTest(rule, (it) => it.name);
  const column = board.columns.find((c) => c.id === id);
  if (!column) throw invalidColumn(id);
  const op = rule.operator ?? 'any_of';
  switch (column.type) {
    case 'status': {
      const idx = values(rule.compare_value).map((v) => Number(v));
      const indexOf = (it: ItemRec): number => {
        const c = cellOf(it, column);
        return c && c.t === 'status' ? c.index : EMPTY_STATUS_INDEX;
      };
      if (op === 'any_of') return (it) => idx.includes(indexOf(it));
      if (op === 'not_any_of') return (it) => !idx.includes(indexOf(it));
      if (op === 'is_empty') return (it) => indexOf(it) === EMPTY_STATUS_INDEX;
      if (op === 'is_not_empty') return (it) => indexOf(it) !== EMPTY_STATUS_INDEX;
      throw unsupported(`the operator ${op} on a status column`);
    }
    case 'text':
    case 'long_text':
    case 'numbers':
      if (column.type === 'numbers' && ['greater_than', 'greater_than_or_equals', 'lower_than', 'lower_than_or_equal'].includes(op)) {
        const n = Number(values(rule.compare_value)[0]);
        const get = (it: ItemRec): number | null => {
          const c = cellOf(it, column);
          return c && c.t === 'numbers' ? Number(c.number) : null;
        };
        const f: Record<string, (x: number) => boolean> = { greater_than: (x) => x > n, greater_than_or_equals: (x) => x >= n, lower_than: (x) => x < n, lower_than_or_equal: (x) => x <= n };
        return (it) => {
          const x = get(it);
          return x !== null && (f[op] as (x: number) => boolean)(x);
        };
      }
      return textTest(rule, (it) => {
        const c = cellOf(it, column);
        return c && (c.t === 'text' || c.t === 'long_text') ? c.text : c && c.t === 'numbers' ? c.number : null;
      });
    case 'people': {
      const ids = values(rule.compare_value).map((v) => String(v).replace(/^person-/, ''));
      const persons = (it: ItemRec): string[] => {
        const c = cellOf(it, column);
        return c && c.t === 'people' ? c.persons.map((p) => p.id) : [];
      };
      if (op === 'any_of') return (it) => persons(it).some((p) => ids.includes(p));
      if (op === 'not_any_of') return (it) => !persons(it).some((p) => ids.includes(p));
      if (op === 'is_empty') return (it) => persons(it).length === 0;
      if (op === 'is_not_empty') return (it) => persons(it).length > 0;
      throw unsupported(`the operator ${op} on a people column`);
    }
    case 'date':
      return compareTimes(rule, (it) => {
        const c = cellOf(it, column);
        return c && c.t === 'date' ? Date.parse(`${c.date}T${c.time ?? '00:00:00'}Z`) : null;
      }, now);
    default:
      throw unsupported(`filtering on ${column.type} columns`);
  }
}

function sortKey(board: BoardRec, columnId: string, dir: number): (a: ItemRec, b: ItemRec) => number {
  if (columnId === '__last_updated__') return (a, b) => dir * (a.updatedAt - b.updatedAt);
  if (columnId === '__creation_log__') return (a, b) => dir * (a.createdAt - b.createdAt);
  if (columnId === 'name') return (a, b) => dir * a.name.localeCompare(b.name);
  const column = board.columns.find((c) => c.id === columnId);
  if (!column) throw invalidColumn(columnId) as GraphQLError;
  const key = (it: ItemRec): string | number => {
    const c = it.values.get(column.id);
    if (!c) return '';
    if (c.t === 'status') return c.index;
    if (c.t === 'date') return `${c.date}T${c.time ?? ''}`;
    if (c.t === 'numbers') return Number(c.number);
    if (c.t === 'text' || c.t === 'long_text') return c.text;
    throw unsupported(`ordering by ${column.type} columns`);
  };
  return (a, b) => {
    const x = key(a);
    const y = key(b);
    return dir * (x < y ? -1 : x > y ? 1 : 0);
  };
}
