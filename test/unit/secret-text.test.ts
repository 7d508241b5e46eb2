import { describe, expect, it } from 'vitest';
import { containsPan } from '../../functions/lib/pan.ts';
import { maskedText } from '../../functions/lib/schema.ts';
import { containsOneTimeCode, MASKED_CODE, maskSecrets } from '../../functions/lib/secret-text.ts';

describe('maskSecrets: card numbers and one-time codes typed into support text', () => {
  it.each([
    ['my card 4242 4242 4242 4242 was charged', 'my card •••• 4242 was charged'],
    ['card4242-4242-4242-4242x', 'card•••• 4242x'],
    ['the code is 084512', `the code is ${MASKED_CODE}`],
    ['code:084 512.', `code:${MASKED_CODE}.`],
    ['codes 0845-1200 and 1234567', `codes ${MASKED_CODE} and ${MASKED_CODE}`],
    ['fullwidth ０８４５１２', `fullwidth ${MASKED_CODE}`],
  ])('%s', (text, masked) => {
    expect(maskSecrets(text)).toBe(masked);
  });

  it('keeps what is not a secret: dates, phone numbers, amounts, short and long digit runs', () => {
    for (const text of [
      'on 2026-11-30',
      'call 555-0123',
      'USD 1,250.00',
      'order 12345',
      'ref 123456789',
      '12 345',
    ]) {
      expect(maskSecrets(text)).toBe(text);
      expect(containsOneTimeCode(text)).toBe(false);
    }
  });

  it('maskedText() checks the length as typed, then masks: the parsed value holds no secret', () => {
    const schema = maskedText(1, 50);
    const parsed = schema.parse('  4111 1111 1111 1111 and 123456  ');
    expect(parsed).toBe(`•••• 1111 and ${MASKED_CODE}`);
    expect(containsPan(parsed) || containsOneTimeCode(parsed)).toBe(false);
    expect(schema.safeParse('   ').success).toBe(false);
    expect(schema.safeParse('x'.repeat(51)).success).toBe(false);
  });
});
