import { randomFillSync } from 'node:crypto';
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
  riskDecision: 'rsk',
  dispute: 'dsp',
  session: 'ses',
  request: 'req',
  withdrawal: 'wdr',
  verification: 'idv',
  creditApplication: 'cra',
  collectionRun: 'run',
  conversation: 'cnv',
  message: 'msg',
  passwordReset: 'pwr',
  ledgerEntry: 'led',
  payout: 'po',
  kybCheck: 'kyb',
  webhookEndpoint: 'we',
  /** A recurring agreement's customer token: the merchant's handle and the agreement's id. */
  customerToken: 'ctok',
  subscription: 'sub',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

/**
 * ulid's default PRNG makes one CSPRNG call per character (16 per id, ~35 µs, on every request for
 * its request id). This one serves the same CSPRNG bytes from a pool refilled 256 bytes at a time;
 * ulid maps each byte to a character exactly as before (byte / 256 → 32 symbols).
 */
const pool = new Uint8Array(256);
let drawn = pool.length;
function csprng(): number {
  if (drawn === pool.length) {
    randomFillSync(pool);
    drawn = 0;
  }
  return (pool[drawn++] as number) / 256;
}

/** Prefixed ULID: 48 bits of time (sortable) and 80 bits from the CSPRNG. */
export function newId(kind: IdKind, at: Date = clock().now()): string {
  return `${ID_PREFIXES[kind]}_${ulid(at.getTime(), csprng)}`;
}

const ULID_PATTERN = '[0-9A-HJKMNP-TV-Z]{26}';

export function idPattern(kind: IdKind): RegExp {
  return new RegExp(`^${ID_PREFIXES[kind]}_${ULID_PATTERN}$`);
}

export function isId(kind: IdKind, value: string): boolean {
  return idPattern(kind).test(value);
}
