import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as processClock } from '../lib/clock.ts';
import { vaultTableName } from '../lib/dynamodb.ts';
import { DomainError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { logger } from '../lib/logger.ts';
import { getSecret } from '../lib/secrets.ts';
import { isCancellation, type TransactItem, Transaction } from '../lib/transactions.ts';
import type { Commit } from '../lib/use-case.ts';
import { isActive, noSuchCard, requireOwnCard, toCard, vaultCipher } from './access.ts';
import { fingerprint, validateCard } from './card.ts';
import * as cardItems from './card-items.ts';
import type { EnvelopeCipher } from './envelope.ts';
import type { AddCardBody, CardResponse } from './schema.ts';
import type { CardRecord } from './store.ts';
import * as store from './store.ts';

export {
  type CardSummary,
  type DetokenizedCard,
  detokenize,
  getCard,
  VAULT_PURPOSE,
  vaultCipher,
} from './access.ts';

/**
 * The card vault's use cases: tokenize, list, delete (`getCard` and `detokenize`, for other
 * capabilities, live in ./access.ts and are re-exported here). The PAN exists in plaintext only in
 * the locals of these two modules and in the Buffer `detokenize` hands the charger; it is never
 * logged, thrown, audited or written outside `ciphertext`. The CVC is validated and then dropped.
 */

const registeredWrapKeys = new Set<string>();

/** Makes sure the re-wrap can find records under this key version; one write per container and version. */
export async function ensureWrapKeyRegistered(
  keyId: string,
  keyVersion: string,
  clock: Clock,
): Promise<void> {
  const entry = JSON.stringify([vaultTableName(), keyId, keyVersion]);
  if (registeredWrapKeys.has(entry)) return;
  await store.registerWrapKey(keyId, keyVersion, clock);
  registeredWrapKeys.add(entry);
}

/** `fp_` + base64url(HMAC-SHA-256(PAN)) under the fingerprint secret; base64url has no long digit runs. */
export async function fingerprintOf(pan: string): Promise<string> {
  const secret = await getSecret('fingerprint');
  return `fp_${Buffer.from(fingerprint(pan, secret), 'hex').toString('base64url')}`;
}

export interface AddCardOutcome {
  /** False when the customer already held this card: its existing token comes back. */
  created: boolean;
  card: CardResponse;
}

export interface AddCardOptions {
  /** Items that authorize the change (the step-up's consumption): committed with the card, or not at all. */
  authorization?: TransactItem[];
  /** Writes the items in ONE transaction with the outcome (the handler's port). Called at most once. */
  commit: Commit<AddCardOutcome>;
  clock?: Clock;
  /**
   * Screens the card (account monitoring) once its fingerprint is known, before anything is
   * encrypted or written: throws to refuse it.
   */
  screen?: (fingerprintId: string) => Promise<void>;
  /**
   * Told of a card the vault refuses (a decline, for the card-testing rule) before the refusal is
   * thrown: with the card's fingerprint when the number itself was valid (a wrong expiry or CVC,
   * what a tester of a stolen number guesses), without one when the number was at fault.
   */
  refused?: (fingerprintId: string | undefined) => Promise<void>;
}

const stepUpUsed = () =>
  new DomainError('denied', 'step_up_invalid', 'The step-up token has already been used; step up again.');
const cardChanged = () =>
  new DomainError('conflict', 'concurrent_update', 'The card was changed by another request; retry.');

const laterExpiry = (a: { expMonth: number; expYear: number }, b: { expMonth: number; expYear: number }) =>
  a.expYear * 12 + a.expMonth > b.expYear * 12 + b.expMonth;

/** `validateCard`, telling `refused` of a refusal first (see AddCardOptions). */
async function validated(input: AddCardBody, now: Date, refused: AddCardOptions['refused']) {
  try {
    return validateCard(input, now);
  } catch (error) {
    if (refused && error instanceof DomainError) {
      await refused(error.param === 'number' ? undefined : await fingerprintOf(input.number));
    }
    throw error;
  }
}

/**
 * Tokenizes a card: validate (rejected, naming the field), fingerprint, and either return the token the
 * customer already holds for this number or encrypt and store a new one. Nothing is written
 * unless the whole transaction (card, indexes, authorization, audit) commits.
 */
export async function addCard(
  customerId: string,
  input: AddCardBody,
  options: AddCardOptions,
): Promise<AddCardOutcome> {
  const clock = options.clock ?? processClock();
  const authorization = options.authorization ?? [];
  const now = clock.now();
  const at = now.toISOString();
  const valid = await validated(input, now, options.refused);
  const fingerprintId = await fingerprintOf(input.number);
  await options.screen?.(fingerprintId);

  const held = await store.findCustomerToken(customerId, fingerprintId);
  if (held) return reuseCard(customerId, held, valid, authorization, options.commit, at);

  const token = newId('token', now);
  const pan = Buffer.from(input.number, 'ascii');
  let envelope: Awaited<ReturnType<EnvelopeCipher['encrypt']>>;
  try {
    // KMS failures (a 503 after the adapter's retries) surface here, before anything is written.
    envelope = await vaultCipher().encrypt(pan, { customerId, tokenId: token });
  } finally {
    pan.fill(0);
  }
  await ensureWrapKeyRegistered(envelope.keyId, envelope.keyVersion, clock);

  const record: CardRecord = {
    token,
    customerId,
    status: 'active',
    brand: valid.brand,
    last4: valid.last4,
    expMonth: valid.expMonth,
    expYear: valid.expYear,
    fingerprintId,
    ...envelope,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  const tx = new Transaction<'card' | 'dedupe' | 'authorization' | 'audit'>().addAll(
    cardItems.createCardItems(record),
  );
  const audit = auditItem(
    {
      action: 'vault.card_added',
      subject: token,
      actor: customerId,
      metadata: { brand: valid.brand, last4: valid.last4 },
    },
    clock,
  );
  tx.add('authorization', ...authorization).add('audit', audit);
  const outcome: AddCardOutcome = { created: true, card: toCard(record) };
  try {
    await options.commit(tx.items, outcome);
  } catch (error) {
    const cancelled = tx.cancellation(error);
    if (!cancelled) throw error;
    if (cancelled.lost('authorization')) {
      throw stepUpUsed();
    }
    // Most likely a concurrent save of the same card by this customer: if it won, answer with its token.
    if (cancelled.failed('dedupe')) {
      const winner = await store.findCustomerToken(customerId, fingerprintId);
      const card = winner ? await store.getCardItem(winner) : undefined;
      if (isActive(card) && card.customerId === customerId) return { created: false, card: toCard(card) };
    }
    throw new DomainError(
      'conflict',
      'concurrent_update',
      'The card was being saved by another request; retry.',
    );
  }
  // Token, brand and last 4 only: what PCI DSS lets anyone see.
  logger.info('card tokenized', { card: token, customerId, brand: valid.brand, last4: valid.last4 });
  return outcome;
}

async function reuseCard(
  customerId: string,
  token: string,
  valid: { expMonth: number; expYear: number },
  authorization: TransactItem[],
  commit: AddCardOptions['commit'],
  at: string,
): Promise<AddCardOutcome> {
  const existing = await requireOwnCard(customerId, token);
  // A re-issued card keeps its number with a later expiry; an older expiry never overwrites a newer one.
  const renewed = laterExpiry(valid, existing);
  const card = renewed ? { ...existing, expMonth: valid.expMonth, expYear: valid.expYear } : existing;
  const tx = new Transaction<'authorization' | 'card'>()
    .add('authorization', ...authorization)
    .add(
      'card',
      ...(renewed ? cardItems.updateExpiryItems(existing, valid.expMonth, valid.expYear, at) : []),
    );
  const outcome: AddCardOutcome = { created: false, card: toCard(card) };
  await tx.write(
    (items) => commit(items, outcome),
    (cancelled) => (cancelled.lost('authorization') ? stepUpUsed() : cardChanged()),
  );
  return outcome;
}

export async function listCards(
  customerId: string,
  page: { limit: number; startingAfter?: string | undefined },
): Promise<{ object: 'list'; data: CardResponse[]; hasMore: boolean }> {
  const { cards, hasMore } = await store.listCustomerCards(customerId, page.limit, page.startingAfter);
  return { object: 'list', data: cards.map(toCard), hasMore };
}

export interface DeletedCard {
  token: string;
  deleted: true;
}

/** The port through which the vault learns which open orders a card pays (orders' card-funding face). */
export type FundedOrders = (customerId: string, token: string) => Promise<string[]>;

export interface DeleteCardOptions {
  /** Writes the items in ONE transaction with the outcome (the handler's port). Called at most once. */
  commit: Commit<DeletedCard>;
  /** Open orders the card pays: a card that pays any is not deleted. */
  fundedOrders?: FundedOrders;
  clock?: Clock;
}

/**
 * Crypto-shreds the card (see `shredCardItems` in ./card-items.ts); another customer's token is not
 * found. A card that still pays open orders is refused (rejected `card_funds_open_orders`) until the
 * shopper sets another card on them (`PUT /v1/me/orders/{id}/card`).
 */
export async function deleteCard(
  customerId: string,
  token: string,
  options: DeleteCardOptions,
): Promise<DeletedCard> {
  const clock = options.clock ?? processClock();
  const card = await requireOwnCard(customerId, token);
  const funded = (await options.fundedOrders?.(customerId, token)) ?? [];
  if (funded.length > 0) {
    throw new DomainError(
      'rejected',
      'card_funds_open_orders',
      `This card pays open orders (${funded.slice(0, 5).join(', ')}${funded.length > 5 ? ', …' : ''}); ` +
        'set another card on them (PUT /v1/me/orders/{id}/card) before deleting it.',
      'token',
    );
  }
  const items = [
    ...cardItems.shredCardItems(card, clock.now().toISOString()),
    auditItem({ action: 'vault.card_deleted', subject: token, actor: customerId }, clock),
  ];
  const deleted: DeletedCard = { token, deleted: true };
  try {
    await options.commit(items, deleted);
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Lost to a concurrent delete (then it is gone: 404) or to another change (retry).
    if (!isActive(await store.getCardItem(token))) throw noSuchCard(token);
    throw cardChanged();
  }
  logger.info('card deleted (crypto-shredded)', { card: token, customerId });
  return deleted;
}
