// An invisible marker appended to the comments Stageline writes, so that when a comment comes back
// (an Asana story, a Drive comment) sync can tell its own writes from people's: echo detection that
// survives the comment being re-read by another connection, or after the outbox row is gone.
//
// Layout: WORD JOINER (U+2060), the key's bits as ZERO WIDTH SPACE (U+200B) = 0 and ZERO WIDTH
// NON-JOINER (U+200C) = 1, WORD JOINER. Nothing visible is added: the stamped text renders as the
// original. Keys are 1–16 characters of the base64url alphabet ([A-Za-z0-9_-]), 6 bits each; hex keys
// are a subset of it and round-trip unchanged, as do `contentHash(...)` prefixes (base64url).
// Whether a vendor keeps the zero-width characters is a per-vendor fact (asana README Behaviours).

const JOINER = '\u2060';
const ZERO = '\u200B';
const ONE = '\u200C';
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const KEY = /^[A-Za-z0-9_-]{1,16}$/;
const BITS_PER_CHAR = 6;
/** A stamp anywhere in a text: joiner, 6 to 96 bit characters, joiner. */
const STAMP = /\u2060([\u200B\u200C]{6,96})\u2060/g;

/**
 * `text` with an invisible stamp encoding `key` at its end (a stamp already in `text` is replaced,
 * so re-stamping never stacks markers). Throws a RangeError for a key outside the alphabet or
 * longer than 16 characters: that is a caller's bug, not a vendor answer.
 */
export function stampText(text: string, key: string): string {
  if (!KEY.test(key)) throw new RangeError(`stampText: the key must be 1-16 characters of [A-Za-z0-9_-], got ${JSON.stringify(key)}`);
  let bits = '';
  for (const ch of key) bits += ALPHABET.indexOf(ch).toString(2).padStart(BITS_PER_CHAR, '0');
  return `${stripStamp(text)}${JOINER}${bits.replace(/[01]/g, (b) => (b === '0' ? ZERO : ONE))}${JOINER}`;
}

/**
 * The key of the last well-formed stamp in `text` (people may type after it when they edit a
 * comment, so it need not be at the end), or null when there is none.
 */
export function readStamp(text: string | null | undefined): string | null {
  if (!text || !text.includes(JOINER)) return null;
  let found: string | null = null;
  for (const m of text.matchAll(STAMP)) {
    const key = decode(m[1] as string);
    if (key !== null) found = key;
  }
  return found;
}

/** `text` without its stamps: what a person sees, and what to compare or display. */
export function stripStamp(text: string): string {
  if (!text.includes(JOINER)) return text;
  return text.replace(STAMP, (whole, bits: string) => (decode(bits) === null ? whole : ''));
}

function decode(marks: string): string | null {
  if (marks.length % BITS_PER_CHAR !== 0) return null;
  let key = '';
  for (let i = 0; i < marks.length; i += BITS_PER_CHAR) {
    let n = 0;
    for (let j = i; j < i + BITS_PER_CHAR; j++) n = n * 2 + (marks[j] === ONE ? 1 : 0);
    key += ALPHABET[n];
  }
  return key;
}
