/**
 * Card validation before tokenization: brand by IIN range, length for that brand, Luhn, expiry,
 * CVC length. Braintree's `card-validator` (on `credit-card-type`) does the brand, length and
 * Luhn work; this module decides which brands we accept and turns failures into 422s.
 * No message, param or thrown value here ever contains the card number.
 */
import { createHmac } from 'node:crypto';
import cardValidator from 'card-validator';
import { DomainError } from '../lib/errors.ts';
import { findPans } from '../lib/pan.ts';

export type CardBrand = 'visa' | 'mastercard' | 'amex' | 'discover' | 'diners' | 'jcb' | 'unionpay';

/** The brands we accept, keyed by credit-card-type's id. Maestro, Elo, Mir… are refused. */
const SUPPORTED: Readonly<Partial<Record<string, CardBrand>>> = {
  visa: 'visa',
  mastercard: 'mastercard',
  'american-express': 'amex',
  discover: 'discover',
  'diners-club': 'diners',
  jcb: 'jcb',
  unionpay: 'unionpay',
};

export interface CardInput {
  number: string;
  expMonth: number | string;
  expYear: number | string;
  /** Checked for format only; never stored (PCI DSS 3.2). */
  cvc: string;
}

export interface ValidatedCard {
  brand: CardBrand;
  last4: string;
  /** First 6 digits (PCI DSS allows at most BIN + last 4 to be shown). */
  bin: string;
  expMonth: number;
  /** Four digits. */
  expYear: number;
}

const MIN_PAN_DIGITS = 12;
const MAX_PAN_DIGITS = 19;
/** Cards are not issued with more than this many years to run (card-validator uses 19). */
const MAX_YEARS_AHEAD = 20;

/** A card the domain refuses, naming the field at fault. */
const rejected = (code: string, message: string, param: string) =>
  new DomainError('rejected', code, message, param);
const invalidNumber = (message: string) => rejected('invalid_number', message, 'number');

function integerField(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^[0-9]{1,4}$/.test(value)) return Number(value);
  return undefined;
}

/**
 * Validates a card as entered. Throws a `rejected` DomainError naming the field at fault.
 * `now` decides expiry: a card is good through the last instant of its expiry month, in UTC.
 */
export function validateCard(input: CardInput, now: Date): ValidatedCard {
  const { number, cvc } = input;
  // Digits only: card-validator would silently strip spaces and dashes, we want them refused.
  if (typeof number !== 'string' || !/^[0-9]+$/.test(number)) {
    throw invalidNumber('The card number must contain digits only.');
  }
  if (number.length < MIN_PAN_DIGITS || number.length > MAX_PAN_DIGITS) {
    throw invalidNumber('The card number does not have a valid length.');
  }
  // `card` is null when no brand, or more than one, claims the IIN.
  const verdict = cardValidator.number(number);
  const card = verdict.card;
  if (!card) throw invalidNumber('The card number does not belong to a known card brand.');
  const brand = SUPPORTED[card.type];
  if (!brand) throw rejected('card_brand_unsupported', 'This card brand is not supported.', 'number');
  if (!card.lengths.includes(number.length)) {
    throw invalidNumber('The card number does not have a valid length for its brand.');
  }
  // With the length right, isValid is the Luhn check (card-validator skips it for UnionPay,
  // whose 62 range includes numbers issued without a Luhn check digit).
  if (!verdict.isValid) throw invalidNumber('The card number is not valid.');

  const expMonth = integerField(input.expMonth);
  if (expMonth === undefined || expMonth < 1 || expMonth > 12) {
    throw rejected('invalid_expiry_month', 'The expiry month must be between 1 and 12.', 'expMonth');
  }
  let expYear = integerField(input.expYear);
  if (expYear !== undefined && expYear < 100) expYear += 2000;
  const thisYear = now.getUTCFullYear();
  if (expYear === undefined || expYear < 2000 || expYear > thisYear + MAX_YEARS_AHEAD) {
    throw rejected('invalid_expiry_year', 'The expiry year is not valid.', 'expYear');
  }
  // Date.UTC takes a 0-based month, so `expMonth` is the first instant of the month after.
  if (now.getTime() >= Date.UTC(expYear, expMonth, 1)) {
    throw rejected('expired_card', 'The card has expired.', expYear < thisYear ? 'expYear' : 'expMonth');
  }

  const codeSize = card.code.size;
  if (typeof cvc !== 'string' || !/^[0-9]+$/.test(cvc) || !cardValidator.cvv(cvc, codeSize).isValid) {
    throw rejected('invalid_cvc', `The security code must be ${codeSize} digits for this card.`, 'cvc');
  }

  return { brand, last4: number.slice(-4), bin: number.slice(0, 6), expMonth, expYear };
}

/**
 * A keyed fingerprint of a PAN, to find one card across tokens and customers without storing
 * it: HMAC-SHA-256 under a secret of its own, since a plain hash of a PAN is brute-forced in
 * minutes (the search space is ~10^9 once BIN and Luhn are known).
 */
export function fingerprint(pan: string, secret: string | Buffer): string {
  return createHmac('sha256', secret).update(pan, 'utf8').digest('hex');
}

/** The kernel's Luhn check and PAN detector (functions/lib/pan.ts), for the vault's tests and callers. */
export { luhnValid } from '../lib/pan.ts';

/** Card numbers in `text`, digits only, left to right: the kernel's one detector (`findPans`). */
export const findPanLikeRuns = (text: string): string[] => findPans(text).map((match) => match.digits);
