// Notion write-back bodies (pure): one PATCH per page with only what differs, checked against the
// data source's schema before anything is sent; rich text split at 2,000 characters and capped at 100
// items and 500 KB with the stamp kept; comments stamped and skipped when already on the page. The
// writer against the simulator is in client.unit.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readStamp, stripStamp } from '../stamp';
import { ConnectorError } from '../types';
import { LIMITS } from './manifest';
import { NotionDataSourceRaw } from './raw';
import { commentBody, pageUpdateBody, propertyWriteForm, richTextItems, sameWrite } from './writeback';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));
const PAGE = '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f';
const schema = NotionDataSourceRaw.parse(fixture('data-source')).properties;
const joined = (items: { text: { content: string } }[]) => items.map((i) => i.text.content).join('');

function refusal(fn: () => unknown): ConnectorError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectorError);
    return e as ConnectorError;
  }
  throw new Error('expected a ConnectorError');
}

describe('page updates', () => {
  it("reads a page's writable values in the form they are written", () => {
    expect(propertyWriteForm(fixture('page-full'))).toMatchObject({
      Stage: { status: 'Client Review' }, 'Ops status': { select: null }, 'Revision round': { number: 2 }, Budget: { number: 1250.5 },
      'Ops note': { rich_text: '' }, 'Asset key': { rich_text: 'ACME-HOL-0042' }, Rush: { checkbox: true }, Due: { date: '2026-11-20T17:00:00.000+01:00' },
      'Proof link': { url: 'https://proof.example/acme/0042' },
    });
    // A stamp Stageline left in a rich-text property is not part of the value compared.
    expect(propertyWriteForm(fixture('page-empty-status'))['Ops note']).toEqual({ rich_text: 'Checked by Stageline' });
  });

  it('sends only what differs, every property in one body, and nothing when all is there', () => {
    const current = propertyWriteForm(fixture('page-full'));
    const target = { Stage: { status: 'Client Review' }, 'Ops status': { select: 'Needs attention' }, 'Revision round': { number: 3 }, 'Ops note': { rich_text: 'Over the revision cap' } };
    const body = pageUpdateBody(PAGE, target, current, { schema, stampKey: 'v-0042' });
    expect(Object.keys(body!.properties)).toEqual(['Ops status', 'Revision round', 'Ops note']);
    expect(body!.properties['Ops status']).toEqual({ select: { name: 'Needs attention' } });
    expect(body!.properties['Revision round']).toEqual({ number: 3 });
    const note = body!.properties['Ops note'] as { rich_text: { type: string; text: { content: string } }[] };
    expect(stripStamp(joined(note.rich_text))).toBe('Over the revision cap');
    expect(readStamp(joined(note.rich_text))).toBe('v-0042');
    // After the write lands, the same target is nothing to send.
    const landed = { ...current, 'Ops status': { select: 'Needs attention' }, 'Revision round': { number: 3 }, 'Ops note': { rich_text: 'Over the revision cap' } };
    expect(pageUpdateBody(PAGE, target, landed, { schema })).toBeNull();
    // Clearing is a write too.
    expect(pageUpdateBody(PAGE, { 'Ops status': { select: null }, Due: { date: null } }, landed, { schema })!.properties).toEqual({ 'Ops status': { select: null }, Due: { date: null } });
  });

  it('refuses, before sending, a property the schema lacks, a type mismatch, an unknown option, a bad number', () => {
    expect(refusal(() => pageUpdateBody(PAGE, { Phase: { status: 'Approved' } }, null, { schema })).message).toMatch(/no property "Phase"/);
    expect(refusal(() => pageUpdateBody(PAGE, { Stage: { select: 'Approved' } }, null, { schema })).message).toMatch(/"Stage" is a status property, not select/);
    const option = refusal(() => pageUpdateBody(PAGE, { Stage: { status: 'Done' } }, null, { schema }));
    expect(option.kind).toBe('invalid_config');
    expect(option.message).toMatch(/status property "Stage" has no option "Done" \(options: "Briefing", .*"Cancelled"\); options are never created/);
    expect(refusal(() => pageUpdateBody(PAGE, { Budget: { number: Number.NaN } }, null)).message).toMatch(/finite number/);
    expect(refusal(() => pageUpdateBody(PAGE, { Budget: { number: 1, select: 'x' } as never }, null)).message).toMatch(/one of status, select/);
  });

  it('compares as Notion stores: dates by instant, rich text without stamps, types strictly', () => {
    expect(sameWrite({ date: '2026-11-20T17:00:00.000+01:00' }, { date: '2026-11-20T16:00:00Z' })).toBe(true);
    expect(sameWrite({ date: '2026-11-20' }, { date: '2026-11-20T00:00:00Z' })).toBe(false);
    expect(sameWrite({ rich_text: 'a\u2060\u200b\u200b\u200b\u200b\u200b\u200b\u2060' }, { rich_text: 'a' })).toBe(true);
    expect(sameWrite({ select: 'OK' }, { status: 'OK' })).toBe(false);
    expect(sameWrite(undefined, { number: null })).toBe(false);
  });
});

describe('rich text limits', () => {
  it('splits at 2,000 characters without breaking a surrogate pair, and keeps every character', () => {
    const text = 'a'.repeat(1_999) + '😀' + 'b'.repeat(2_500);
    const { items, truncated } = richTextItems(text);
    expect(truncated).toBe(false);
    expect(items.every((i) => i.text.content.length <= LIMITS.richTextContent)).toBe(true);
    expect(items[0]!.text.content).toBe('a'.repeat(1_999));
    expect(joined(items)).toBe(text);
  });

  it('caps at 100 items with an ellipsis, the stamp kept after the cut', () => {
    const { items, truncated } = richTextItems('x'.repeat(250_000), { stampKey: 'k1' });
    expect(truncated).toBe(true);
    expect(items.length).toBeLessThanOrEqual(LIMITS.richTextItems);
    const all = joined(items);
    expect(stripStamp(all).endsWith('…')).toBe(true);
    expect(readStamp(all)).toBe('k1');
  });

  it('stays under the 500 KB payload limit with multi-byte text', () => {
    const { items, truncated } = richTextItems('雪'.repeat(199_000), { stampKey: 'k2' });
    expect(truncated).toBe(true);
    expect(Buffer.byteLength(JSON.stringify({ properties: { Note: { rich_text: items } } }))).toBeLessThanOrEqual(LIMITS.payloadBytes);
    expect(readStamp(joined(items))).toBe('k2');
  });

  it('a comment is on the page, stamped, within the same limits', () => {
    const { body, truncated } = commentBody(PAGE, 'Naming: expected ACME-HOL-0042_banner_300x250_v03.png', 'v-0042');
    expect(truncated).toBe(false);
    expect(body.parent).toEqual({ page_id: PAGE });
    expect(stripStamp(joined(body.rich_text))).toBe('Naming: expected ACME-HOL-0042_banner_300x250_v03.png');
    expect(readStamp(joined(body.rich_text))).toBe('v-0042');
  });
});
