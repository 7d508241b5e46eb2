import {
  CustomerResponse,
  OutboxResponse,
  RegisterCustomerBody,
  SessionResponse,
  SignInBody,
  SignInResponse,
} from '../../functions/customers/schema.ts';
import { MfaSessionBody } from '../../functions/twofa/schema.ts';
import { errors, type Route } from './route.ts';

const customersEntry = 'functions/customers/handler.ts';

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
    responses: { 201: { description: 'Registered.', schema: CustomerResponse }, ...errors(400, 409, 429) },
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
      ...errors(400, 401, 429),
    },
    access: { main: 'readwrite', secrets: ['session-signing', 'otp-pepper'], notify: true },
  },
  {
    operationId: 'createMfaSession',
    method: 'POST',
    path: '/v1/sessions/mfa',
    entry: 'functions/customers/sign-in-handler.ts',
    handler: 'createMfaSession',
    auth: 'public',
    summary: 'Complete a 2FA sign-in with a TOTP code or a recovery code',
    tags: ['customer'],
    request: { body: MfaSessionBody },
    responses: {
      200: { description: 'Signed in.', schema: SessionResponse },
      ...errors(400, 404, 409, 422, 429),
    },
    access: {
      main: 'readwrite',
      keys: ['secrets:decrypt'],
      secrets: ['session-signing', 'otp-pepper'],
      notify: true,
    },
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
    responses: { 204: { description: 'Signed out.' }, ...errors(401) },
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
    responses: { 200: { description: 'The customer.', schema: CustomerResponse }, ...errors(401) },
    access: { main: 'read', secrets: ['session-signing'] },
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
    responses: { 200: { description: 'Newest first.', schema: OutboxResponse }, ...errors(401) },
    access: { main: 'read', keys: ['secrets:decrypt'], secrets: ['session-signing'] },
    localOnly: true,
  },
];
