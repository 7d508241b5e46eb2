/** zod schemas of the shopper's order routes (`/v1/me/orders…`): requests and responses. */
import * as z from 'zod';
import { PlanIdSchema } from '../installments/terms.ts';
import { CurrencyCodeSchema } from '../lib/money.ts';
import { defineSchema, IsoDateTime, idOf } from '../lib/schema.ts';
import { InstallmentResponse, ListOrdersQuery, OrderStatusSchema } from './schema.ts';

/** The same page parameters as the merchant's list; the cursor is bound to the signed-in customer. */
export const ListMyOrdersQuery = ListOrdersQuery;

export const ChangeOrderCardBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      cardToken: idOf('token').meta({ description: 'One of your saved cards (tok_…).' }),
    })
    .meta({ id: 'ChangeOrderCardRequest' }),
);
export type ChangeOrderCardBody = z.infer<typeof ChangeOrderCardBody>;

export const NextPaymentResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      installmentId: z.string(),
      amount: z.int(),
      currency: CurrencyCodeSchema,
      dueDate: z.iso.date(),
      chargeOn: z.iso
        .date()
        .optional()
        .meta({ description: 'The day collection tries the card (a retry day after a decline).' }),
    })
    .meta({ id: 'NextPayment' }),
);

export const DueDateExtensionResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      installmentId: z.string().meta({ description: 'The first installment moved.' }),
      installmentIds: z.array(z.string()).meta({
        description:
          'Every installment of the payment that moved: all unpaid installments due that day (two captures on one day give two).',
      }),
      previousDueDate: z.iso.date(),
      dueDate: z.iso.date(),
      extendedAt: IsoDateTime,
    })
    .meta({ id: 'DueDateExtension' }),
);

export const MyOrderSummaryResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: z.string(),
      object: z.literal('order'),
      status: OrderStatusSchema,
      merchantReference: z.string(),
      amount: z.int().meta({ description: 'The authorized amount.' }),
      currency: CurrencyCodeSchema,
      plan: z.object({ id: PlanIdSchema, termMonths: z.int().optional(), aprBps: z.int().optional() }),
      card: z.object({ brand: z.string(), last4: z.string() }),
      capturedAmount: z.int(),
      refundedAmount: z.int(),
      paidAmount: z.int().meta({ description: 'What your installments collected so far.' }),
      outstandingAmount: z.int().meta({ description: 'What you still owe.' }),
      disputed: z.boolean().meta({
        description: 'A dispute you filed holds its payments while it is investigated (GET /v1/me/disputes).',
      }),
      nextPayment: NextPaymentResponse.nullable().optional().meta({
        description:
          'The next installment to be collected; null when nothing is left to pay. On the single order only.',
      }),
      dueDateExtension: DueDateExtensionResponse.nullable().meta({
        description: 'The one 14-day due-date extension of this order, once used.',
      }),
      createdAt: IsoDateTime,
      updatedAt: IsoDateTime,
    })
    .meta({ id: 'MyOrderSummary' }),
);

export const MyOrderResponse = /* @__PURE__ */ defineSchema(() =>
  MyOrderSummaryResponse.extend({
    installments: z.array(InstallmentResponse).meta({ description: 'The schedule: every installment.' }),
  }).meta({ id: 'MyOrder' }),
);

export const MyOrderListResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      object: z.literal('list'),
      data: z.array(MyOrderSummaryResponse),
      hasMore: z.boolean(),
      nextCursor: z.string().optional().meta({ description: 'Pass as startingAfter for the next page.' }),
    })
    .meta({ id: 'MyOrderList' }),
);

export const PaymentSourceSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(['card', 'balance']).meta({ id: 'PayoffSource' }),
);

/** `POST /v1/me/orders/{id}/balance-payments`: one installment, or (empty body) all that is owed. */
export const BalancePaymentBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      installmentId: idOf('installment')
        .optional()
        .meta({ description: 'Pay this installment only; without it, everything still owed on the order.' }),
    })
    .meta({ id: 'BalancePaymentRequest' }),
);
export type BalancePaymentBody = z.infer<typeof BalancePaymentBody>;

export const PayoffResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      object: z.literal('payoff'),
      orderId: z.string(),
      status: z.enum(['succeeded', 'processing']).meta({
        id: 'PayoffStatus',
        description: '`processing`: a payment of the order is still in flight; collection settles it.',
      }),
      amount: z
        .int()
        .meta({ description: 'What this payoff charged (to the card, or taken from the balance).' }),
      source: PaymentSourceSchema.meta({
        description: 'Where the money came from: `card` (payoff) or `balance` (balance payment).',
      }),
      currency: CurrencyCodeSchema,
      installments: z.array(
        z.object({
          installmentId: z.string(),
          amount: z.int(),
          status: z.enum(['paid', 'pending']).meta({ id: 'PayoffInstallmentStatus' }),
        }),
      ),
      order: MyOrderResponse,
    })
    .meta({ id: 'Payoff' }),
);

export type MyOrderSummaryResponse = z.infer<typeof MyOrderSummaryResponse>;
export type MyOrderResponse = z.infer<typeof MyOrderResponse>;
export type MyOrderListResponse = z.infer<typeof MyOrderListResponse>;
export type PayoffResponse = z.infer<typeof PayoffResponse>;
export type NextPaymentResponse = z.infer<typeof NextPaymentResponse>;
