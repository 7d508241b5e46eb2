import * as z from 'zod';
import { defineSchema, idOf, panFree } from '../lib/schema.ts';

export const CardBrandSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(['visa', 'mastercard', 'amex', 'discover', 'diners', 'jcb', 'unionpay']),
);

/**
 * `number` is a string: a JSON number loses precision past 2^53 (16+ digits) and drops leading
 * zeros. The schema checks only the JSON type and a sane size; the card rules (digits only,
 * length for the brand, Luhn, expiry, CVC) are 422s from `validateCard`, naming the field.
 * No zod message here echoes the value.
 */
export const AddCardBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      number: z
        .string()
        .max(64)
        .meta({ description: 'The card number: a string of 12–19 digits, no spaces.' }),
      expMonth: z.int().meta({ description: '1–12.' }),
      expYear: z.int().meta({ description: 'Four digits (two are read as 20xx).' }),
      cvc: z
        .string()
        .max(8)
        .meta({ description: 'Checked for format (4 digits for Amex, else 3); never stored.' }),
    })
    .meta({ id: 'AddCardRequest' }),
);
export type AddCardBody = z.infer<typeof AddCardBody>;

/** What a customer or merchant may see of a card: brand, last 4 and expiry (PCI DSS 3.3). */
export const CardResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      token: z.string().meta({ description: 'tok_…: stands in for the card everywhere.' }),
      brand: CardBrandSchema,
      last4: z.string(),
      expMonth: z.int(),
      expYear: z.int(),
    })
    .meta({ id: 'Card' }),
);
export type CardResponse = z.infer<typeof CardResponse>;

export const CardListResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({ object: z.literal('list'), data: z.array(CardResponse), hasMore: z.boolean() })
    .meta({ id: 'CardList' }),
);

export const CardListQuery = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    /** A token of this customer's: the Query key is built from the session, so it cannot reach another customer. */
    startingAfter: idOf('token').optional(),
  }),
);

export const CardTokenParams = /* @__PURE__ */ defineSchema(() => z.object({ token: idOf('token') }));

export const DeletedCardResponse = /* @__PURE__ */ defineSchema(() =>
  z.object({ token: z.string(), deleted: z.literal(true) }).meta({ id: 'DeletedCard' }),
);

export const RewrapBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      targetKeyId: panFree(
        z
          .string()
          .min(1)
          .max(256)
          .regex(/^[A-Za-z0-9:/_-]+$/, 'must be a KMS key id, key ARN or alias'),
      )
        .optional()
        .meta({
          description:
            'The wrapping key to move to: a configured vault key (`VAULT_KEY_ID`); defaults to it. Any other key is a 400.',
        }),
      pageSize: z.int().min(1).max(100).default(100),
      maxRecords: z.int().min(1).max(100_000).default(5_000).meta({
        description: 'Stops after this many records (stay within the function timeout); call again.',
      }),
    })
    .meta({ id: 'VaultRewrapRequest' }),
);

export const RewrapResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      object: z.literal('vault_rewrap'),
      examined: z.int(),
      rewrapped: z.int(),
      skipped: z.int(),
      kmsCalls: z.int(),
      done: z.boolean().meta({ description: 'False when maxRecords stopped the run early: call again.' }),
    })
    .meta({ id: 'VaultRewrap' }),
);
