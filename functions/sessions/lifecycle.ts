/** A session's life: opened after a sign-in (password, then a second factor if on), and ended by sign-out. */
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { unauthorized } from '../lib/errors.ts';
import type { TransactItem } from '../lib/idempotency.ts';
import { newId } from '../lib/ids.ts';
import { transact } from '../lib/transact.ts';
import { putSessionItem, revokeSessionItem, type SessionRecord } from './store.ts';
import { signSessionToken } from './tokens.ts';

export interface OpenedSession {
  session: SessionRecord;
  /** The session and its `customer.signed_in` audit: commit them with the sign-in's own items. */
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
  const outcome = await transact([
    revokeSessionItem(sessionId, customerId, clock.now().toISOString()),
    auditItem(
      { action: 'customer.signed_out', subject: customerId, actor: customerId, metadata: { sessionId } },
      clock,
    ),
  ]);
  if (!outcome.ok) throw unauthorized('The session has already ended.', 'session_invalid');
}
