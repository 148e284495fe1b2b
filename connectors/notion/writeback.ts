// Notion writes (vendor-apis.md §3.6): a page's properties (stage status, Ops status, metrics, notes)
// with ONE `PATCH /v1/pages/{id}` per page carrying only what differs, and one `POST /v1/comments` per
// violation. On the same terms as the reads (NotionClient: limiter, counter, errors classified). The
// request bodies are built by pure functions here, within Notion's size limits (manifest LIMITS:
// 2,000 characters per rich-text item, 100 items, 500 KB per payload). Idempotence across retries is
// the outbox's job; this file never sends a value the page already holds, and never a comment whose
// stamp is already on the page.
import { readStamp, stampText, stripStamp } from '../stamp';
import { ConnectorError, type CallCounter } from '../types';
import { NotionClient, type NotionClientOptions } from './client';
import { LIMITS } from './manifest';
import { NotionCommentRaw, NotionPageRaw, PROPERTY_VALUES, plainText, type NotionPropertyConfigRaw } from './raw';

/**
 * A property value in the form Stageline writes and compares (status and select by option name,
 * rich text as plain text, a date as its start). `null` clears.
 */
export type PropertyWrite =
  | { status: string | null }
  | { select: string | null }
  | { number: number | null }
  | { rich_text: string }
  | { checkbox: boolean }
  | { date: string | null }
  | { url: string | null };

export type PropertyWrites = Readonly<Record<string, PropertyWrite>>;

type WriteType = 'status' | 'select' | 'number' | 'rich_text' | 'checkbox' | 'date' | 'url';
const WRITE_TYPES: readonly WriteType[] = ['status', 'select', 'number', 'rich_text', 'checkbox', 'date', 'url'];

function typeOf(w: PropertyWrite): WriteType {
  const keys = Object.keys(w);
  const t = keys[0] as WriteType | undefined;
  if (keys.length !== 1 || t === undefined || !WRITE_TYPES.includes(t)) throw new ConnectorError('invalid_config', `a property write has one of ${WRITE_TYPES.join(', ')}, got ${JSON.stringify(w)}`);
  return t;
}

/** A rich-text request item (pages.d.ts RichTextItemRequest, text form). */
export interface TextItem {
  type: 'text';
  text: { content: string };
}

const ELLIPSIS = '…';

/** `text` cut to at most `n` UTF-16 units without splitting a surrogate pair. */
function cut(text: string, n: number): string {
  if (text.length <= n) return text;
  const end = n > 0 && /[\uD800-\uDBFF]/.test(text[n - 1]!) ? n - 1 : n;
  return text.slice(0, Math.max(0, end));
}

/**
 * `text` as rich-text items within Notion's limits: items of at most 2,000 characters (never splitting
 * a surrogate pair), at most 100 items, and at most `maxBytes` of JSON. Text beyond that is cut and
 * ends with "…" (`truncated`). With `stampKey`, the invisible stamp (connectors/stamp.ts) is appended
 * after any cut, so it always survives: it is how the next pull knows Stageline's own writing.
 */
export function richTextItems(text: string, opts: { stampKey?: string; maxBytes?: number } = {}): { items: TextItem[]; truncated: boolean } {
  const stamp = opts.stampKey ? stampText('', opts.stampKey) : '';
  const maxChars = LIMITS.richTextItems * LIMITS.richTextContent - stamp.length;
  const maxBytes = opts.maxBytes ?? LIMITS.payloadBytes - 4_096;
  let body = stripStamp(text);
  let truncated = false;
  if (body.length > maxChars) {
    body = cut(body, maxChars - ELLIPSIS.length) + ELLIPSIS;
    truncated = true;
  }
  // JSON bytes of the items: the text escaped, plus about 40 bytes of envelope per item.
  const bytes = (s: string) => Buffer.byteLength(JSON.stringify(s)) + 40 * Math.ceil((s.length + stamp.length) / LIMITS.richTextContent);
  while (bytes(body) > maxBytes && body.length > 0) {
    body = cut(body, Math.floor(body.length * (maxBytes / bytes(body))) - ELLIPSIS.length - 1) + ELLIPSIS;
    truncated = true;
  }
  const full = body + stamp;
  const items: TextItem[] = [];
  for (let i = 0; i < full.length; ) {
    const piece = cut(full.slice(i), LIMITS.richTextContent);
    items.push({ type: 'text', text: { content: piece } });
    i += piece.length;
  }
  return { items, truncated };
}

/** The request form of one property write (pages.d.ts UpdatePageBodyParameters.properties). */
export function propertyRequest(w: PropertyWrite, opts: { stampKey?: string } = {}): { body: Record<string, unknown>; truncated: boolean } {
  const t = typeOf(w);
  switch (t) {
    case 'status':
    case 'select': {
      const name = (w as { status?: string | null; select?: string | null })[t] ?? null;
      return { body: { [t]: name === null ? null : { name } }, truncated: false };
    }
    case 'rich_text': {
      const r = richTextItems((w as { rich_text: string }).rich_text, opts);
      return { body: { rich_text: r.items }, truncated: r.truncated };
    }
    case 'date': {
      const start = (w as { date: string | null }).date;
      return { body: { date: start === null ? null : { start } }, truncated: false };
    }
    default:
      return { body: { [t]: (w as Record<string, unknown>)[t] }, truncated: false };
  }
}

/** Equal as Notion stores them; a false "different" costs one redundant write, a false "equal" would lose one. */
export function sameWrite(a: PropertyWrite | undefined, b: PropertyWrite): boolean {
  if (a === undefined) return false;
  const ta = typeOf(a);
  const tb = typeOf(b);
  if (ta !== tb) return false;
  const va = (a as Record<string, unknown>)[ta];
  const vb = (b as Record<string, unknown>)[tb];
  if (ta === 'rich_text') return stripStamp(String(va)) === stripStamp(String(vb));
  if (ta === 'date' && typeof va === 'string' && typeof vb === 'string') return va === vb || (Date.parse(va) === Date.parse(vb) && va.length > 10 && vb.length > 10);
  return (va ?? null) === (vb ?? null);
}

/**
 * The PATCH body for `target` given what the page holds (`current`, in the same form, e.g.
 * propertyWriteForm of the page): only the properties that differ; null when none does. With the data
 * source's schema, each target must be a property of a writable type matching its write, and a status
 * or select name one of its options (options are never created), else invalid_config naming the page,
 * the property and the option, before anything is sent. A body over 500 KB is refused the same way.
 */
export function pageUpdateBody(
  pageId: string,
  target: PropertyWrites,
  current: PropertyWrites | null,
  opts: { schema?: Readonly<Record<string, NotionPropertyConfigRaw>>; stampKey?: string } = {},
): { properties: Record<string, Record<string, unknown>>; truncated: string[] } | null {
  const where = `Notion page ${pageId}`;
  const properties: Record<string, Record<string, unknown>> = {};
  const truncated: string[] = [];
  for (const [name, w] of Object.entries(target)) {
    if (name === '') throw new ConnectorError('invalid_config', `${where}: an empty property name`);
    const t = typeOf(w);
    if (opts.schema) {
      const prop = opts.schema[name];
      if (!prop) throw new ConnectorError('invalid_config', `${where}: no property "${name}" (properties: ${Object.keys(opts.schema).map((n) => `"${n}"`).join(', ')})`);
      if (prop.type !== t) throw new ConnectorError('invalid_config', `${where}: property "${name}" is a ${prop.type} property, not ${t}`);
      const value = (w as Record<string, unknown>)[t];
      if ((t === 'status' || t === 'select') && typeof value === 'string') {
        const options = (t === 'status' ? prop.status?.options : prop.select?.options) ?? [];
        if (!options.some((o) => o.name === value)) {
          throw new ConnectorError('invalid_config', `${where}: ${t} property "${name}" has no option "${value}" (options: ${options.map((o) => `"${o.name}"`).join(', ') || 'none'}); options are never created`);
        }
      }
    }
    if (t === 'number') {
      const n = (w as { number: number | null }).number;
      if (n !== null && !Number.isFinite(n)) throw new ConnectorError('invalid_config', `${where}: property "${name}" takes a finite number, not ${String(n)}`);
    }
    if (t === 'url') {
      const u = (w as { url: string | null }).url;
      if (u !== null && u.length > LIMITS.url) throw new ConnectorError('invalid_config', `${where}: property "${name}": a URL of ${u.length} characters exceeds ${LIMITS.url}`);
    }
    if (current && sameWrite(current[name], w)) continue;
    const req = propertyRequest(w, opts.stampKey ? { stampKey: opts.stampKey } : {});
    properties[name] = req.body;
    if (req.truncated) truncated.push(name);
  }
  if (Object.keys(properties).length === 0) return null;
  const bytes = Buffer.byteLength(JSON.stringify({ properties }));
  if (bytes > LIMITS.payloadBytes) throw new ConnectorError('invalid_config', `${where}: the update is ${bytes} bytes, over Notion's ${LIMITS.payloadBytes}-byte payload limit`);
  return { properties, truncated };
}

/**
 * A page's current values in the form `setProperties` writes, for the property types it writes
 * (status, select, number, rich text without its stamp, checkbox, date start, url). A property of
 * another type is left out, so a write to it is always sent.
 */
export function propertyWriteForm(rawPage: unknown): Record<string, PropertyWrite> {
  const p = NotionPageRaw.safeParse(rawPage);
  if (!p.success) throw new ConnectorError('schema_drift', `Notion page: unexpected shape at ${p.error.issues[0]?.path.join('.') ?? '(root)'}`);
  const out: Record<string, PropertyWrite> = {};
  for (const [name, prop] of Object.entries(p.data.properties)) {
    const raw = prop as Record<string, unknown>;
    switch (prop.type) {
      case 'status':
      case 'select': {
        const v = PROPERTY_VALUES[prop.type].safeParse(raw[prop.type]);
        if (v.success) out[name] = prop.type === 'status' ? { status: v.data?.name ?? null } : { select: v.data?.name ?? null };
        break;
      }
      case 'number': {
        const v = PROPERTY_VALUES.number.safeParse(raw.number);
        if (v.success) out[name] = { number: v.data };
        break;
      }
      case 'rich_text': {
        const v = PROPERTY_VALUES.rich_text.safeParse(raw.rich_text);
        if (v.success) out[name] = { rich_text: stripStamp(plainText(v.data)) };
        break;
      }
      case 'checkbox': {
        const v = PROPERTY_VALUES.checkbox.safeParse(raw.checkbox);
        if (v.success) out[name] = { checkbox: v.data };
        break;
      }
      case 'date': {
        const v = PROPERTY_VALUES.date.safeParse(raw.date);
        if (v.success) out[name] = { date: v.data?.start ?? null };
        break;
      }
      case 'url': {
        const v = PROPERTY_VALUES.url.safeParse(raw.url);
        if (v.success) out[name] = { url: v.data };
        break;
      }
      default:
        break;
    }
  }
  return out;
}

/** The comment request (comments.d.ts CreateCommentBodyParameters): on the page, stamped, within the limits. */
export function commentBody(pageId: string, text: string, stampKey?: string): { body: { parent: { page_id: string }; rich_text: TextItem[] }; truncated: boolean } {
  const r = richTextItems(text, stampKey ? { stampKey } : {});
  return { body: { parent: { page_id: pageId }, rich_text: r.items }, truncated: r.truncated };
}

/** The plain texts of a page's comments as listed (raw comment objects or already plain strings). */
function commentTexts(existing: readonly unknown[]): string[] {
  return existing.map((c) => {
    if (typeof c === 'string') return c;
    const p = NotionCommentRaw.safeParse(c);
    return p.success ? plainText(p.data.rich_text) : '';
  });
}

export class NotionWriter {
  readonly client: NotionClient;
  readonly counter: CallCounter;

  /** A writer on its own client, or on a client shared with reads (one limiter, one count). */
  constructor(opts: NotionClientOptions | { client: NotionClient }) {
    this.client = 'client' in opts ? opts.client : new NotionClient(opts);
    this.counter = this.client.counter;
  }

  /**
   * Sets the page's properties (keyed by name) whose value differs from `current`, in ONE
   * `PATCH /v1/pages/{id}` (pageUpdateBody); nothing differs: no call, false. Rich text is stamped
   * with `stampKey` when given, and cut to Notion's limits (reported in `truncated`).
   */
  async setProperties(
    pageId: string,
    target: PropertyWrites,
    current: PropertyWrites | null,
    opts: { schema?: Readonly<Record<string, NotionPropertyConfigRaw>>; stampKey?: string } = {},
  ): Promise<boolean> {
    assertId('page id', pageId);
    const body = pageUpdateBody(pageId, target, current, opts);
    if (!body) return false;
    await this.client.updatePage(pageId, body.properties as Parameters<NotionClient['updatePage']>[1]);
    return true;
  }

  /**
   * A comment on the page (`POST /v1/comments`), shown as by the integration. With `stampKey` it is
   * stamped, and skipped (null) when a comment of `existing` (the page's comments as last listed, raw
   * or plain text) already carries that stamp; without one, skipped when the same text is there.
   */
  async addComment(pageId: string, text: string, existing: readonly unknown[], opts: { stampKey?: string } = {}): Promise<{ id: string } | null> {
    assertId('page id', pageId);
    if (typeof text !== 'string' || stripStamp(text).trim() === '') throw new ConnectorError('invalid_config', `Notion page ${pageId}: the comment text is empty`);
    const texts = commentTexts(existing);
    if (opts.stampKey ? texts.some((t) => readStamp(t) === opts.stampKey) : texts.some((t) => stripStamp(t).trim() === text.trim())) return null;
    const { body } = commentBody(pageId, text, opts.stampKey);
    const created = await this.client.createComment(body, `comment on page ${pageId}`);
    const id = created && typeof created === 'object' ? (created as { id?: unknown }).id : undefined;
    if (typeof id !== 'string') throw new ConnectorError('schema_drift', `Notion POST /comments (page ${pageId}): the answer has no comment id`, { endpoint: 'POST /comments' });
    return { id };
  }

  /**
   * The properties `wanted` on the data source, each found by name (findProperty: exact, then ignoring
   * case and spaces) or, when the schema has none, created in ONE `PATCH /v1/data_sources/{id}`: a
   * select with its options in order, or a number with the number format. A property of that name but
   * another type than every type `accept`s is invalid_config naming it. Returns each wanted name's
   * property as the schema now has it.
   */
  async ensureProperties(
    dataSourceId: string,
    schema: Readonly<Record<string, NotionPropertyConfigRaw>>,
    wanted: readonly { name: string; create: { select: readonly string[] } | { number: true }; accept: readonly string[] }[],
  ): Promise<{ properties: Record<string, NotionPropertyConfigRaw>; created: string[] }> {
    assertId('data source id', dataSourceId);
    const found: Record<string, NotionPropertyConfigRaw> = {};
    const create: Record<string, { select: { options: { name: string }[] } } | { number: { format: 'number' } }> = {};
    for (const w of wanted) {
      const p = findSchemaProperty(schema, w.name);
      if (!p) {
        create[w.name] = 'select' in w.create ? { select: { options: w.create.select.map((name) => ({ name })) } } : { number: { format: 'number' } };
        continue;
      }
      if (!w.accept.includes(p.type)) {
        throw new ConnectorError('invalid_config', `Notion data source ${dataSourceId}: property "${p.name}" is a ${p.type} property, not ${w.accept.join(' or ')}: rename it or configure another name`);
      }
      found[w.name] = p;
    }
    const created = Object.keys(create);
    if (!created.length) return { properties: found, created };
    const after = await this.client.updateDataSource(dataSourceId, create as Parameters<NotionClient['updateDataSource']>[1]);
    for (const name of created) {
      const p = after.properties[name];
      if (!p) throw new ConnectorError('schema_drift', `Notion PATCH /data_sources/{id} (data source ${dataSourceId}): the answer has no property "${name}"`, { endpoint: 'PATCH /data_sources/{id}' });
      found[name] = p;
    }
    return { properties: found, created };
  }

  /** One comment per violation (each stamped with its own key), in order; those already on the page are skipped. */
  async addViolationComments(pageId: string, violations: readonly { key: string; text: string }[], existing: readonly unknown[]): Promise<{ key: string; id: string | null }[]> {
    const out: { key: string; id: string | null }[] = [];
    for (const v of violations) {
      const created = await this.addComment(pageId, v.text, existing, { stampKey: v.key });
      out.push({ key: v.key, id: created?.id ?? null });
    }
    return out;
  }
}

/** A property of a schema (keyed by name) by exact name, else by name ignoring case and surrounding spaces. */
export function findSchemaProperty(schema: Readonly<Record<string, NotionPropertyConfigRaw>>, name: string): NotionPropertyConfigRaw | undefined {
  const t = name.trim().toLowerCase();
  const all = Object.values(schema);
  return all.find((p) => p.name === name) ?? all.find((p) => p.name.trim().toLowerCase() === t);
}

/** Notion ids are UUIDs, with or without dashes; anything else would be a path the SDK refuses or a wrong page. */
export function assertId(what: string, id: string): void {
  if (typeof id !== 'string' || !/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(id)) {
    throw new ConnectorError('invalid_config', `Notion: ${what} ${JSON.stringify(id)} is not a Notion id (a UUID)`);
  }
}
