import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, fromItem, isConditionFailure, tableName } from '../lib/dynamodb.ts';
import type { NotificationChannel } from '../lib/notifier.ts';
import { type WindowLimit, windowCounterItem } from '../lib/rate-window.ts';
import type { TransactItem } from '../lib/transactions.ts';
import type { GuardKey } from '../sessions/access.ts';
import type { StepUpAction } from './policy.ts';

/**
 * Keys (single table):
 *   CUSTOMER#<id> / TWOFA            TOTP factor: encrypted secret, status, last used step, and the
 *                                    recovery code hashes (a string set; each use removes one)
 *   CUSTOMER#<id> / GUARD#2FA        consecutive second-factor failures (sessions/lockout.ts)
 *   CHALLENGE#<chl> / CHALLENGE      a login-MFA or step-up challenge
 *   STEPUP#<chl> / STEPUP            a consumed step-up token (its single use)
 *   RATE#<scope>#<key>#<window> / RATE   one-time code sends per fixed window
 */
export type TotpStatus = 'pending' | 'active';

export interface TwoFactorRecord {
  customerId: string;
  status: TotpStatus;
  /** base64 of the key service's ciphertext of the base32 secret. */
  secret: string;
  keyId: string;
  lastUsedStep?: number;
  confirmAttempts: number;
  recoveryHashes?: Set<string>;
  createdAt: string;
  confirmedAt?: string;
  version: number;
}

/** `contact`: proving a new or unverified address by a code sent to it (customers' contact verification). */
export type ChallengePurpose = 'login' | 'step_up' | 'contact';
export type ChallengeChannel = 'totp' | NotificationChannel;

export interface ChallengeRecord {
  id: string;
  customerId: string;
  purpose: ChallengePurpose;
  action: StepUpAction | 'sign_in' | 'verify_contact';
  channel: ChallengeChannel;
  /** A contact challenge's address (the one the code went to); the others go to verified contacts. */
  target?: string;
  amount?: number;
  currency?: string;
  payee?: string;
  /** Peppered HMAC of the one-time code (sms/email channels only). */
  codeHash?: string;
  attempts: number;
  status: 'pending' | 'verified';
  createdAt: string;
  expiresAtMs: number;
}

const twofaKey = (customerId: string) => ({ pk: `CUSTOMER#${customerId}`, sk: 'TWOFA' });
const challengeKey = (id: string) => ({ pk: `CHALLENGE#${id}`, sk: 'CHALLENGE' });
export const twofaGuardKey = (customerId: string): GuardKey => ({
  pk: `CUSTOMER#${customerId}`,
  sk: 'GUARD#2FA',
});

export async function getTwoFactor(customerId: string): Promise<TwoFactorRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: twofaKey(customerId), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  return fromItem<TwoFactorRecord>(Item, { drop: ['ttl'] });
}

/** Starts (or restarts) an enrollment; an active factor is never overwritten. */
export function putPendingTwoFactorItem(record: TwoFactorRecord): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: { ...twofaKey(record.customerId), type: 'twofa', ...record },
      ConditionExpression: 'attribute_not_exists(pk) OR #status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':pending': 'pending' },
    },
  };
}

/** Counts one confirmation attempt on this very enrollment (same secret), at most `max`. */
export async function reserveEnrollmentCheck(record: TwoFactorRecord, max: number): Promise<boolean> {
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: twofaKey(record.customerId),
        UpdateExpression: 'SET confirmAttempts = confirmAttempts + :one',
        ConditionExpression: '#status = :pending AND secret = :secret AND confirmAttempts < :max',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':one': 1,
          ':pending': 'pending',
          ':secret': record.secret,
          ':max': max,
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export function activateTwoFactorItem(
  record: TwoFactorRecord,
  step: number,
  recoveryHashes: string[],
  at: string,
): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: twofaKey(record.customerId),
      UpdateExpression:
        'SET #status = :active, lastUsedStep = :step, recoveryHashes = :hashes, confirmedAt = :at, version = version + :one',
      ConditionExpression: '#status = :pending AND secret = :secret AND version = :version',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':active': 'active',
        ':pending': 'pending',
        ':step': step,
        ':hashes': new Set(recoveryHashes),
        ':at': at,
        ':one': 1,
        ':secret': record.secret,
        ':version': record.version,
      },
    },
  };
}

/** Stores the TOTP step just used; fails (a replay) unless it is newer than the last one. */
export function useTotpStepItem(customerId: string, step: number): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: twofaKey(customerId),
      UpdateExpression: 'SET lastUsedStep = :step',
      ConditionExpression:
        '#status = :active AND (attribute_not_exists(lastUsedStep) OR lastUsedStep < :step)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':step': step, ':active': 'active' },
    },
  };
}

/** Removes one recovery code; fails if it is already gone (used concurrently). */
export function useRecoveryCodeItem(customerId: string, hash: string): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: twofaKey(customerId),
      UpdateExpression: 'DELETE recoveryHashes :set',
      ConditionExpression: '#status = :active AND contains(recoveryHashes, :hash)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':set': new Set([hash]), ':hash': hash, ':active': 'active' },
    },
  };
}

export function replaceRecoveryCodesItem(
  customerId: string,
  hashes: string[],
  version: number,
): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: twofaKey(customerId),
      UpdateExpression: 'SET recoveryHashes = :hashes, version = version + :one',
      ConditionExpression: '#status = :active AND version = :version',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':hashes': new Set(hashes),
        ':one': 1,
        ':active': 'active',
        ':version': version,
      },
    },
  };
}

export function deleteTwoFactorItem(customerId: string, version: number): TransactItem {
  return {
    Delete: {
      TableName: tableName(),
      Key: twofaKey(customerId),
      ConditionExpression: '#status = :active AND version = :version',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':active': 'active', ':version': version },
    },
  };
}

export function putChallengeItem(challenge: ChallengeRecord): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        ...challengeKey(challenge.id),
        type: 'challenge',
        ...challenge,
        // Kept a day past expiry, so an expired challenge still answers "expired", not "unknown".
        ttl: Math.ceil(challenge.expiresAtMs / 1000) + 86_400,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

export async function getChallenge(id: string): Promise<ChallengeRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: challengeKey(id), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  return fromItem<ChallengeRecord>(Item, { drop: ['ttl'] });
}

/** Counts one check of the challenge, only while it is pending, unexpired and under the cap. */
export function reserveChallengeCheckItem(
  challenge: ChallengeRecord,
  nowMs: number,
  max: number,
): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: challengeKey(challenge.id),
      UpdateExpression: 'SET attempts = attempts + :one',
      ConditionExpression:
        '#status = :pending AND attempts = :seen AND attempts < :max AND expiresAtMs > :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':one': 1,
        ':pending': 'pending',
        ':seen': challenge.attempts,
        ':max': max,
        ':now': nowMs,
      },
    },
  };
}

/**
 * Switches an open login challenge to a one-time code by SMS or email (replacing any earlier code):
 * only while it is pending, unexpired and has checks left.
 */
export function sendLoginCodeItem(
  challenge: ChallengeRecord,
  channel: NotificationChannel,
  codeHash: string,
  nowMs: number,
  max: number,
): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: challengeKey(challenge.id),
      UpdateExpression: 'SET channel = :channel, codeHash = :hash',
      ConditionExpression:
        '#status = :pending AND purpose = :login AND attempts < :max AND expiresAtMs > :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':channel': channel,
        ':hash': codeHash,
        ':pending': 'pending',
        ':login': 'login',
        ':max': max,
        ':now': nowMs,
      },
    },
  };
}

/** Marks the challenge verified: at most once, and only by the check that was counted last. */
export function verifyChallengeItem(
  challenge: ChallengeRecord,
  attempts: number,
  nowMs: number,
): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: challengeKey(challenge.id),
      UpdateExpression: 'SET #status = :verified, verifiedAtMs = :now',
      ConditionExpression: '#status = :pending AND attempts = :attempts AND expiresAtMs > :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':verified': 'verified',
        ':pending': 'pending',
        ':attempts': attempts,
        ':now': nowMs,
      },
    },
  };
}

/** The single use of a step-up token: a marker that can be written once. */
export function consumeStepUpItem(
  challengeId: string,
  customerId: string,
  action: string,
  expiresAt: Date,
  at: Date,
): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        pk: `STEPUP#${challengeId}`,
        sk: 'STEPUP',
        type: 'stepUpUse',
        customerId,
        action,
        usedAt: at.toISOString(),
        // Past the token's own expiry, after which it is refused anyway.
        ttl: Math.ceil(expiresAt.getTime() / 1000) + 3600,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** One more one-time code send in the current fixed window, refused once `max` were sent. */
export function sendCounterItem(
  scope: 'customer' | 'phone',
  key: string,
  limit: WindowLimit,
  nowMs: number,
): { item: TransactItem; windowEndsAtMs: number } {
  return windowCounterItem(`otp-${scope}#${key}`, limit, nowMs);
}
