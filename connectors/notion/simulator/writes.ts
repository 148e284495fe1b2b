// Request bodies that write: page property values (PATCH /v1/pages/{id}, @notionhq/client 5.26
// `pages.d.ts` UpdatePageBodyParameters) and rich text (`common.d.ts` RichTextItemRequest), checked
// against the data source's schema and Notion's size limits (vendor-apis §3.7: text.content ≤ 2,000
// characters, any array ≤ 100 items, URLs ≤ 2,000) before anything is applied, so that a request
// that fails changes nothing. Messages follow Notion's `body failed validation: <path> should be …`.

import type { RichTextItemResponse } from '@notionhq/client';
import { invalidParam, validation } from './errors';
import { type DataSourceRec, type FileRec, type NotionDataset, type OptionRec, type PageRec, type PropValue, type PropertyRec, READ_ONLY_TYPES, type SelectColor, normalizeId, textItem } from './model';
import { findProperty } from './query';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export const MAX_TEXT = 2000;
export const MAX_ARRAY = 100;
export const MAX_URL = 2000;
const COLORS: readonly SelectColor[] = ['default', 'gray', 'brown', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink', 'red'];
const ANNOTATION_KEYS = ['bold', 'italic', 'strikethrough', 'underline', 'code'] as const;

export interface PropertyWrite {
  prop: PropertyRec;
  value: PropValue;
  /** Select options the write creates (Notion adds unknown select names to the schema). */
  newOptions: OptionRec[];
}

function array(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw invalidParam('body', path, 'an array', v);
  if (v.length > MAX_ARRAY) throw invalidParam('body', `${path}.length`, `≤ \`${MAX_ARRAY}\``, v.length);
  return v;
}

function str(v: unknown, path: string, max: number): string {
  if (typeof v !== 'string') throw invalidParam('body', path, 'a string', v);
  if (v.length > max) throw invalidParam('body', `${path}.length`, `≤ \`${max}\``, v.length);
  return v;
}

/** Rich text in a request → the stored response shape. */
export function parseRichText(raw: unknown, path: string, dataset: NotionDataset): RichTextItemResponse[] {
  return array(raw, path).map((item, i) => {
    const at = `${path}[${i}]`;
    if (!isObj(item)) throw invalidParam('body', at, 'an object', item);
    const annotations = { bold: false, italic: false, strikethrough: false, underline: false, code: false, color: 'default' as const };
    if (item.annotations !== undefined) {
      if (!isObj(item.annotations)) throw invalidParam('body', `${at}.annotations`, 'an object', item.annotations);
      for (const k of ANNOTATION_KEYS) {
        const a = item.annotations[k];
        if (a !== undefined && typeof a !== 'boolean') throw invalidParam('body', `${at}.annotations.${k}`, 'a boolean', a);
        if (a === true) annotations[k] = true as never;
      }
    }
    if (isObj(item.text)) {
      const content = str(item.text.content, `${at}.text.content`, MAX_TEXT);
      const link = item.text.link;
      let url: string | null = null;
      if (link !== undefined && link !== null) {
        if (!isObj(link)) throw invalidParam('body', `${at}.text.link`, 'an object or `null`', link);
        url = str(link.url, `${at}.text.link.url`, MAX_URL);
      }
      return { ...textItem(content, url), annotations };
    }
    if (isObj(item.mention)) {
      const m = item.mention;
      if (isObj(m.user)) {
        const id = normalizeId(String(m.user.id ?? ''));
        const u = id ? dataset.usersById.get(id) : undefined;
        if (!u) throw validation(`body failed validation: ${at}.mention.user.id should be the id of a user in the workspace, instead was \`${JSON.stringify(m.user.id)}\`.`);
        return { type: 'mention', mention: { type: 'user', user: { object: 'user', id: u.id } }, annotations, plain_text: `@${u.name}`, href: null };
      }
      if (isObj(m.page)) {
        const id = normalizeId(String(m.page.id ?? ''));
        const p = id ? dataset.pagesById.get(id) : undefined;
        if (!p) throw validation(`body failed validation: ${at}.mention.page.id should be the id of a page, instead was \`${JSON.stringify(m.page.id)}\`.`);
        return { type: 'mention', mention: { type: 'page', page: { id: p.id } }, annotations, plain_text: 'Untitled', href: `https://www.notion.so/${p.id.replace(/-/g, '')}` };
      }
      if (isObj(m.date) && typeof m.date.start === 'string') {
        const start = m.date.start;
        const end = typeof m.date.end === 'string' ? m.date.end : null;
        return { type: 'mention', mention: { type: 'date', date: { start, end, time_zone: null } }, annotations, plain_text: end ? `${start} → ${end}` : start, href: null };
      }
      throw validation(`body failed validation: ${at}.mention should be a user, page or date mention (others are not modelled by the simulator).`);
    }
    if (isObj(item.equation)) {
      const expression = str(item.equation.expression, `${at}.equation.expression`, 1000);
      return { type: 'equation', equation: { expression }, annotations, plain_text: expression, href: null };
    }
    throw validation(`body failed validation: ${at} should be defined as one of \`text\`, \`mention\` or \`equation\`.`);
  });
}

function optionRef(prop: PropertyRec, raw: unknown, path: string, created: OptionRec[], mint: () => string): string {
  if (!isObj(raw)) throw invalidParam('body', path, 'an object with `id` or `name`', raw);
  const all = [...prop.options, ...created];
  if (typeof raw.id === 'string') {
    const o = all.find((x) => x.id === raw.id);
    if (!o) throw validation(`body failed validation: ${path}.id should be the id of an option of ${prop.name}, instead was \`${JSON.stringify(raw.id)}\`.`);
    return o.id;
  }
  const name = str(raw.name, `${path}.name`, 100);
  const o = all.find((x) => x.name === name);
  if (o) return o.id;
  if (prop.type === 'status') throw validation(`Invalid status option. Status option "${name}" does not exist for property ${prop.name}.`);
  // Select and multi-select write new names as new options (the integration may edit the schema).
  if (name.includes(',')) throw validation(`body failed validation: ${path}.name should not contain commas, instead was \`${JSON.stringify(name)}\`.`);
  const color = raw.color === undefined ? (COLORS[all.length % COLORS.length] as SelectColor) : raw.color;
  if (!COLORS.includes(color as SelectColor)) throw invalidParam('body', `${path}.color`, `one of ${COLORS.join(', ')}`, raw.color);
  const opt: OptionRec = { id: mint(), name, color: color as SelectColor, description: null };
  created.push(opt);
  return opt.id;
}

function parseDate(raw: unknown, path: string): { start: string; end: string | null; timeZone: string | null } | null {
  if (raw === null) return null;
  if (!isObj(raw)) throw invalidParam('body', path, 'an object or `null`', raw);
  const iso = (v: unknown, p: string): string => {
    if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(v) || Number.isNaN(Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v))) {
      throw invalidParam('body', p, 'an ISO 8601 date or date-time', v);
    }
    return v;
  };
  const start = iso(raw.start, `${path}.start`);
  const end = raw.end === undefined || raw.end === null ? null : iso(raw.end, `${path}.end`);
  const tz = raw.time_zone === undefined || raw.time_zone === null ? null : str(raw.time_zone, `${path}.time_zone`, 100);
  if (end !== null && Date.parse(end.length === 10 ? `${end}T00:00:00Z` : end) < Date.parse(start.length === 10 ? `${start}T00:00:00Z` : start)) {
    throw validation(`body failed validation: ${path}.end should not be before ${path}.start.`);
  }
  return { start, end, timeZone: tz };
}

/** Parses `properties` of a page write against `ds`'s schema; throws before anything is applied. */
export function parsePropertyWrites(
  raw: unknown,
  ds: DataSourceRec,
  dataset: NotionDataset,
  page: PageRec | null,
  mint: () => string,
  path = 'body.properties',
): PropertyWrite[] {
  if (!isObj(raw)) throw invalidParam('body', path, 'an object', raw);
  const writes: PropertyWrite[] = [];
  for (const [key, v] of Object.entries(raw)) {
    const prop = findProperty(ds, key);
    if (!prop) throw validation(`${key} is not a property that exists.`);
    const at = `${path}.${key}`;
    if (READ_ONLY_TYPES.has(prop.type)) throw validation(`${prop.name} is a ${prop.type} property, which cannot be updated.`);
    if (!isObj(v)) throw invalidParam('body', at, 'an object', v);
    if (v.type !== undefined && v.type !== prop.type) throw validation(`${prop.name} is expected to be ${prop.type}.`);
    if (!(prop.type in v)) throw validation(`${prop.name} is expected to be ${prop.type}.`);
    const x = v[prop.type];
    const vat = `${at}.${prop.type}`;
    const newOptions: OptionRec[] = [];
    let value: PropValue;
    switch (prop.type) {
      case 'title':
      case 'rich_text':
        value = { t: prop.type, items: parseRichText(x, vat, dataset) };
        break;
      case 'number':
        if (x !== null && (typeof x !== 'number' || !Number.isFinite(x))) throw invalidParam('body', vat, 'a number or `null`', x);
        value = { t: 'number', n: x };
        break;
      case 'select':
      case 'status':
        value = { t: prop.type, optionId: x === null ? null : optionRef(prop, x, vat, newOptions, mint) };
        break;
      case 'multi_select':
        value = { t: 'multi_select', optionIds: [...new Set(array(x, vat).map((o, i) => optionRef(prop, o, `${vat}[${i}]`, newOptions, mint)))] };
        break;
      case 'date':
        value = { t: 'date', date: parseDate(x, vat) };
        break;
      case 'people':
        value = {
          t: 'people',
          userIds: array(x, vat).map((u, i) => {
            const id = isObj(u) && typeof u.id === 'string' ? normalizeId(u.id) : null;
            if (!id || !dataset.usersById.has(id)) throw validation(`body failed validation: ${vat}[${i}].id should be the id of a user in the workspace, instead was \`${JSON.stringify(isObj(u) ? u.id : u)}\`.`);
            return id;
          }),
        };
        break;
      case 'relation': {
        const target = prop.relation?.dataSource;
        value = {
          t: 'relation',
          pageIds: array(x, vat).map((r, i) => {
            const id = isObj(r) && typeof r.id === 'string' ? normalizeId(r.id) : null;
            const p = id ? dataset.pagesById.get(id) : undefined;
            if (!p || p.dataSource !== target) throw validation(`body failed validation: ${vat}[${i}].id should be the id of a page in ${target?.name ?? 'the related data source'}, instead was \`${JSON.stringify(isObj(r) ? r.id : r)}\`.`);
            return p.id;
          }),
        };
        break;
      }
      case 'files':
        value = { t: 'files', files: array(x, vat).map((f, i) => parseFile(f, `${vat}[${i}]`, page)) };
        break;
      case 'url':
        value = { t: 'url', url: x === null ? null : str(x, vat, MAX_URL) };
        break;
      case 'checkbox':
        if (typeof x !== 'boolean') throw invalidParam('body', vat, 'a boolean', x);
        value = { t: 'checkbox', v: x };
        break;
      default:
        throw validation(`${prop.name} is a ${prop.type} property, which cannot be updated.`);
    }
    writes.push({ prop, value, newOptions });
  }
  return writes;
}

function parseFile(raw: unknown, path: string, page: PageRec | null): FileRec {
  if (!isObj(raw)) throw invalidParam('body', path, 'an object', raw);
  if ('file_upload' in raw) throw validation(`body failed validation: ${path}.file_upload: file uploads are not modelled by the simulator; use an external file.`);
  const name = str(raw.name, `${path}.name`, 100);
  if (isObj(raw.external)) return { kind: 'external', name, url: str(raw.external.url, `${path}.external.url`, MAX_URL) };
  if (isObj(raw.file)) {
    // A Notion-hosted file can only be kept (sent back with the URL it was served with), not added.
    const url = str(raw.file.url, `${path}.file.url`, MAX_URL);
    const m = /\/_sim\/files\/([0-9a-f-]{36})\//.exec(url);
    const onPage = page ? [...page.values.values()].flatMap((v) => (v.t === 'files' ? v.files : [])) : [];
    const kept = m ? onPage.find((f) => f.kind === 'file' && f.fileId === m[1]) : undefined;
    if (!kept) throw validation(`body failed validation: ${path}.file.url should be the URL of a file already on the page; upload new files with the file upload API.`);
    return { ...kept, name };
  }
  throw validation(`body failed validation: ${path} should be defined as one of \`external\`, \`file\` or \`file_upload\`.`);
}
