/** The numbers of the order lifecycle, in one place (README, tests and code read these). */
import { DAY_MS } from '../lib/clock.ts';

/** An authorization lapses 28 days after the order is created, unless extended. */
export const AUTHORIZATION_TTL_MS = 28 * DAY_MS;
/** Each extension adds 28 days ... */
export const AUTHORIZATION_EXTENSION_MS = 28 * DAY_MS;
/** ... up to 180 days after the order was created. */
export const AUTHORIZATION_MAX_LIFE_MS = 180 * DAY_MS;
/** `order.authorization_expiring` goes out once, this long before the authorization lapses. */
export const EXPIRING_NOTICE_MS = 3 * DAY_MS;
/** How far back the expiry sweep looks when it has no record of an earlier run. */
export const SWEEP_DEFAULT_LOOKBACK_DAYS = 30;

/**
 * Captures per order. Each capture writes its own installments (up to 36 for monthly) in one
 * transaction, and a refund may touch every capture's installments: this bound keeps both far below
 * DynamoDB's 100 items per transaction for the common plans.
 */
export const MAX_CAPTURES_PER_ORDER = 10;
/** A refund that would touch more items than this must name its captureId. */
export const MAX_REFUND_TRANSACTION_ITEMS = 90;

/** Shards of the `due` index per day (`DUE#<yyyy-mm-dd>#<shard>`); collection reads every shard. */
export const DUE_SHARDS = 8;
