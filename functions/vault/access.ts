/**
 * What other capabilities may use of the vault: a customer's card without its number (checkout) and
 * the charger's detokenize (captures). Card validation (card-validator and its brand tables) stays
 * in ./service.ts with tokenization, so the checkout and capture functions do not load it.
 *
 * The PAN exists in plaintext only in `detokenize`'s locals and in the Buffer it hands the charger;
 * it is never logged, thrown, audited or written outside `ciphertext`.
 */
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as processClock } from '../lib/clock.ts';
import { config } from '../lib/config.ts';
import { vaultTableName } from '../lib/dynamodb.ts';
import { DomainError } from '../lib/errors.ts';
import { type KeyService, keyService } from '../lib/key-service.ts';
import { logger } from '../lib/logger.ts';
import { writeTransaction } from '../lib/transactions.ts';
import type { CardBrand } from './card.ts';
import { EnvelopeCipher } from './envelope.ts';
import type { CardResponse } from './schema.ts';
import type { CardRecord, CardTombstone } from './store.ts';
import * as store from './store.ts';

/** What other capabilities may know about a card (PCI DSS: at most BIN + last 4; we give last 4). */
export interface CardSummary {
  token: string;
  brand: CardBrand;
  last4: string;
  expMonth: number;
  expYear: number;
  /** Stable per card number across customers, keyed (HMAC) so it cannot be reversed. */
  fingerprintId?: string;
}

export interface DetokenizedCard {
  /** The caller zeroes it (`pan.fill(0)`) as soon as the charge is sent. */
  pan: Buffer;
  expMonth: number;
  expYear: number;
  brand: string;
  customerId: string;
}

export const VAULT_PURPOSE = 'card-vault';

let cipher: EnvelopeCipher | undefined;
let cipherKeys: KeyService | undefined;

/**
 * One cipher per container, so its data-key cache spans invocations (≤1 GenerateDataKey per 1,000
 * cards). Rebuilt only when the key service or the vault key changes (tests, the local runtime).
 */
export function vaultCipher(): EnvelopeCipher {
  const keys = keyService();
  const keyId = config().VAULT_KEY_ID;
  if (!cipher || cipherKeys !== keys || cipher.keyId !== keyId) {
    cipher?.clear();
    cipher = new EnvelopeCipher({ keyService: keys, keyId, purpose: VAULT_PURPOSE });
    cipherKeys = keys;
  }
  return cipher;
}

export const toCard = (card: {
  token: string;
  brand: CardBrand;
  last4: string;
  expMonth: number;
  expYear: number;
}): CardResponse => ({
  token: card.token,
  brand: card.brand,
  last4: card.last4,
  expMonth: card.expMonth,
  expYear: card.expYear,
});

export const isActive = (item: CardRecord | CardTombstone | undefined): item is CardRecord =>
  item?.status === 'active';

export const noSuchCard = (token: string) =>
  new DomainError('not_found', 'resource_missing', `No such card: ${token}.`, 'token');

/** The customer's active card, or 404 for unknown, deleted and other customers' tokens alike. */
export async function requireOwnCard(customerId: string, token: string): Promise<CardRecord> {
  const item = await store.getCardItem(token);
  if (!isActive(item) || item.customerId !== customerId) throw noSuchCard(token);
  return item;
}

/** For other capabilities (orders, checkout): a customer's card by token, without the number. */
export async function getCard(customerId: string, token: string): Promise<CardSummary> {
  const card = await requireOwnCard(customerId, token);
  return { ...toCard(card), fingerprintId: card.fingerprintId };
}

/**
 * The charger's only way to a card number. Every call is audited in the vault table (who, why,
 * when, which token; never the PAN), failed decryptions included. No audit record, no PAN.
 */
export async function detokenize(
  token: string,
  purpose: { actor: string; reason: string },
  clock: Clock = processClock(),
): Promise<DetokenizedCard> {
  if (!purpose.actor.trim() || !purpose.reason.trim()) {
    throw new TypeError('detokenize needs an actor and a reason for the audit trail');
  }
  const card = await store.getCardItem(token);
  if (!isActive(card)) throw noSuchCard(token);
  const audit = (action: string) =>
    auditItem(
      {
        action,
        subject: token,
        actor: purpose.actor,
        reason: purpose.reason,
        metadata: { customerId: card.customerId },
      },
      clock,
      vaultTableName(),
    );
  let pan: Buffer;
  try {
    pan = await vaultCipher().decrypt(card, { customerId: card.customerId, tokenId: token });
  } catch (error) {
    // Best effort: a failing vault must still report the original error.
    await writeTransaction([audit('vault.detokenize_failed')]).catch(() => undefined);
    logger.warn('card detokenization failed', {
      card: token,
      actor: purpose.actor,
      code: (error as { code?: string }).code,
    });
    throw error;
  }
  try {
    await writeTransaction([audit('vault.detokenized')]);
  } catch (error) {
    pan.fill(0);
    throw error;
  }
  logger.info('card detokenized', { card: token, actor: purpose.actor, reason: purpose.reason });
  return {
    pan,
    expMonth: card.expMonth,
    expYear: card.expYear,
    brand: card.brand,
    customerId: card.customerId,
  };
}
