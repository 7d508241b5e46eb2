/** zod schemas of identity verification: the shopper's, the operator's and the provider callback's. */
import * as z from 'zod';
import { defineSchema, freeText, IsoDateTime, idOf, panFree } from '../lib/schema.ts';
import { DOCUMENT_TYPES, IDENTITY_DECISIONS, IDENTITY_STATUSES } from './policy.ts';

export const IdentityStatusSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(IDENTITY_STATUSES).meta({ id: 'IdentityStatus' }),
);
export const DocumentTypeSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(DOCUMENT_TYPES).meta({ id: 'IdentityDocumentType' }),
);
export const IdentityDecisionSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(IDENTITY_DECISIONS).meta({ id: 'IdentityDecision' }),
);

export const StartIdentityVerificationBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      documentType: DocumentTypeSchema,
      documentNumber: panFree(
        z
          .string()
          .regex(/^[A-Za-z0-9]{5,20}$/, { message: 'must be 5 to 20 letters or digits' })
          .meta({
            description:
              'Sent to the provider only; stored as a keyed hash and its last 4. Sandbox: ending 0000 is rejected, 1111 goes to review, any other is verified.',
            example: 'P12345678',
          }),
      ),
      country: z
        .string()
        .regex(/^[A-Z]{2}$/, { message: 'must be an ISO 3166-1 alpha-2 code' })
        .meta({ description: 'Issuing country, ISO 3166-1 alpha-2.', example: 'DE' }),
    })
    .meta({ id: 'StartIdentityVerificationRequest' }),
);
export type StartIdentityVerificationBody = z.infer<typeof StartIdentityVerificationBody>;

export const IdentityVerificationParams = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({ id: idOf('verification') }),
);

export const IdentityVerificationResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      object: z.literal('identity_verification'),
      id: z.string(),
      status: IdentityStatusSchema,
      documentType: DocumentTypeSchema,
      country: z.string(),
      documentLast4: z.string(),
      reasons: z.array(z.string()),
      createdAt: IsoDateTime,
      decidedAt: IsoDateTime.optional(),
      expiresAt: IsoDateTime.optional(),
    })
    .meta({ id: 'IdentityVerification' }),
);
export type IdentityVerificationResponse = z.infer<typeof IdentityVerificationResponse>;

export const IdentityStatusResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      object: z.literal('identity'),
      status: IdentityStatusSchema,
      verificationId: z.string().optional(),
      verifiedAt: IsoDateTime.optional(),
      expiresAt: IsoDateTime.optional(),
    })
    .meta({ id: 'IdentityStatusResponse' }),
);
export type IdentityStatusResponse = z.infer<typeof IdentityStatusResponse>;

export const ReviewDecisionBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      decision: z.enum(['verified', 'rejected']).meta({ id: 'IdentityReviewDecision' }),
      reason: freeText().trim().min(1).max(200).optional(),
    })
    .meta({ id: 'IdentityReviewDecisionRequest' }),
);

export const InReviewListResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({ object: z.literal('list'), data: z.array(IdentityVerificationResponse) })
    .meta({ id: 'IdentityVerificationList' }),
);

/** The provider callback (its raw bytes are what the signature covers). */
export const IdentityCallbackBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      id: freeText().min(1).max(100),
      type: z.literal('identity_verification.decided'),
      created: z.int().min(0),
      data: z.strictObject({
        verificationId: idOf('verification'),
        providerRef: freeText().min(1).max(100),
        decision: IdentityDecisionSchema,
        reasons: z.array(freeText().max(100)).max(10),
      }),
    })
    .meta({ id: 'IdentityCallback' }),
);

export const CallbackAckResponse = /* @__PURE__ */ defineSchema(() =>
  z.object({ received: z.literal(true) }).meta({ id: 'IdentityCallbackAck' }),
);
