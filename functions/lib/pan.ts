/**
 * THE card-number (PAN) detector. Every place that must keep card numbers out of free text uses
 * it: request validation (`freeText()` / `panFree()` in ./schema.ts, stored headers in ./http.ts),
 * the log redaction (./logger.ts) and the leak scans in tests. PCI DSS v4.0 req. 3.3–3.5: a PAN is
 * stored only in the vault, rendered unreadable; anywhere else it is refused, or masked.
 *
 * What counts as a PAN: 13 to 19 digits (ISO/IEC 7812-1) that pass the Luhn check (ISO/IEC 7812-1
 * Annex B), written with any spaces, dashes or dots between the digits ("4111 1111-1111.1111"),
 * with anything glued on either side ("ref4111111111111111x"). Digits of other widths that NFKC
 * folds to ASCII (fullwidth "４", mathematical "𝟒") count as digits. Digits are read in groups (the
 * runs between separators); a candidate is a sequence of whole, adjacent groups of 13–19 digits
 * in total, so "4111 1111 1111 1111 12 27" is caught while a 25-digit order number is not split
 * into arbitrary windows. No brand (IIN) check: an attacker chooses the digits.
 *
 * A UUID in its canonical text form (RFC 9562 §4: 8-4-4-4-12 hex digits) and a hex token of 32+
 * characters (a SHA-256 fingerprint, a random hex key) are identifiers, not card numbers: they are
 * skipped whole. Without that, about one random UUID in 400 and one 64-character hex string in a
 * hundred hold a Luhn-valid run of 13–19 digits, so merchants' UUID or hex Idempotency-Keys were
 * refused at random, and the vault's leak scan flagged its own card fingerprints.
 *
 * False positives: about one in ten random 13–19 digit runs passes Luhn, so a free-text field
 * holding such a run (a long order number, a 13-digit millisecond timestamp) is refused too.
 */

import luhn10 from 'card-validator/dist/luhn-10.js';

export interface PanMatch {
  /** UTF-16 offsets into the scanned text: `text.slice(start, end)` is the number as written. */
  start: number;
  end: number;
  /** The digits only (ASCII). */
  digits: string;
}

const MIN_DIGITS = 13;
const MAX_DIGITS = 19;

/**
 * Identifiers that are not card numbers however their digits fall: a canonical UUID (RFC 9562 §4)
 * not glued to further hex digits, and a hex token of 32 or more characters (a hash, an HMAC, a
 * random key) standing alone between non-alphanumerics.
 */
const IDENTIFIERS =
  /(?<![0-9A-Fa-f])[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}(?![0-9A-Fa-f])|(?<![0-9A-Za-z])[0-9A-Fa-f]{32,}(?![0-9A-Za-z])/g;

/** Spaces (any Unicode white space), dashes (any Unicode dash punctuation) and dots. */
const SEPARATOR = /^[\s\p{Pd}.\u00b7\u2024\u2027\u30fb\uff0e\uff61]$/u;

/** The ASCII digit a character stands for, or undefined. */
function digitOf(char: string): string | undefined {
  const code = char.charCodeAt(0);
  if (code >= 0x30 && code <= 0x39 && char.length === 1) return char;
  if (code < 0x80) return undefined;
  const folded = char.normalize('NFKC');
  return /^[0-9]$/.test(folded) ? folded : undefined;
}

/** ISO/IEC 7812-1 Annex B (the Luhn formula) over ASCII digits (card-validator's implementation). */
export const luhnValid = (digits: string): boolean => /^[0-9]+$/.test(digits) && luhn10(digits);

interface Group {
  start: number;
  end: number;
  digits: string;
}

/** Splits `text` into runs of digit groups joined only by separators. */
function digitRuns(text: string): Group[][] {
  const runs: Group[][] = [];
  let run: Group[] = [];
  let group: Group | undefined;
  let sawSeparator = false;
  for (let i = 0; i < text.length; ) {
    const codePoint = text.codePointAt(i) as number;
    const char = String.fromCodePoint(codePoint);
    const next = i + char.length;
    const digit = digitOf(char);
    if (digit !== undefined) {
      if (group && !sawSeparator) {
        group.digits += digit;
        group.end = next;
      } else {
        group = { start: i, end: next, digits: digit };
        run.push(group);
      }
      sawSeparator = false;
    } else if (group && SEPARATOR.test(char)) {
      sawSeparator = true;
    } else {
      if (run.length > 0) runs.push(run);
      run = [];
      group = undefined;
      sawSeparator = false;
    }
    i = next;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/**
 * Every card number in `text`, left to right, non-overlapping (the first, then the longest
 * candidate at each start wins). Linear in the text's length (at most 19 groups per start).
 */
export function findPans(text: string): PanMatch[] {
  const found: PanMatch[] = [];
  // Same length and ASCII-only, so the offsets of what remains are unchanged.
  const scanned = text.replace(IDENTIFIERS, (id) => '_'.repeat(id.length));
  for (const run of digitRuns(scanned)) {
    let i = 0;
    while (i < run.length) {
      let match: { last: number; digits: string } | undefined;
      let digits = '';
      for (let j = i; j < run.length; j++) {
        digits += (run[j] as Group).digits;
        if (digits.length > MAX_DIGITS) break;
        if (digits.length >= MIN_DIGITS && luhnValid(digits)) match = { last: j, digits };
      }
      if (match) {
        found.push({
          start: (run[i] as Group).start,
          end: (run[match.last] as Group).end,
          digits: match.digits,
        });
        i = match.last + 1;
      } else {
        i++;
      }
    }
  }
  return found;
}

/** True when `text` holds a card number (see the module comment for what counts). */
export function containsPan(text: string): boolean {
  return findPans(text).length > 0;
}

/**
 * `text` with every card number replaced: by default with its last four digits kept
 * ("•••• 1111", the most PCI DSS req. 3.4.1 allows to show besides the BIN), for a support
 * message or anything else shown to a person. The logger passes its own `replacement`.
 */
export function maskPans(
  text: string,
  replacement: (match: PanMatch) => string = (m) => `•••• ${m.digits.slice(-4)}`,
): string {
  const matches = findPans(text);
  if (matches.length === 0) return text;
  let out = '';
  let at = 0;
  for (const match of matches) {
    out += text.slice(at, match.start) + replacement(match);
    at = match.end;
  }
  return out + text.slice(at);
}
