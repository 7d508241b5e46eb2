import {
  ChangePasswordBody,
  ContactChangeBody,
  ContactCodeBody,
  ContactVerificationBody,
  CustomerResponse,
  OutboxResponse,
  PasswordChangeResponse,
  PasswordResetConfirmBody,
  PasswordResetRequestBody,
  PasswordResetRequestedResponse,
  PasswordResetResponse,
  RegisterCustomerBody,
  SessionResponse,
  SignInBody,
  SignInResponse,
} from '../../functions/customers/schema.ts';
import {
  ChallengeIdParams,
  CodeChallengeResponse,
  LoginCodeBody,
  MfaSessionBody,
} from '../../functions/twofa/schema.ts';
import type { Route } from './route.ts';
import { challengeAnswerErrors } from './twofa.ts';

const customersEntry = 'functions/customers/handler.ts';
const contactsEntry = 'functions/customers/contacts-handler.ts';
const passwordEntry = 'functions/customers/password-handler.ts';

/** Customer account and session routes: their functions form the `customers` nested stack (`functions/customers/…`). */
export const customersRoutes: Route[] = [
  // Customers: accounts, sessions, two-factor authentication and step-up (issue 3).
  {
    operationId: 'registerCustomer',
    method: 'POST',
    path: '/v1/customers',
    entry: 'functions/customers/registration-handler.ts',
    handler: 'registerCustomer',
    auth: 'public',
    summary:
      'Register a shopper account (email, password, optional E.164 phone); answered alike whether or not the email is taken (an email tells the owner); rate limited per IP',
    tags: ['customer'],
    request: { body: RegisterCustomerBody },
    responses: { 201: { description: 'Registered.', schema: CustomerResponse } },
    errors: ['password_too_weak', 'concurrent_update'],
    access: { main: 'readwrite', secrets: ['otp-pepper'], notify: true },
  },
  {
    operationId: 'createSession',
    method: 'POST',
    path: '/v1/sessions',
    entry: 'functions/customers/sign-in-handler.ts',
    handler: 'createSession',
    auth: 'public',
    summary: 'Sign in with email and password; returns a session, or a login challenge when 2FA is on',
    tags: ['customer'],
    request: { body: SignInBody },
    responses: {
      200: { description: 'A session, or `mfaRequired` with a challenge.', schema: SignInResponse },
    },
    errors: [
      'invalid_credentials',
      'risk_declined',
      'risk_review_hold',
      'concurrent_update',
      'service_unavailable',
    ],
    access: { main: 'readwrite', secrets: ['session-signing', 'otp-pepper'], notify: true },
  },
  {
    operationId: 'createMfaSession',
    method: 'POST',
    path: '/v1/sessions/mfa',
    entry: 'functions/customers/sign-in-handler.ts',
    handler: 'createMfaSession',
    auth: 'public',
    summary:
      'Complete a 2FA sign-in with a TOTP code, a recovery code, or the one-time code sent by `POST /v1/sessions/mfa/code`',
    tags: ['customer'],
    request: { body: MfaSessionBody },
    responses: {
      200: { description: 'Signed in.', schema: SessionResponse },
    },
    errors: challengeAnswerErrors,
    access: {
      main: 'readwrite',
      keys: ['secrets:decrypt'],
      secrets: ['session-signing', 'otp-pepper'],
      notify: true,
    },
  },
  {
    operationId: 'createMfaCode',
    method: 'POST',
    path: '/v1/sessions/mfa/code',
    entry: 'functions/customers/sign-in-handler.ts',
    handler: 'createMfaCode',
    auth: 'public',
    summary:
      'Instead of TOTP: send a one-time code for a login challenge by SMS or email, to a verified phone or email only',
    description:
      'The channels a challenge offers are in the sign-in answer (`channels`). After a send the challenge is ' +
      'answered with that code (or a recovery code), no longer with TOTP; a new send replaces the code. ' +
      'Sends count on the one-time code limits (5 per customer per 15 minutes, 10 per phone per hour), ' +
      'checks on the challenge cap and the 2FA lockout.',
    tags: ['customer'],
    request: { body: LoginCodeBody },
    responses: { 201: { description: 'The code was sent.', schema: CodeChallengeResponse } },
    errors: [
      'resource_missing',
      'challenge_expired',
      'challenge_used',
      'challenge_attempts_exceeded',
      'contact_unverified',
      'concurrent_update',
      'service_unavailable',
    ],
    access: { main: 'readwrite', secrets: ['otp-pepper'], notify: true },
  },
  {
    operationId: 'deleteCurrentSession',
    method: 'DELETE',
    path: '/v1/sessions/current',
    entry: customersEntry,
    handler: 'deleteCurrentSession',
    auth: 'customer',
    summary: 'Sign out: revokes the current session at once',
    tags: ['customer'],
    responses: { 204: { description: 'Signed out.' } },
    errors: [],
    access: { main: 'readwrite', secrets: ['session-signing'] },
  },
  {
    operationId: 'getMe',
    method: 'GET',
    path: '/v1/me',
    entry: customersEntry,
    handler: 'getMe',
    auth: 'customer',
    summary: "The signed-in shopper's profile",
    tags: ['customer'],
    responses: { 200: { description: 'The customer.', schema: CustomerResponse } },
    errors: [],
    access: { main: 'read', secrets: ['session-signing'] },
  },
  {
    operationId: 'startContactVerification',
    method: 'POST',
    path: '/v1/me/contact-verifications',
    entry: contactsEntry,
    handler: 'startVerification',
    auth: 'customer',
    summary:
      "Send a one-time code to the account's email or phone, to verify it (until then it gets no codes and no alerts)",
    tags: ['customer'],
    request: { body: ContactVerificationBody },
    responses: { 201: { description: 'The code was sent.', schema: CodeChallengeResponse } },
    errors: ['contact_missing', 'contact_already_verified', 'concurrent_update', 'service_unavailable'],
    access: { main: 'readwrite', secrets: ['session-signing', 'otp-pepper'], notify: true },
  },
  {
    operationId: 'startContactChange',
    method: 'POST',
    path: '/v1/me/contact-changes',
    entry: contactsEntry,
    handler: 'startChange',
    auth: 'customer',
    stepUp: 'required',
    summary:
      'Change the email or phone (needs a `change_contact` step-up token): a code goes to the new address, which replaces the old one once verified',
    description:
      'The old address is told once the change is made. A new email that another account uses is refused at ' +
      'verification (409 `email_unavailable`), after the code proved the caller holds it.',
    tags: ['customer'],
    request: { body: ContactChangeBody },
    responses: {
      201: { description: 'The code was sent to the new address.', schema: CodeChallengeResponse },
    },
    errors: ['contact_unchanged', 'concurrent_update', 'service_unavailable'],
    access: { main: 'readwrite', secrets: ['session-signing', 'otp-pepper'], notify: true },
  },
  {
    operationId: 'verifyContact',
    method: 'POST',
    path: '/v1/me/contact-verifications/{challengeId}/verify',
    entry: contactsEntry,
    handler: 'verifyContact',
    auth: 'customer',
    summary:
      'Answer a contact code: the address is verified (or, for a change, becomes the account’s, verified)',
    tags: ['customer'],
    request: { body: ContactCodeBody, params: ChallengeIdParams },
    responses: { 200: { description: 'The customer.', schema: CustomerResponse } },
    errors: [...challengeAnswerErrors, 'contact_changed', 'email_unavailable', 'session_invalid'],
    access: { main: 'readwrite', secrets: ['session-signing', 'otp-pepper'], notify: true },
  },
  {
    operationId: 'changePassword',
    method: 'POST',
    path: '/v1/me/password',
    entry: passwordEntry,
    handler: 'changePassword',
    auth: 'customer',
    stepUp: 'required',
    summary:
      'Change the password: the current one, a `change_password` step-up token and a new one; every other session ends',
    description:
      'A wrong current password counts on the sign-in lockout (per account and per IP): 422 ' +
      '`current_password_incorrect`, then 429 with `Retry-After`.',
    tags: ['customer'],
    request: { body: ChangePasswordBody },
    responses: { 200: { description: 'Changed.', schema: PasswordChangeResponse } },
    errors: ['password_too_weak', 'current_password_incorrect', 'concurrent_update', 'session_invalid'],
    access: { main: 'readwrite', secrets: ['session-signing', 'otp-pepper'], notify: true },
  },
  {
    operationId: 'requestPasswordReset',
    method: 'POST',
    path: '/v1/password-resets',
    entry: passwordEntry,
    handler: 'requestReset',
    auth: 'public',
    summary:
      'Ask for a password reset code by email; the same answer for every email (a code goes only to a verified email)',
    description:
      'Rate limited per account (3 per hour, unknown emails counted alike) and per client IP (10 per hour): ' +
      '429 with `Retry-After`. The code works once, for 30 minutes.',
    tags: ['customer'],
    request: { body: PasswordResetRequestBody },
    responses: { 202: { description: 'Asked.', schema: PasswordResetRequestedResponse } },
    errors: [],
    access: { main: 'readwrite', secrets: ['otp-pepper'], notify: true },
  },
  {
    operationId: 'confirmPasswordReset',
    method: 'POST',
    path: '/v1/password-resets/confirm',
    entry: passwordEntry,
    handler: 'confirmReset',
    auth: 'public',
    summary: 'Set a new password with the emailed reset code; every session of the account ends',
    tags: ['customer'],
    request: { body: PasswordResetConfirmBody },
    responses: { 200: { description: 'Reset.', schema: PasswordResetResponse } },
    errors: ['password_reset_invalid', 'password_too_weak'],
    access: { main: 'readwrite', secrets: ['otp-pepper'], notify: true },
  },
  {
    operationId: 'getOutbox',
    method: 'GET',
    path: '/v1/me/outbox',
    entry: 'functions/customers/outbox-handler.ts',
    handler: 'getOutbox',
    auth: 'customer',
    summary: 'Local sandbox only: the SMS and email messages the Notifier would have sent',
    tags: ['customer'],
    responses: { 200: { description: 'Newest first.', schema: OutboxResponse } },
    errors: ['resource_missing'],
    access: { main: 'read', keys: ['secrets:decrypt'], secrets: ['session-signing'] },
    localOnly: true,
  },
];
