import * as z from 'zod';
import { defineSchema, IsoDateTime, panFree } from '../lib/schema.ts';
import {
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

export const RegisterCustomerBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      email: EmailSchema,
      password: PasswordInput.meta({
        description:
          '12–128 characters, no control characters. A password that is common, repetitive or sequential, ' +
          'digits only, or contains the email is refused with 400 `password_too_weak`.',
        minLength: PASSWORD_MIN_CHARS,
        maxLength: PASSWORD_MAX_CHARS,
        pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]*$',
        example: 'Quiet-Lantern-Harbor-42',
      }),
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
