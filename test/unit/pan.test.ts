import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { redactText } from '../../functions/lib/logger.ts';
import { containsPan, findPans, luhnValid, maskPans } from '../../functions/lib/pan.ts';

/** Issue 9: THE card-number detector (functions/lib/pan.ts). */
describe('findPans / containsPan', () => {
  it.each([
    ['4111111111111111', '4111111111111111'],
    ['4111 1111-1111.1111', '4111111111111111'],
    ['ref4111111111111111x', '4111111111111111'],
    ['3782-822463-10005', '378282246310005'],
    ['4222222222222', '4222222222222'],
    ['6011 1111 1111 1117 exp 12/27', '6011111111111117'],
    ['4111  1111 - 1111 . 1111', '4111111111111111'],
    ['4111\u00a01111\u20131111\u20141111', '4111111111111111'],
    ['４１１１１１１１１１１１１１１１', '4111111111111111'],
    ['card 4111 1111 1111 1111 12 27 thanks', '4111111111111111'],
    ['order 12 4111111111111111', '4111111111111111'],
    ['4242424242424242428', '4242424242424242428'],
  ])('finds the card number in %j', (text, digits) => {
    expect(findPans(text).map((m) => m.digits)).toEqual([digits]);
    expect(containsPan(text)).toBe(true);
  });

  it.each([
    'order-123',
    '4111111111111112',
    '424242424242',
    '42424242424242424242',
    '2026-11-30T05:33:12.123Z',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    '+14155550123',
    '4111/1111/1111/1111',
    '',
  ])('finds nothing in %j', (text) => {
    expect(findPans(text)).toEqual([]);
    expect(containsPan(text)).toBe(false);
  });

  it('gives offsets of the number as written, for every number in the text', () => {
    const text = 'a 4111 1111 1111 1111, b 5555-5555-5555-4444.';
    expect(findPans(text).map((m) => text.slice(m.start, m.end))).toEqual([
      '4111 1111 1111 1111',
      '5555-5555-5555-4444',
    ]);
  });

  it('Luhn is the ISO/IEC 7812-1 check', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('4111 1111')).toBe(false);
  });
});

describe('UUIDs are identifiers, not card numbers', () => {
  it('finds no card number in 20,000 random canonical UUIDs (about 50 were refused before)', () => {
    const refused: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const uuid = randomUUID();
      if (containsPan(uuid) || containsPan(uuid.toUpperCase()) || containsPan(`idem_${uuid}`)) {
        refused.push(uuid);
      }
    }
    expect(refused).toEqual([]);
  });

  it('finds no card number in 20,000 random 32-byte hex strings (hashes, HMACs, random keys)', () => {
    const refused: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const hex = randomBytes(32).toString('hex');
      if (containsPan(hex) || containsPan(`"fingerprint":"${hex}"`)) refused.push(hex);
    }
    expect(refused).toEqual([]);
    // The vault leak scan's flake: a fingerprint holding a Luhn-valid 13-digit run.
    expect(containsPan('ab1246733834749cd')).toBe(true);
    expect(containsPan(`FP#${'ab1246733834749cd'.padEnd(64, 'e')}`)).toBe(false);
  });

  it('a dash-joined run that fits a UUID is skipped whole; a card number beside one is still found', () => {
    // Dash-joined digits inside this UUID hold a Luhn-valid 13-digit run (1234-5678-9012-3).
    const uuid = '8c1f4a52-1234-5678-9012-3b4c5d6e7f80';
    expect(containsPan('52-1234-5678-9012-3')).toBe(true);
    expect(containsPan(uuid)).toBe(false);
    expect(findPans(`${uuid} 4111 1111 1111 1111`).map((m) => m.digits)).toEqual(['4111111111111111']);
    expect(containsPan(`4111111111111111-${uuid}`)).toBe(true);
    // Not UUID-shaped (a group too long): read as digits as before.
    expect(containsPan('8c1f4a52-1234-5678-9012-34111111111111111')).toBe(true);
  });
});

describe('maskPans (for text shown to a person: a support message)', () => {
  it('keeps only the last four digits, and leaves the rest of the text alone', () => {
    expect(maskPans('my card 4111 1111-1111.1111 was charged twice')).toBe(
      'my card •••• 1111 was charged twice',
    );
    expect(maskPans('no card here 12345')).toBe('no card here 12345');
    expect(maskPans('ref4111111111111111x', () => '[PAN]')).toBe('ref[PAN]x');
  });
});

describe('the logger redacts with the same detector', () => {
  it.each([
    ['card 4111 1111-1111.1111 ok', 'card [REDACTED_PAN] ok'],
    ['ref4111111111111111x', 'ref[REDACTED_PAN]x'],
    ['order total 12345', 'order total 12345'],
  ])('%j', (text, redacted) => {
    expect(redactText(text)).toBe(redacted);
  });
});
