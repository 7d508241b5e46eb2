/** zod schemas of the customer balance and withdrawals. */
import * as z from 'zod';
import { CurrencyCodeSchema, MinorUnitsSchema } from '../lib/money.ts';
import { defineSchema, IsoDateTime, idOf } from '../lib/schema.ts';

export const WithdrawalBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      amount: MinorUnitsSchema,
      currency: CurrencyCodeSchema,
      cardToken: idOf('token').meta({
        description: 'The saved card to pay out to (tok_…): the payee the step-up names.',
      }),
    })
    .meta({ id: 'WithdrawalRequest' }),
);
export type WithdrawalBody = z.infer<typeof WithdrawalBody>;

export const WithdrawalStatusSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(['pending', 'paid', 'failed']).meta({ id: 'WithdrawalStatus' }),
);

export const WithdrawalResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      object: z.literal('withdrawal'),
      id: z.string(),
      amount: z.int(),
      currency: CurrencyCodeSchema,
      cardToken: z.string(),
      status: WithdrawalStatusSchema,
      balanceAfter: z.int().meta({ description: 'Your balance in this currency after the withdrawal.' }),
      createdAt: IsoDateTime,
    })
    .meta({ id: 'Withdrawal' }),
);
export type WithdrawalResponse = z.infer<typeof WithdrawalResponse>;

export const LedgerReasonSchema = /* @__PURE__ */ defineSchema(() =>
  z
    .enum(['refund', 'dispute', 'withdrawal', 'withdrawal_reversal', 'installment', 'installment_reversal'])
    .meta({ id: 'LedgerReason' }),
);

export const LedgerEntryResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: z.string(),
      seq: z.int(),
      currency: CurrencyCodeSchema,
      amount: z.int().meta({ description: 'Signed minor units: positive credits your balance.' }),
      reason: LedgerReasonSchema,
      reference: z.string(),
      legs: z.array(z.object({ account: z.string(), amount: z.int() })),
      balanceAfter: z.int(),
      createdAt: IsoDateTime,
    })
    .meta({ id: 'LedgerEntry' }),
);

export const BalanceResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      object: z.literal('balance'),
      balances: z.array(z.object({ amount: z.int(), currency: CurrencyCodeSchema })),
      entries: z.array(LedgerEntryResponse),
    })
    .meta({ id: 'Balance' }),
);
export type BalanceResponse = z.infer<typeof BalanceResponse>;
