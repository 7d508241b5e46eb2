import {
  AddCardBody,
  CardListQuery,
  CardListResponse,
  CardResponse,
  CardTokenParams,
  DeletedCardResponse,
  RewrapBody,
  RewrapResponse,
} from '../../functions/vault/schema.ts';
import type { Route } from './route.ts';

/** Card vault (the CDE) routes: their functions form the `vault` nested stack (`functions/vault/…`). */
export const vaultRoutes: Route[] = [
  // Card vault (the CDE). Customer routes also read the session secret (auth and step-up tokens).
  {
    operationId: 'addCard',
    method: 'POST',
    path: '/v1/me/cards',
    entry: 'functions/vault/handler.ts',
    handler: 'addCard',
    auth: 'customer',
    stepUp: 'required',
    summary: 'Save a card (needs an add_card step-up); returns its token, brand, last 4 and expiry',
    tags: ['customer'],
    request: { body: AddCardBody },
    responses: {
      201: { description: 'Tokenized.', schema: CardResponse },
      200: { description: 'The customer already saved this card: its existing token.', schema: CardResponse },
    },
    // GenerateDataKey only: adding a card never decrypts one.
    errors: [
      'invalid_number',
      'card_brand_unsupported',
      'invalid_expiry_month',
      'invalid_expiry_year',
      'expired_card',
      'invalid_cvc',
      'risk_declined',
      'risk_review_hold',
      'concurrent_update',
      'service_unavailable',
    ],
    // Account monitoring: its aggregates in the main table; device and IP hashed under otp-pepper.
    access: {
      main: 'readwrite',
      vault: 'readwrite',
      keys: ['vault:encrypt'],
      secrets: ['session-signing', 'fingerprint', 'otp-pepper'],
    },
  },
  {
    operationId: 'listCards',
    method: 'GET',
    path: '/v1/me/cards',
    entry: 'functions/vault/handler.ts',
    handler: 'listCards',
    auth: 'customer',
    summary: "The customer's saved cards (brand, last 4, expiry)",
    tags: ['customer'],
    request: { query: CardListQuery },
    responses: { 200: { description: 'Cards.', schema: CardListResponse } },
    errors: [],
    access: { main: 'read', vault: 'read', secrets: ['session-signing'] },
  },
  {
    operationId: 'deleteCard',
    method: 'DELETE',
    path: '/v1/me/cards/{token}',
    entry: 'functions/vault/handler.ts',
    handler: 'deleteCard',
    auth: 'customer',
    summary:
      'Delete a card: crypto-shreds it and tombstones the token; refused (422 card_funds_open_orders) while it pays an open order',
    tags: ['customer'],
    request: { params: CardTokenParams },
    responses: {
      200: { description: 'Deleted.', schema: DeletedCardResponse },
    },
    // No key use: shredding removes the ciphertext and wrapped key without opening them.
    errors: ['resource_missing', 'concurrent_update', 'card_funds_open_orders'],
    access: { main: 'readwrite', vault: 'readwrite', secrets: ['session-signing'] },
  },
  {
    operationId: 'rewrapVault',
    method: 'POST',
    path: '/v1/admin/vault/rewrap',
    entry: 'functions/vault/rewrap-handler.ts',
    handler: 'rewrapVault',
    auth: 'operator',
    summary: "Move vault records to the vault key's current version (KMS ReEncrypt); repeat until done",
    tags: ['admin'],
    request: { body: RewrapBody },
    responses: { 200: { description: 'Progress.', schema: RewrapResponse } },
    // KMS ReEncrypt only (kms:ReEncryptFrom/To on the vault key): it never sees a data key or a PAN.
    errors: ['vault_key_not_configured', 'service_unavailable'],
    access: { vault: 'readwrite', keys: ['vault:rewrap'] },
  },
];
