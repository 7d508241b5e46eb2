/**
 * `POST /v1/me/identity-verifications`: starts a document check with the identity provider. Refused
 * while one is `pending` or `in_review` (409 `identity_verification_in_progress`) and while the
 * customer is `verified` and unexpired (409 `identity_already_verified`). Data minimization (GDPR
 * Art. 5(1)(c)): the document number goes to the provider only; we keep its keyed hash (HMAC under
 * the identifier key, lib/derived-keys) and last 4, and the audit names the verification, not the
 * document.
 */
import { auditItem } from '../lib/audit.ts';
import type { Clock } from '../lib/clock.ts';
import { identifierHash } from '../lib/derived-keys.ts';
import { DomainError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { logger } from '../lib/logger.ts';
import { conflictOnCancel } from '../lib/transactions.ts';
import type { Commit } from '../lib/use-case.ts';
import { identityConfig } from './policy.ts';
import type { IdentityProvider } from './provider-port.ts';
import type { IdentityVerificationResponse, StartIdentityVerificationBody } from './schema.ts';
import * as store from './store.ts';
import { effectiveStatus, toVerification } from './view.ts';

export async function startVerification(
  principal: { customerId: string },
  body: StartIdentityVerificationBody,
  provider: IdentityProvider,
  commit: Commit<IdentityVerificationResponse>,
  clock: Clock,
): Promise<IdentityVerificationResponse> {
  const { customerId } = principal;
  const now = clock.now();
  const head = await store.getHead(customerId);
  const status = effectiveStatus(head, now);
  if (status === 'pending' || status === 'in_review') {
    throw new DomainError(
      'conflict',
      'identity_verification_in_progress',
      `A verification is ${status}; wait for its decision.`,
    );
  }
  if (status === 'verified') {
    throw new DomainError('conflict', 'identity_already_verified', 'Your identity is already verified.');
  }
  const number = body.documentNumber.toUpperCase();
  const record: store.VerificationRecord = {
    id: newId('verification', now),
    customerId,
    status: 'pending',
    documentType: body.documentType,
    country: body.country,
    documentHash: await identifierHash('document', `${body.country}|${body.documentType}|${number}`),
    documentLast4: number.slice(-4),
    provider: provider.name,
    reasons: [],
    createdAt: now.toISOString(),
    // Undecided by then, it reads `expired` (./view.ts effectiveStatus): a new one may be started.
    expiresAt: new Date(now.getTime() + identityConfig().pendingTtlMs).toISOString(),
    version: 1,
  };
  const items = [
    store.putVerificationItem(record),
    store.putHeadItem(
      {
        customerId,
        verificationId: record.id,
        status: 'pending',
        ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}),
        version: (head?.version ?? 0) + 1,
      },
      head?.version,
    ),
    auditItem(
      {
        action: 'identity.verification_started',
        subject: customerId,
        actor: customerId,
        metadata: { verificationId: record.id, documentType: body.documentType, country: body.country },
      },
      clock,
    ),
  ];
  await conflictOnCancel(
    () => commit(items, toVerification(record, now)),
    'Another verification started meanwhile; retry.',
  );
  try {
    await provider.start({
      verificationId: record.id,
      documentType: body.documentType,
      documentNumber: number,
      country: body.country,
    });
  } catch (error) {
    // The verification stays pending; the provider's callback (or a new start) settles it.
    logger.error('identity provider start failed', {
      verificationId: record.id,
      error: withoutDocument(error, number),
    });
  }
  return toVerification((await store.getVerification(record.id)) ?? record, clock.now());
}

/**
 * The provider's error with the document number masked to its last 4 (`document …1234`) in its
 * message, stack and causes: providers and HTTP clients often echo the request in their errors, and
 * the number must never reach a log (GDPR Art. 5(1)(c); issue 11: no personal data in logs).
 */
function withoutDocument(error: unknown, number: string, depth = 0): Error {
  const pattern = new RegExp(
    number.replace(/[^0-9A-Za-z]/g, (c) => `\\${c}`),
    'gi',
  );
  const mask = (text: string) => text.replace(pattern, `…${number.slice(-4)}`);
  const source = error instanceof Error ? error : new Error(String(error));
  const cause =
    source.cause !== undefined && depth < 3 ? withoutDocument(source.cause, number, depth + 1) : undefined;
  const masked = new Error(mask(source.message), cause ? { cause } : undefined);
  masked.name = source.name;
  masked.stack = mask(source.stack ?? '');
  return masked;
}
