import * as z from 'zod';
import { defineSchema, IsoDateTime, panFree } from '../lib/schema.ts';
import { ChallengeChannelSchema, otpCodeSchema } from '../twofa/gate.ts';
import {
  addStrengthIssues,
  PASSWORD_MAX_BYTES,
  PASSWORD_MAX_CHARS,
  PASSWORD_MIN_CHARS,
  refinePasswordStrength,
} from './password.ts';

/**
 * Emails are trimmed, NFC-normalized and lower-cased before validation, storage and lookup, so
 * `Ann@Example.com ` and `ann@example.com` are one account. Dots and `+tags` are kept: they are
 * distinct mailboxes at most providers.
 */
export const EmailSchema = /* @__PURE__ */ defineSchema(() =>
  panFree(
    z
      .string()
      .max(320)
      .trim()
      .normalize('NFC')
      .toLowerCase()
      .pipe(z.email({ error: 'Enter a valid email address.' }).max(254)),
  )
    // The document states the validated (output) form: the input side of a pipe says only `string`.
    .meta({
      description: 'Email address; case-insensitive.',
      example: 'ann@example.com',
      format: 'email',
      pattern: z.regexes.email.source,
      maxLength: 254,
    }),
);

export const PhoneSchema = /* @__PURE__ */ defineSchema(() =>
  panFree(
    z.string().regex(/^\+[1-9]\d{7,14}$/, 'Enter the phone number in E.164 format, like +14155550123.'),
  ).meta({ description: 'E.164 phone number for one-time codes by SMS.' }),
);

/** Anything longer is refused before the (deliberately slow) hash ever runs. */
const PasswordInput = /* @__PURE__ */ defineSchema(() => z.string().min(1).max(PASSWORD_MAX_BYTES));

/** A new password as the document states it (the policy beyond it answers 400 `password_too_weak`). */
const NewPasswordInput = /* @__PURE__ */ defineSchema(() =>
  PasswordInput.meta({
    description:
      '12–128 characters, no control characters. A password that is common, repetitive or sequential, ' +
      'digits only, or contains the email is refused with 400 `password_too_weak`.',
    minLength: PASSWORD_MIN_CHARS,
    maxLength: PASSWORD_MAX_CHARS,
    pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]*$',
    example: 'Quiet-Lantern-Harbor-42',
  }),
);

export const RegisterCustomerBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      email: EmailSchema,
      password: NewPasswordInput,
      phone: PhoneSchema.optional(),
    })
    .superRefine(refinePasswordStrength)
    .meta({ id: 'RegisterCustomerRequest' }),
);
export type RegisterCustomerBody = z.infer<typeof RegisterCustomerBody>;

export const SignInBody = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({ email: EmailSchema, password: PasswordInput }).meta({ id: 'SignInRequest' }),
);
export type SignInBody = z.infer<typeof SignInBody>;

export const CustomerResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: z.string(),
      object: z.literal('customer'),
      email: z.string(),
      phone: z.string().optional(),
      emailVerified: z.boolean().meta({
        description: 'Proven by a one-time code; only a verified address receives codes and security alerts.',
      }),
      phoneVerified: z.boolean().optional().meta({ description: 'Present when there is a phone.' }),
      twoFactorEnabled: z.boolean(),
      createdAt: IsoDateTime,
    })
    .meta({ id: 'Customer' }),
);
export type CustomerResponse = z.infer<typeof CustomerResponse>;

export const SessionResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      sessionToken: z
        .string()
        .meta({ description: 'Send as `Authorization: Bearer <token>`. Lives 15 minutes.' }),
      expiresAt: IsoDateTime,
    })
    .meta({ id: 'Session' }),
);

export const MfaRequiredResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      mfaRequired: z.literal(true),
      challengeId: z.string(),
      expiresAt: IsoDateTime,
      channels: z.array(ChallengeChannelSchema).meta({
        description:
          'How the challenge can be answered: `totp` (or a recovery code), and `sms` / `email` for each ' +
          'verified address (ask for a code with `POST /v1/sessions/mfa/code`).',
      }),
    })
    .meta({ id: 'MfaRequired' }),
);

export const SignInResponse = /* @__PURE__ */ defineSchema(() =>
  z.union([SessionResponse, MfaRequiredResponse]).meta({ id: 'SignInResult' }),
);

export const OutboxResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      object: z.literal('list'),
      data: z.array(
        z.object({
          id: z.string(),
          channel: z.enum(['sms', 'email']).meta({ id: 'OutboxChannel' }),
          kind: z
            .enum(['one_time_code', 'security_alert', 'payment_notice', 'support_notice'])
            .meta({ id: 'OutboxMessageKind' }),
          to: z.string(),
          subject: z.string(),
          text: z.string(),
          reference: z.string().optional(),
          createdAt: IsoDateTime,
        }),
      ),
    })
    .meta({ id: 'Outbox' }),
);

export const ContactKindSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(['email', 'phone']).meta({ id: 'ContactKind' }),
);

/** `POST /v1/me/contact-verifications`: send a code to the account's current email or phone. */
export const ContactVerificationBody = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({ contact: ContactKindSchema }).meta({ id: 'ContactVerificationRequest' }),
);

/** `POST /v1/me/contact-changes`: exactly one new address; a code goes to it. */
export const ContactChangeBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({ email: EmailSchema.optional(), phone: PhoneSchema.optional() })
    .superRefine((body, ctx) => {
      if ((body.email === undefined) === (body.phone === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['email'], message: 'Send exactly one of email or phone.' });
      }
    })
    .meta({ id: 'ContactChangeRequest', oneOf: [{ required: ['email'] }, { required: ['phone'] }] }),
);
export type ContactChangeBody = z.infer<typeof ContactChangeBody>;

export const ContactCodeBody = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({ code: otpCodeSchema }).meta({ id: 'ContactCodeRequest' }),
);

export const ChangePasswordBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({ currentPassword: PasswordInput, newPassword: NewPasswordInput })
    .superRefine((body, ctx) => addStrengthIssues(body.newPassword, {}, 'newPassword', ctx))
    .meta({ id: 'ChangePasswordRequest' }),
);
export type ChangePasswordBody = z.infer<typeof ChangePasswordBody>;

export const PasswordResetRequestBody = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({ email: EmailSchema }).meta({ id: 'PasswordResetRequest' }),
);

export const PASSWORD_RESET_TOKEN = /^pwr_[0-9A-HJKMNP-TV-Z]{26}\.[A-Za-z0-9_-]{43}$/;

export const PasswordResetConfirmBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      token: panFree(
        z.string().max(100).regex(PASSWORD_RESET_TOKEN, 'Enter the reset code from the email.'),
      ).meta({
        description: 'The single-use reset code from the email (`pwr_…`).',
        pattern: PASSWORD_RESET_TOKEN.source,
        example: 'pwr_01J9Z3NDEKTSV4RRFFQ69G5FAV.q3Xb0mJ8Gm0wT6c9Qe1Lr5ZtYvN2aHkPsDuWfBiCxE4',
      }),
      password: NewPasswordInput,
    })
    .superRefine((body, ctx) => addStrengthIssues(body.password, {}, 'password', ctx))
    .meta({ id: 'PasswordResetConfirmRequest' }),
);
export type PasswordResetConfirmBody = z.infer<typeof PasswordResetConfirmBody>;

export const PasswordChangeResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      object: z.literal('password_change'),
      changedAt: IsoDateTime,
      sessionsRevoked: z.number().int().meta({ description: 'Sessions ended by the change.' }),
    })
    .meta({ id: 'PasswordChange' }),
);

export const PasswordResetRequestedResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({ object: z.literal('password_reset_request'), message: z.string() })
    .meta({ id: 'PasswordResetRequested' }),
);

export const PasswordResetResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      object: z.literal('password_reset'),
      completedAt: IsoDateTime,
      sessionsRevoked: z.number().int().meta({ description: 'Every session of the account ended.' }),
    })
    .meta({ id: 'PasswordReset' }),
);
