// Request bodies that change a data source's schema: PATCH /v1/data_sources/{id} (@notionhq/client
// 5.26 `data-sources.d.ts` UpdateDataSourceBodyParameters; method, path and body parameters in
// `data-sources.js` updateDataSource), read as developers.notion.com "Update data source properties"
// describes them: a key that names no property (by name or id) adds one, `{ name }` renames, `null`
// removes, a type configuration on an existing property of that type updates it (number format,
// select options: options left out are removed, new names added). The whole body is checked into a
// plan before anything is applied, so a request that fails changes nothing.
//
// Status: the SDK types let a status configuration carry `options`
// (common.d.ts StatusPropertyConfigUpdateRequest), but the reference page says "It's not possible to
// update the name or options values of a status property via the API" [D]. The simulator follows the
// page: a status property may be created (with the app's three default options in their groups,
// [U]: what the Notion app gives a new status column), and a status configuration that lists options is
// refused with validation_error (whether live Notion refuses or ignores them is [U]).

import { invalidParam, validation } from './errors';
import { type DataSourceRec, type OptionRec, type PropertyRec, type PropertyType, type SelectColor, type StatusGroupRec } from './model';
import { findProperty } from './query';
import { MAX_ARRAY, MAX_TEXT } from './writes';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const COLORS: readonly SelectColor[] = ['default', 'gray', 'brown', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink', 'red'];

/** The type keys UpdateDataSourceBodyParameters accepts for a property configuration. */
export const CONFIG_TYPES = [
  'number', 'formula', 'select', 'multi_select', 'status', 'relation', 'rollup', 'unique_id', 'title', 'rich_text', 'url', 'people', 'files',
  'email', 'phone_number', 'date', 'checkbox', 'created_by', 'created_time', 'last_edited_by', 'last_edited_time', 'place',
] as const;
type ConfigType = (typeof CONFIG_TYPES)[number];

/** Of those, the ones the simulator's records hold (model.ts PropertyType). */
const MODELLED: ReadonlySet<ConfigType> = new Set<ConfigType>([
  'number', 'select', 'multi_select', 'status', 'unique_id', 'title', 'rich_text', 'url', 'people', 'files', 'date', 'checkbox',
  'created_by', 'created_time', 'last_edited_by', 'last_edited_time',
]);

/** Property names, like option names, are kept to 100 characters here (the simulator's limit; Notion publishes none). */
export const MAX_PROPERTY_NAME = 100;

/** One change of a schema plan. */
export type SchemaChange =
  | { kind: 'add'; prop: PropertyRec }
  | { kind: 'remove'; prop: PropertyRec }
  | { kind: 'update'; prop: PropertyRec; name?: string; description?: string | null; numberFormat?: string; options?: OptionRec[] };

export interface SchemaPlan {
  changes: SchemaChange[];
  title?: string;
}

function str(v: unknown, path: string, max: number): string {
  if (typeof v !== 'string') throw invalidParam('body', path, 'a string', v);
  if (v.length > max) throw invalidParam('body', `${path}.length`, `≤ \`${max}\``, v.length);
  return v;
}

function propertyName(v: unknown, path: string): string {
  const name = str(v, path, MAX_PROPERTY_NAME);
  if (name.trim() === '') throw validation(`body failed validation: ${path} should not be empty.`);
  return name;
}

/** The options of a select or multi-select configuration: kept by id or name, new ones minted; `current` are the property's options now. */
function parseOptions(raw: unknown, path: string, current: readonly OptionRec[], mint: () => string): OptionRec[] {
  if (!isObj(raw)) throw invalidParam('body', path, 'an object', raw);
  if (raw.options === undefined) return [...current];
  const at = `${path}.options`;
  if (!Array.isArray(raw.options)) throw invalidParam('body', at, 'an array', raw.options);
  if (raw.options.length > MAX_ARRAY) throw invalidParam('body', `${at}.length`, `≤ \`${MAX_ARRAY}\``, raw.options.length);
  const out: OptionRec[] = [];
  raw.options.forEach((o: unknown, i) => {
    const oat = `${at}[${i}]`;
    if (!isObj(o)) throw invalidParam('body', oat, 'an object', o);
    if (o.id === undefined && o.name === undefined) throw validation(`body failed validation: ${oat} should have \`name\` or \`id\`.`);
    const byId = o.id === undefined ? undefined : current.find((x) => x.id === str(o.id, `${oat}.id`, 100));
    if (o.id !== undefined && !byId) throw validation(`body failed validation: ${oat}.id should be the id of an existing option, instead was \`${JSON.stringify(o.id)}\`.`);
    const name = o.name === undefined ? (byId as OptionRec).name : str(o.name, `${oat}.name`, 100);
    if (name.trim() === '') throw validation(`body failed validation: ${oat}.name should not be empty.`);
    // Option names cannot contain commas (the same rule as a select value written to a page).
    if (name.includes(',')) throw validation(`body failed validation: ${oat}.name should not contain commas, instead was \`${JSON.stringify(name)}\`.`);
    if (out.some((x) => x.name === name)) throw validation(`body failed validation: ${oat}.name should be unique among the options, instead \`${JSON.stringify(name)}\` appears twice.`);
    if (o.color !== undefined && !COLORS.includes(o.color as SelectColor)) throw invalidParam('body', `${oat}.color`, `one of ${COLORS.join(', ')}`, o.color);
    const description = o.description === undefined || o.description === null ? null : str(o.description, `${oat}.description`, MAX_TEXT);
    const existing = byId ?? current.find((x) => x.name === name);
    // Existing options keep their name and colour (the reference page: they "cannot be updated").
    if (existing) {
      if (o.color !== undefined && o.color !== existing.color) throw validation(`body failed validation: ${oat}.color cannot be changed for the existing option "${existing.name}".`);
      if (byId && o.name !== undefined && name !== existing.name) throw validation(`body failed validation: ${oat}.name cannot be changed for the existing option "${existing.name}".`);
      out.push({ ...existing });
      return;
    }
    out.push({ id: mint(), name, color: (o.color as SelectColor | undefined) ?? (COLORS[(current.length + out.length) % COLORS.length] as SelectColor), description });
  });
  return out;
}

/** The app's default status column: Not started / In progress / Done in To-do / In progress / Complete [U]. */
function defaultStatus(mint: () => string): { options: OptionRec[]; groups: StatusGroupRec[] } {
  const options: OptionRec[] = [
    { id: mint(), name: 'Not started', color: 'default', description: null },
    { id: mint(), name: 'In progress', color: 'blue', description: null },
    { id: mint(), name: 'Done', color: 'green', description: null },
  ];
  const groups: StatusGroupRec[] = [
    { id: mint(), name: 'To-do', color: 'gray', optionIds: [options[0]!.id] },
    { id: mint(), name: 'In progress', color: 'blue', optionIds: [options[1]!.id] },
    { id: mint(), name: 'Complete', color: 'green', optionIds: [options[2]!.id] },
  ];
  return { options, groups };
}

/** The one type key of a configuration, checked against `type` when that is given too. */
function configType(v: Json, path: string): ConfigType | null {
  const keys = Object.keys(v).filter((k) => k !== 'name' && k !== 'description' && k !== 'type');
  const unknown = keys.filter((k) => !(CONFIG_TYPES as readonly string[]).includes(k));
  if (unknown.length > 0) throw validation(`body failed validation: ${path}.${unknown[0]} should be not present; a property configuration is one of \`${CONFIG_TYPES.join('`, `')}\`.`);
  if (keys.length > 1) throw validation(`body failed validation: ${path} should have exactly one property type, instead has \`${keys.join('`, `')}\`.`);
  const t = (keys[0] as ConfigType | undefined) ?? null;
  if (v.type !== undefined) {
    if (!(CONFIG_TYPES as readonly string[]).includes(String(v.type))) throw invalidParam('body', `${path}.type`, `one of \`${CONFIG_TYPES.join('`, `')}\``, v.type);
    if (t === null) throw validation(`body failed validation: ${path}.${String(v.type)} should be defined, instead was \`undefined\`.`);
    if (v.type !== t) throw validation(`body failed validation: ${path}.type should be \`"${t}"\`, instead was \`${JSON.stringify(v.type)}\`.`);
  }
  if (t !== null && !isObj(v[t])) throw invalidParam('body', `${path}.${t}`, 'an object', v[t]);
  return t;
}

/**
 * `properties` (and `title`) of PATCH /v1/data_sources/{id} against `ds`'s schema → a plan; throws a
 * validation_error naming the path before anything is applied.
 */
export function parseSchemaUpdate(body: Json, ds: DataSourceRec, mint: () => string): SchemaPlan {
  const plan: SchemaPlan = { changes: [] };
  if (body.title !== undefined) {
    if (!Array.isArray(body.title)) throw invalidParam('body', 'body.title', 'an array', body.title);
    plan.title = body.title
      .map((t: unknown, i) => {
        if (!isObj(t) || !isObj(t.text)) throw invalidParam('body', `body.title[${i}]`, 'a text rich-text item', t);
        return str(t.text.content, `body.title[${i}].text.content`, MAX_TEXT);
      })
      .join('');
  }
  if (body.properties === undefined) return plan;
  if (!isObj(body.properties)) throw invalidParam('body', 'body.properties', 'an object', body.properties);
  // The names the schema will have: a rename or a new property may not take one already in use.
  const names = new Map(ds.properties.map((p) => [p.name, p] as const));
  const touched = new Set<PropertyRec>();
  const claim = (name: string, prop: PropertyRec | null, path: string): void => {
    const holder = names.get(name);
    if (holder && holder !== prop) throw validation(`body failed validation: ${path} should be a name no other property has, instead \`${JSON.stringify(name)}\` is taken.`);
    names.set(name, prop ?? ({} as PropertyRec));
  };

  for (const [key, v] of Object.entries(body.properties)) {
    const at = `body.properties.${key}`;
    const prop = findProperty(ds, key);
    if (prop && touched.has(prop)) throw validation(`body failed validation: ${at} names a property already changed in this request.`);
    if (prop) touched.add(prop);
    if (v === null) {
      if (!prop) throw validation(`${key} is not a property that exists.`);
      if (prop.type === 'title') throw validation(`body failed validation: ${at}: the title property cannot be removed.`);
      if (prop.type === 'relation') throw validation(`body failed validation: ${at}: removing a relation property is not modelled by the simulator.`);
      names.delete(prop.name);
      plan.changes.push({ kind: 'remove', prop });
      continue;
    }
    if (!isObj(v)) throw invalidParam('body', at, 'an object or `null`', v);
    const t = configType(v, at);
    const name = v.name === undefined ? undefined : propertyName(v.name, `${at}.name`);
    const description = v.description === undefined || v.description === null ? (v.description as null | undefined) : str(v.description, `${at}.description`, MAX_TEXT);
    if (t !== null && !MODELLED.has(t)) throw validation(`body failed validation: ${at}.${t}: ${t} properties are not modelled by the simulator.`);

    if (!prop) {
      // A new property: its key is its name unless `name` says otherwise, and it needs a type.
      if (t === null) throw validation(`body failed validation: ${at} should have a property type to create "${key}" (${key} is not a property that exists).`);
      const newName = name ?? propertyName(key, `${at} (the key)`);
      claim(newName, null, name === undefined ? at : `${at}.name`);
      if (t === 'title') throw validation(`body failed validation: ${at}.title: a data source has exactly one title property.`);
      if (t === 'unique_id' && ds.properties.some((p) => p.type === 'unique_id')) throw validation(`body failed validation: ${at}.unique_id: a data source has at most one unique_id property.`);
      const cfg = v[t] as Json;
      const p: PropertyRec = { id: mint(), name: newName, type: t as PropertyType, description: description ?? null, options: [], groups: [], numberFormat: 'number', relation: null, prefix: null };
      if (t === 'number' && cfg.format !== undefined) p.numberFormat = numberFormat(cfg.format, `${at}.number.format`);
      if (t === 'select' || t === 'multi_select') p.options = parseOptions(cfg, `${at}.${t}`, [], mint);
      if (t === 'status') {
        if (cfg.options !== undefined) throw statusOptions(`${at}.status.options`);
        Object.assign(p, defaultStatus(mint));
      }
      if (t === 'unique_id') p.prefix = cfg.prefix === undefined || cfg.prefix === null ? null : str(cfg.prefix, `${at}.unique_id.prefix`, 100);
      plan.changes.push({ kind: 'add', prop: p });
      continue;
    }

    const change: Extract<SchemaChange, { kind: 'update' }> = { kind: 'update', prop };
    if (name !== undefined && name !== prop.name) {
      claim(name, prop, `${at}.name`);
      names.delete(prop.name);
      change.name = name;
    }
    if (description !== undefined) change.description = description;
    if (t !== null) {
      if (t !== prop.type) throw validation(`body failed validation: ${at}.${t}: changing ${prop.name} from ${prop.type} to ${t} is not modelled by the simulator.`);
      const cfg = v[t] as Json;
      if (t === 'number' && cfg.format !== undefined) change.numberFormat = numberFormat(cfg.format, `${at}.number.format`);
      if (t === 'select' || t === 'multi_select') change.options = parseOptions(cfg, `${at}.${t}`, prop.options, mint);
      if (t === 'status' && cfg.options !== undefined) throw statusOptions(`${at}.status.options`);
    }
    plan.changes.push(change);
  }
  return plan;
}

const statusOptions = (path: string) =>
  validation(`body failed validation: ${path}: it is not possible to update the name or options values of a status property via the API.`);

/** NumberFormat is a plain string in the SDK types; Notion's formats are snake_case words (`number`, `dollar`, `percent`…). */
function numberFormat(v: unknown, path: string): string {
  const f = str(v, path, 100);
  if (!/^[a-z]+(_[a-z]+)*$/.test(f)) throw invalidParam('body', path, 'a number format such as `"number"`, `"number_with_commas"`, `"percent"` or `"dollar"`', v);
  return f;
}
