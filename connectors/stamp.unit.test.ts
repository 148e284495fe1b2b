// The comment stamp: a key written invisibly into a comment is read back from the text a vendor
// returns, also after people edit around it, and never changes what people see.
import { describe, expect, it } from 'vitest';
import { readStamp, stampText, stripStamp } from './stamp';

/** What a reader sees: the text without the three invisible characters the stamp is made of. */
const visible = (s: string): string => s.replace(/[\u200B\u200C\u2060]/g, '');

describe('stampText / readStamp / stripStamp', () => {
  it('round-trips hex keys, base64url content-hash prefixes, and the extremes of the alphabet', () => {
    for (const key of ['0', 'f', '9a3c', '0123456789abcdef', 'FFFF0000aaaa5555', 'q3V-_xZ09aBcDeFg', 'A', '_', '-AZaz09_']) {
      const text = 'Approval missing: the client has not signed off v03.';
      const stamped = stampText(text, key);
      expect(readStamp(stamped)).toBe(key);
      expect(stripStamp(stamped)).toBe(text);
    }
  });

  it('adds nothing visible: the stamped text reads exactly as the input', () => {
    for (const text of ['Review overdue by 3 days.', '', 'Emoji 👍🏽 and accents: déjà vu', 'two\nlines\n']) {
      const stamped = stampText(text, '9f86d081884c7d65');
      expect(visible(stamped)).toBe(text);
      expect(stamped.startsWith(text)).toBe(true);
      expect(stamped.length).toBeGreaterThan(text.length);
    }
  });

  it('finds nothing in a text without a stamp, and leaves such text alone', () => {
    for (const text of [null, undefined, '', 'A plain comment', 'word\u2060joiner used by a person', '\u2060\u200B\u200C\u2060 (too short to be a stamp)']) {
      expect(readStamp(text)).toBeNull();
      if (typeof text === 'string') expect(stripStamp(text)).toBe(text);
    }
  });

  it('finds a stamp that ended up in the middle of an edited comment', () => {
    const stamped = stampText('Misnamed file: expected ACME_HOLIDAY_BANNER-300x250_v03.psd.', 'c0ffee42');
    const edited = `Note from Dana: ${stamped} — renamed it, thanks!`;
    expect(readStamp(edited)).toBe('c0ffee42');
    expect(stripStamp(edited)).toBe('Note from Dana: Misnamed file: expected ACME_HOLIDAY_BANNER-300x250_v03.psd. — renamed it, thanks!');
  });

  it('re-stamping replaces the stamp instead of stacking a second one', () => {
    const twice = stampText(stampText('Scope creep', 'aaaa'), 'bbbb');
    expect(readStamp(twice)).toBe('bbbb');
    expect(twice.match(/\u2060/g)).toHaveLength(2);
    expect(stripStamp(twice)).toBe('Scope creep');
  });

  it('when a comment quotes another stamped comment, the last stamp wins', () => {
    const quoted = `${stampText('first', 'aaaa')}\n> ${stampText('second', 'bbbb')}`;
    expect(readStamp(quoted)).toBe('bbbb');
    expect(stripStamp(quoted)).toBe('first\n> second');
  });

  it('refuses keys it cannot encode', () => {
    for (const key of ['', 'not hex!', '0123456789abcdef0', 'é']) expect(() => stampText('x', key)).toThrow(RangeError);
  });
});
