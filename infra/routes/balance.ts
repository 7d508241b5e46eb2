import { BalanceResponse, WithdrawalBody, WithdrawalResponse } from '../../functions/balance/schema.ts';
import type { Route } from './route.ts';

const entry = 'functions/balance/handler.ts';

/** Customer balance routes: their functions form the `balance` nested stack (`functions/balance/…`). */
export const balanceRoutes: Route[] = [
  {
    operationId: 'getBalance',
    method: 'GET',
    path: '/v1/me/balance',
    entry,
    handler: 'getBalance',
    auth: 'customer',
    summary: 'Your balance per currency and the double-entry ledger it is derived from',
    description:
      'Credited by refunds of money already collected that could not go back to the card (or that the balance had paid), and by reversals; debited by withdrawals and by installments paid from the balance (POST /v1/me/orders/{id}/balance-payments, and collection, which applies the balance first).',
    tags: ['customer'],
    responses: { 200: { description: 'The balance.', schema: BalanceResponse } },
    errors: ['concurrent_update'],
    access: { main: 'readwrite', secrets: ['session-signing'] },
  },
  {
    operationId: 'createWithdrawal',
    method: 'POST',
    path: '/v1/me/withdrawals',
    entry,
    handler: 'createWithdrawal',
    auth: 'customer',
    stepUp: 'required',
    summary: 'Withdraw part of your balance to a saved card',
    description:
      'Needs identity `verified`, no open high-severity account flag, and a `withdrawal` step-up token bound to this amount, currency and card (`payee` = the card token). Refused above the balance. The step-up token is single-use, so a repeated request cannot pay twice; the payout uses the withdrawal id as its processor idempotency key.',
    tags: ['customer'],
    request: { body: WithdrawalBody },
    responses: {
      201: {
        description: 'The withdrawal (`paid`, or `pending` while the payout is unconfirmed).',
        schema: WithdrawalResponse,
      },
    },
    errors: [
      'identity_not_verified',
      'account_flagged',
      'resource_missing',
      'amount_too_large',
      'insufficient_balance',
      'payout_failed',
      'concurrent_update',
      'risk_declined',
      'risk_review_hold',
    ],
    // Reads the payout card's summary (owner, last 4, expiry) from the vault table; never decrypts
    // (ADR 0013: only the charger detokenizes).
    access: { main: 'readwrite', vault: 'read', secrets: ['session-signing', 'processor-api-key'] },
  },
];
