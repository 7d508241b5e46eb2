import * as z from 'zod';
import { defineSchema } from '../lib/schema.ts';

/** Response shapes of a payment schedule and its Truth in Lending (Reg Z) disclosure. */
export const ScheduledInstallmentResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      seq: z.int(),
      dueDate: z.iso.date(),
      amount: z.int(),
      principal: z.int(),
      interest: z.int(),
    })
    .meta({ id: 'ScheduledInstallment' }),
);

export const DisclosureResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      amountFinanced: z.int(),
      financeCharge: z.int(),
      totalOfPayments: z.int(),
      apr: z.number().meta({ description: 'Reg Z Appendix J APR in percent, two decimals.' }),
      payment: z.int(),
    })
    .meta({ id: 'Disclosure' }),
);
