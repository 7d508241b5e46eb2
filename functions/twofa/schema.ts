import * as z from 'zod';
import { CurrencyCodeSchema, MinorUnitsSchema } from '../lib/money.ts';
import { defineSchema, freeText, IsoDateTime, idOf } from '../lib/schema.ts';
import { otpCodeSchema, recoveryCodeSchema } from './codes.ts';
import { MONEY_ACTIONS, STEP_UP_ACTIONS } from './policy.ts';

export const StepUpActionSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(STEP_UP_ACTIONS).meta({ id: 'StepUpAction' }),
);

const proofFields = /* @__PURE__ */ defineSchema(() => ({
  code: otpCodeSchema.optional(),
  recoveryCode: recoveryCodeSchema.optional(),
}));

function exactlyOneProof(
  body: { code?: string | undefined; recoveryCode?: string | undefined },
  ctx: z.RefinementCtx,
) {
  if ((body.code === undefined) === (body.recoveryCode === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['code'], message: 'Send exactly one of code or recoveryCode.' });
  }
}

/** `exactlyOneProof` as the document states it (JSON Schema cannot read a refinement). */
const exactlyOneProofDoc = { oneOf: [{ required: ['code'] }, { required: ['recoveryCode'] }] };

/** A 6-digit TOTP or one-time code, or (where allowed) one recovery code: exactly one of them. */
export const ChallengeProof = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject(proofFields)
    .superRefine(exactlyOneProof)
    .meta({ id: 'ChallengeProof', ...exactlyOneProofDoc }),
);
export type ChallengeProof = z.infer<typeof ChallengeProof>;

/** `POST /v1/sessions/mfa`: the login challenge and its proof. */
export const MfaSessionBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({ challengeId: idOf('challenge'), ...proofFields })
    .superRefine(exactlyOneProof)
    .meta({ id: 'MfaSessionRequest', ...exactlyOneProofDoc }),
);

export const CodeChannelSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(['sms', 'email']).meta({ id: 'CodeChannel', description: 'Where a one-time code goes.' }),
);

/** `POST /v1/sessions/mfa/code`: a one-time code for the login challenge, to a verified phone or email. */
export const LoginCodeBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({ challengeId: idOf('challenge'), channel: CodeChannelSchema })
    .meta({ id: 'LoginCodeRequest' }),
);

/** A code was sent: answer `challengeId` with it. */
export const CodeChallengeResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({ challengeId: z.string(), channel: CodeChannelSchema, expiresAt: IsoDateTime })
    .meta({ id: 'CodeChallenge' }),
);

export const ChallengeIdParams = /* @__PURE__ */ defineSchema(() =>
  z.object({ challengeId: idOf('challenge') }),
);

export const ConfirmTotpBody = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({ code: otpCodeSchema }).meta({ id: 'ConfirmTotpRequest' }),
);

const PayeeSchema = /* @__PURE__ */ defineSchema(() =>
  freeText()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/, 'payee must be printable ASCII')
    .meta({ description: 'Who receives the money (e.g. a merchant id or a payout destination id).' }),
);

export const StepUpBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      action: StepUpActionSchema,
      amount: z.strictObject({ amount: MinorUnitsSchema, currency: CurrencyCodeSchema }).optional(),
      payee: PayeeSchema.optional(),
    })
    .superRefine((body, ctx) => {
      const money = MONEY_ACTIONS.has(body.action);
      if (money && !body.amount) {
        ctx.addIssue({
          code: 'custom',
          path: ['amount'],
          message: `A ${body.action} step-up must name the amount it approves.`,
        });
      }
      if (!money && (body.amount || body.payee !== undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [body.amount ? 'amount' : 'payee'],
          message: `A ${body.action} step-up does not take an amount or payee.`,
        });
      }
    })
    .meta({
      id: 'StepUpRequest',
      // The refinement above, stated for the document: money actions name an amount, others take neither.
      oneOf: [
        {
          properties: { action: { enum: STEP_UP_ACTIONS.filter((a) => MONEY_ACTIONS.has(a)) } },
          required: ['amount'],
        },
        {
          properties: { action: { enum: STEP_UP_ACTIONS.filter((a) => !MONEY_ACTIONS.has(a)) } },
          not: { anyOf: [{ required: ['amount'] }, { required: ['payee'] }] },
        },
      ],
    }),
);
export type StepUpBody = z.infer<typeof StepUpBody>;

export const TotpEnrollmentResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      secret: z.string().meta({ description: 'Base32 TOTP secret. Shown once; stored encrypted.' }),
      otpauthUri: z.string(),
    })
    .meta({ id: 'TotpEnrollment' }),
);

export const RecoveryCodesResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      recoveryCodes: z.array(z.string()).meta({ description: 'Shown once; each works once.' }),
    })
    .meta({ id: 'RecoveryCodes' }),
);

export const TwoFactorStatusResponse = /* @__PURE__ */ defineSchema(() =>
  z.object({ object: z.literal('two_factor'), enabled: z.boolean() }).meta({ id: 'TwoFactorStatus' }),
);

/** How a challenge is answered: the authenticator, or a code sent by SMS or email. */
export const ChallengeChannelSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(['totp', 'sms', 'email']).meta({ id: 'StepUpChannel' }),
);

export const StepUpChallengeResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      challengeId: z.string(),
      channel: ChallengeChannelSchema,
      expiresAt: IsoDateTime,
    })
    .meta({ id: 'StepUpChallenge' }),
);

export const StepUpTokenResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      stepUpToken: z
        .string()
        .meta({ description: 'Send it as the `Step-Up-Token` header of the one request it approves.' }),
      action: StepUpActionSchema,
      expiresAt: IsoDateTime,
    })
    .meta({ id: 'StepUpToken' }),
);
