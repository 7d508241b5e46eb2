/**
 * The claim of an installment for a charge attempt (collection), with the per-card attempt window
 * (at most CARD_ATTEMPT_LIMIT charges per card in 30 days) and, when the balance pays part of the
 * attempt, its ledger debit: all in one transaction (./balance-writes.ts).
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { type Clock, DAY_MS, isoDay } from '../lib/clock.ts';
import { ddb, tableName } from '../lib/dynamodb.ts';
import { ApiError } from '../lib/errors.ts';
import {
  type TransactItem,
  Transaction,
  writeTransaction,
  writeUnlessCancelled,
} from '../lib/transactions.ts';
import { withBalanceTaken } from './balance-writes.ts';
import { CARD_ATTEMPT_LIMIT, CARD_ATTEMPT_WINDOW_MS } from './dunning.ts';
import type { InstallmentRecord } from './model.ts';
import * as store from './store.ts';

// ---------------------------------------------------------------------------------------------
// The per-card attempt window (at most CARD_ATTEMPT_LIMIT charges per card in 30 days)
// ---------------------------------------------------------------------------------------------

const cardAttemptsKey = (cardToken: string) => ({ pk: `CARDATTEMPTS#${cardToken}`, sk: 'WINDOW' });

interface CardAttempts {
  attempts: string[];
  version: number;
}

async function getCardAttempts(cardToken: string): Promise<CardAttempts | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: cardAttemptsKey(cardToken), ConsistentRead: true }),
  );
  return Item ? { attempts: (Item.attempts as string[]) ?? [], version: Number(Item.version) } : undefined;
}

/** The window with one more attempt, conditioned on the version read (concurrent claims on one card). */
function cardAttemptsItem(
  cardToken: string,
  attempts: string[],
  read: CardAttempts | undefined,
): TransactItem {
  const last = attempts[attempts.length - 1] ?? '';
  return {
    Put: {
      TableName: tableName(),
      Item: {
        ...cardAttemptsKey(cardToken),
        type: 'cardAttempts',
        attempts,
        version: (read?.version ?? 0) + 1,
        ttl: Math.floor((Date.parse(last) + CARD_ATTEMPT_WINDOW_MS) / 1000),
      },
      ConditionExpression: read ? '#v = :v' : 'attribute_not_exists(pk)',
      ...(read
        ? { ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': read.version } }
        : {}),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The claim
// ---------------------------------------------------------------------------------------------

/** Why an installment was not claimed (a subset of collection's skip reasons). */
export type ClaimSkip = 'claimed_elsewhere' | 'card_attempt_limit';

/**
 * `due | failed -> charging` with the next attempt number, and the attempt counted on the card, in
 * one transaction. When `fromBalance` gives a part (0 < part < amount) the balance pays it: the
 * ledger debit commits in the same transaction and the card is charged the rest (`balancePaid`,
 * ./charge.ts). Returns the claimed installment, or why it was not claimed.
 */
export async function claim(
  installment: InstallmentRecord,
  clock: Clock,
  fromBalance: () => Promise<number> = async () => 0,
): Promise<InstallmentRecord | ClaimSkip> {
  // Installments on one card race for its attempt window: a lost race re-reads it and tries again;
  // so does a claim whose balance part a concurrent debit made too large.
  for (let round = 0; round < CLAIM_ROUNDS; round += 1) {
    const claimed = await claimOnce(installment, clock, await fromBalance());
    if (claimed !== 'window_changed') return claimed;
  }
  // Still contended: nothing was written; the queue redelivers the message.
  throw new Error('the card attempt window kept changing; retry');
}

/** Rounds of the claim against concurrent claims on the same card. */
const CLAIM_ROUNDS = 8;

async function claimOnce(
  installment: InstallmentRecord,
  clock: Clock,
  fromBalance: number,
): Promise<InstallmentRecord | ClaimSkip | 'window_changed'> {
  const now = clock.now();
  const at = now.toISOString();
  const window = await getCardAttempts(installment.cardToken);
  const recent = (window?.attempts ?? []).filter(
    (t) => Date.parse(t) > now.getTime() - CARD_ATTEMPT_WINDOW_MS,
  );
  if (recent.length >= CARD_ATTEMPT_LIMIT) {
    // Parked until the oldest attempt leaves the window; the day stays visible to the dispatcher.
    const freeAt = Date.parse(recent[0] ?? at) + CARD_ATTEMPT_WINDOW_MS + DAY_MS;
    await writeUnlessCancelled([
      store.installmentUpdateItem(installment, store.dueIndex(installment.id, isoDay(new Date(freeAt))), at),
    ]);
    return 'card_attempt_limit';
  }
  const part = fromBalance > 0 && fromBalance < installment.amount ? { balancePaid: fromBalance } : {};
  const set = { status: 'charging' as const, attempts: installment.attempts + 1, chargingSince: at, ...part };
  const claimed: InstallmentRecord = {
    ...installment,
    ...set,
    version: installment.version + 1,
    updatedAt: at,
  };
  const tx = new Transaction<'installment' | 'card'>()
    .add('installment', store.installmentUpdateItem(installment, set, at))
    .add('card', cardAttemptsItem(installment.cardToken, [...recent, at], window));
  if (part.balancePaid) {
    try {
      const written = await withBalanceTaken(installment, part.balancePaid, set.attempts, tx, clock);
      if (written === 'stale') return 'claimed_elsewhere';
      return written === 'written' ? claimed : 'window_changed';
    } catch (error) {
      // A concurrent debit (a withdrawal) left less than this part: read the balance again.
      if (error instanceof ApiError && error.code === 'insufficient_balance') return 'window_changed';
      throw error;
    }
  }
  try {
    await writeTransaction(tx.items);
  } catch (error) {
    const cancelled = tx.cancellation(error);
    if (!cancelled) throw error;
    if (cancelled.lost('installment')) return 'claimed_elsewhere';
    // The card's window changed, or a concurrent transaction conflicted: nothing was written.
    return 'window_changed';
  }
  return claimed;
}
