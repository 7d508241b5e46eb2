import { ulid } from 'ulid';
import { clock } from './clock.ts';

/** Every public id carries a type prefix, so a token can never be mistaken for an order. */
export const ID_PREFIXES = {
  merchant: 'mer',
  order: 'ord',
  installment: 'ins',
  token: 'tok',
  customer: 'cus',
  challenge: 'chl',
  checkoutSession: 'cs',
  capture: 'cap',
  refund: 'ref',
  event: 'evt',
  flag: 'flg',
  dispute: 'dsp',
  session: 'ses',
  request: 'req',
  withdrawal: 'wdr',
  verification: 'idv',
  creditApplication: 'cra',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

/** Prefixed ULID: 48 bits of time (sortable) and 80 bits from the CSPRNG. */
export function newId(kind: IdKind, at: Date = clock().now()): string {
  return `${ID_PREFIXES[kind]}_${ulid(at.getTime())}`;
}

const ULID_PATTERN = '[0-9A-HJKMNP-TV-Z]{26}';

export function idPattern(kind: IdKind): RegExp {
  return new RegExp(`^${ID_PREFIXES[kind]}_${ULID_PATTERN}$`);
}

export function isId(kind: IdKind, value: string): boolean {
  return idPattern(kind).test(value);
}
