import {
  BalancePaymentBody,
  ChangeOrderCardBody,
  ListMyOrdersQuery,
  MyOrderListResponse,
  MyOrderResponse,
  PayoffResponse,
} from '../../functions/orders/me-schema.ts';
import { OrderIdParams } from '../../functions/orders/schema.ts';
import type { Route } from './route.ts';

/**
 * The shopper's order routes (`/v1/me/orders…`, session auth). Their entries are in
 * `functions/orders/`, so they join the `orders` capability (infra/routes/index.ts).
 */
export const meOrdersRoutes: Route[] = [
  {
    operationId: 'listMyOrders',
    method: 'GET',
    path: '/v1/me/orders',
    entry: 'functions/orders/me-handler.ts',
    handler: 'listMyOrders',
    auth: 'customer',
    summary: "The signed-in shopper's orders, newest first, with an opaque cursor",
    tags: ['customer'],
    request: { query: ListMyOrdersQuery },
    responses: { 200: { description: 'Orders.', schema: MyOrderListResponse } },
    errors: ['invalid_cursor'],
    // Cursors are HMAC-bound to the customer under their own secret (functions/orders/cursor.ts).
    access: { main: 'read', secrets: ['session-signing', 'cursor-signing'] },
  },
  {
    operationId: 'getMyOrder',
    method: 'GET',
    path: '/v1/me/orders/{id}',
    entry: 'functions/orders/me-handler.ts',
    handler: 'getMyOrder',
    auth: 'customer',
    summary: 'One of your orders: the schedule, what was paid and what is next',
    tags: ['customer'],
    request: { params: OrderIdParams },
    responses: { 200: { description: 'The order.', schema: MyOrderResponse } },
    errors: ['resource_missing'],
    access: { main: 'read', secrets: ['session-signing'] },
  },
  {
    operationId: 'payOffMyOrder',
    method: 'POST',
    path: '/v1/me/orders/{id}/payoff',
    entry: 'functions/orders/payoff-handler.ts',
    handler: 'payOffMyOrder',
    auth: 'customer',
    summary: 'Pay everything still owed on the order now (installments in dunning included)',
    tags: ['customer'],
    request: { params: OrderIdParams },
    responses: {
      200: {
        description: 'Paid off (or `processing` while a payment is in flight).',
        schema: PayoffResponse,
      },
    },
    errors: [
      'order_disputed',
      'resource_missing',
      'card_declined',
      'card_declined_hard',
      'order_not_payable',
      'concurrent_update',
    ],
    // Each installment goes to the charger (the only function outside the vault that detokenizes).
    access: { main: 'readwrite', secrets: ['session-signing'], queues: ['collection-charges'] },
    idempotent: true,
  },
  {
    operationId: 'payMyOrderFromBalance',
    method: 'POST',
    path: '/v1/me/orders/{id}/balance-payments',
    entry: 'functions/orders/payoff-handler.ts',
    handler: 'payMyOrderFromBalance',
    auth: 'customer',
    summary: 'Pay an installment, or everything still owed on the order, from your balance',
    description:
      'Each installment is paid in full from your customer balance (GET /v1/me/balance), in one transaction with its ledger debit; `installment.paid` carries `source: balance`. The balance must cover all that is asked, else 422 `insufficient_balance` and nothing moves. No card is charged. Collection also applies an available balance first when an installment falls due (see the README).',
    tags: ['customer'],
    request: { params: OrderIdParams, body: BalancePaymentBody },
    responses: {
      200: {
        description: 'Paid (or `processing` while an installment was already being charged to the card).',
        schema: PayoffResponse,
      },
    },
    errors: [
      'order_disputed',
      'resource_missing',
      'order_not_payable',
      'insufficient_balance',
      'concurrent_update',
    ],
    // The ledger and the order live in the main table; no card, no queue.
    access: { main: 'readwrite', secrets: ['session-signing'] },
    idempotent: true,
  },
  {
    operationId: 'changeMyOrderCard',
    method: 'PUT',
    path: '/v1/me/orders/{id}/card',
    entry: 'functions/orders/me-card-handler.ts',
    handler: 'changeMyOrderCard',
    auth: 'customer',
    summary: 'Set the card that pays the order; failed installments are collected again on the next run',
    tags: ['customer'],
    request: { params: OrderIdParams, body: ChangeOrderCardBody },
    responses: {
      200: { description: 'The order on its new card.', schema: MyOrderResponse },
    },
    errors: [
      'resource_missing',
      'payment_in_progress',
      'order_closed',
      'card_declined_hard',
      'concurrent_update',
    ],
    // Reads the card's brand and last 4 from the vault table; never a key, never a PAN.
    access: { main: 'readwrite', vault: 'read', secrets: ['session-signing'] },
  },
  {
    operationId: 'extendMyOrderDueDate',
    method: 'POST',
    path: '/v1/me/orders/{id}/extend-due-date',
    entry: 'functions/orders/me-handler.ts',
    handler: 'extendMyOrderDueDate',
    auth: 'customer',
    summary: "Move the next installment's due date 14 days later (once per order)",
    tags: ['customer'],
    request: { params: OrderIdParams },
    responses: {
      200: { description: 'Extended.', schema: MyOrderResponse },
    },
    errors: [
      'order_disputed',
      'resource_missing',
      'due_date_already_extended',
      'due_date_not_extendable',
      'concurrent_update',
    ],
    access: { main: 'readwrite', secrets: ['session-signing'] },
    idempotent: true,
  },
];
