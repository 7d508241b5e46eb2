/** A session's life: opened after a sign-in (password, then a second factor if on), and ended by sign-out. */
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { unauthorized } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { isCancellation, type TransactItem, writeTransaction } from '../lib/transactions.ts';
import {
  listLiveSessionIds,
  putSessionItem,
  putSessionRefItem,
  revokeSession,
  revokeSessionItem,
  type SessionRecord,
} from './store.ts';
import { signSessionToken } from './tokens.ts';

export interface OpenedSession {
  session: SessionRecord;
  /** The session, its entry in the customer's list and its `customer.signed_in` audit: commit them with the sign-in's own items. */
  items: TransactItem[];
  /** What the customer gets once the items are committed. */
  result: { sessionToken: string; expiresAt: string };
}

/**
 * A new session for `customerId` on the device `deviceHash` (a keyed hash), signed in by `method`
 * (`password`, `totp`, `recovery_code`). Nothing is written: the caller commits `items`.
 */
export async function openSession(
  input: { customerId: string; deviceHash: string; method: string },
  clock: Clock = defaultClock(),
): Promise<OpenedSession> {
  const now = clock.now();
  const id = newId('session', now);
  const { token, expiresAt } = await signSessionToken({ customerId: input.customerId, sessionId: id }, now);
  const session: SessionRecord = {
    id,
    customerId: input.customerId,
    status: 'active',
    deviceHash: input.deviceHash,
    createdAt: now.toISOString(),
    expiresAtMs: expiresAt.getTime(),
  };
  const items: TransactItem[] = [
    putSessionItem(session),
    putSessionRefItem(session),
    auditItem(
      {
        action: 'customer.signed_in',
        subject: input.customerId,
        actor: input.customerId,
        metadata: { sessionId: id, method: input.method },
      },
      clock,
    ),
  ];
  return { session, items, result: { sessionToken: token, expiresAt: expiresAt.toISOString() } };
}

/** Revokes the current session at once; its token is refused from the next request on (401 if already ended). */
export async function signOut(customerId: string, sessionId: string, clock: Clock = defaultClock()) {
  const items = [
    revokeSessionItem(sessionId, customerId, clock.now().toISOString()),
    auditItem(
      { action: 'customer.signed_out', subject: customerId, actor: customerId, metadata: { sessionId } },
      clock,
    ),
  ];
  await writeTransaction(items).catch((error: unknown) => {
    throw isCancellation(error) ? unauthorized('The session has already ended.', 'session_invalid') : error;
  });
}

/**
 * Ends every live session of the customer except `keepSessionId` (the one making the change), at
 * once: their tokens are refused from the next request on. Used when the account's security
 * changes (2FA turned on), so a stolen session does not outlive it. Returns how many were ended;
 * audited as `customer.sessions_revoked` with `reason`.
 */
export async function revokeOtherSessions(
  input: { customerId: string; keepSessionId?: string; reason: string },
  clock: Clock = defaultClock(),
): Promise<number> {
  const now = clock.now();
  const ids = await listLiveSessionIds(input.customerId, now.getTime());
  const others = ids.filter((id) => id !== input.keepSessionId);
  const ended = await Promise.all(others.map((id) => revokeSession(id, input.customerId, now.toISOString())));
  const revoked = ended.filter(Boolean).length;
  await writeTransaction([
    auditItem(
      {
        action: 'customer.sessions_revoked',
        subject: input.customerId,
        actor: input.customerId,
        reason: input.reason,
        metadata: { revoked, ...(input.keepSessionId ? { kept: input.keepSessionId } : {}) },
      },
      clock,
    ),
  ]);
  return revoked;
}
