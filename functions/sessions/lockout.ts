/**
 * Attempt guards: progressive delays and locks on failed passwords and second factors.
 *
 * An attempt is counted BEFORE its secret is checked (a conditional write that also requires the
 * guard not to be blocked), and a success resets the count afterwards. Counting first means a burst
 * of parallel guesses cannot all slip in before the first failure is recorded: each one has to win
 * the conditional write on the count it read.
 */
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, isConditionFailure, tableName } from '../lib/dynamodb.ts';
import { type TransactItem, Transaction, writeTransaction } from '../lib/transactions.ts';
import { type GuardPolicy, waitAfter } from './policy.ts';

export interface GuardKey {
  pk: string;
  sk: string;
}

export interface GuardState {
  key: GuardKey;
  policy: GuardPolicy;
  /** Consecutive failures still remembered (0 once forgotten). */
  failures: number;
  /** The stored count, for the conditional write; undefined when there is no item. */
  stored: number | undefined;
  blockedUntilMs: number;
}

export type Reservation =
  | { kind: 'reserved'; guards: GuardState[] }
  | { kind: 'blocked'; retryAfterMs: number; locked: boolean };

interface GuardItem {
  failures?: number;
  blockedUntilMs?: number;
  lastFailureAtMs?: number;
}

export async function readGuard(key: GuardKey, policy: GuardPolicy, nowMs: number): Promise<GuardState> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: key, ConsistentRead: true }),
  );
  const item = Item as GuardItem | undefined;
  const stored = item?.failures;
  const forgotten = (item?.lastFailureAtMs ?? 0) + policy.forgetAfterMs <= nowMs;
  return {
    key,
    policy,
    failures: stored === undefined || forgotten ? 0 : stored,
    stored,
    blockedUntilMs: item?.blockedUntilMs ?? 0,
  };
}

/** Milliseconds until the guard admits an attempt (0 = now). */
export function blockedFor(state: GuardState, nowMs: number): number {
  return Math.max(0, state.blockedUntilMs - nowMs);
}

function reserveItem(state: GuardState, nowMs: number): TransactItem {
  const next = state.failures + 1;
  const until = nowMs + waitAfter(next, state.policy);
  return {
    Update: {
      TableName: tableName(),
      Key: state.key,
      UpdateExpression:
        'SET failures = :next, blockedUntilMs = :until, lastFailureAtMs = :now, #ttl = :ttl, #type = :type',
      // Only on the count we read, and only if nobody blocked it meanwhile.
      ConditionExpression:
        '(attribute_not_exists(failures) OR failures = :stored) AND (attribute_not_exists(blockedUntilMs) OR blockedUntilMs <= :now)',
      ExpressionAttributeNames: { '#ttl': 'ttl', '#type': 'type' },
      ExpressionAttributeValues: {
        ':next': next,
        ':until': until,
        ':now': nowMs,
        ':stored': state.stored ?? -1,
        ':ttl': Math.ceil((until + state.policy.forgetAfterMs) / 1000),
        ':type': 'guard',
      },
    },
  };
}

const MAX_RACES = 3;

/**
 * Counts one attempt on every guard at once, or reports how long the caller must wait. `extra`
 * items (e.g. a challenge's attempt counter) join the same transaction; when one of them fails its
 * condition, `onExtraConflict` decides (typically by throwing).
 */
export async function reserveAttempt(
  guards: ReadonlyArray<{ key: GuardKey; policy: GuardPolicy }>,
  nowMs: number,
  extra: { items: TransactItem[]; onExtraConflict: () => Promise<never> } = {
    items: [],
    onExtraConflict: async () => {
      throw new Error('unreachable');
    },
  },
): Promise<Reservation> {
  for (let race = 0; ; race++) {
    const states = await Promise.all(guards.map((g) => readGuard(g.key, g.policy, nowMs)));
    const waits = states.map((s) => blockedFor(s, nowMs));
    const retryAfterMs = Math.max(0, ...waits);
    if (retryAfterMs > 0) {
      const locked = states.some((s, i) => (waits[i] ?? 0) > 0 && s.failures >= s.policy.lockAt);
      return { kind: 'blocked', retryAfterMs, locked };
    }
    const tx = new Transaction<'guard' | 'extra'>()
      .add('guard', ...states.map((s) => reserveItem(s, nowMs)))
      .add('extra', ...extra.items);
    try {
      await writeTransaction(tx.items);
      return {
        kind: 'reserved',
        guards: states.map((s) => ({ ...s, failures: s.failures + 1, stored: s.failures + 1 })),
      };
    } catch (error) {
      const cancelled = tx.cancellation(error);
      if (!cancelled) throw error;
      if (cancelled.lost('extra')) await extra.onExtraConflict();
      // A concurrent attempt moved a guard first: read again and decide on the new count.
      if (race + 1 >= MAX_RACES) return { kind: 'blocked', retryAfterMs: 1000, locked: false };
    }
  }
}

/** After a success: forgets the failures, unless a newer attempt has been counted since. */
export async function resetGuard(state: GuardState): Promise<void> {
  await ddb()
    .send(
      new DeleteCommand({
        TableName: tableName(),
        Key: state.key,
        ConditionExpression: 'failures = :mine',
        ExpressionAttributeValues: { ':mine': state.stored ?? 0 },
      }),
    )
    .catch((error: unknown) => {
      if (!isConditionFailure(error)) throw error;
    });
}

/**
 * After a success on a guard that a success must not reset (the per-IP one: an attacker would
 * reset it with their own account): takes back just this attempt and its wait.
 */
export async function refundAttempt(state: GuardState, nowMs: number): Promise<void> {
  const mine = state.stored ?? 0;
  await ddb()
    .send(
      new UpdateCommand({
        TableName: tableName(),
        Key: state.key,
        UpdateExpression: 'SET failures = :previous, blockedUntilMs = :now',
        ConditionExpression: 'failures = :mine',
        ExpressionAttributeValues: { ':previous': Math.max(0, mine - 1), ':mine': mine, ':now': nowMs },
      }),
    )
    .catch((error: unknown) => {
      if (!isConditionFailure(error)) throw error;
    });
}
