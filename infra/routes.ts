import type { ZodObject, ZodType } from 'zod';
import {
  AuthorizeCheckoutBody,
  CheckoutAuthorizationResponse,
  CheckoutSessionParams,
  CheckoutSessionResponse,
  CreateCheckoutSessionBody,
} from '../functions/checkout/schema.ts';
import {
  CollectionRunParams,
  CollectionRunResponse,
  RunCollectionBody,
} from '../functions/collection/schema.ts';
import {
  CustomerResponse,
  OutboxResponse,
  RegisterCustomerBody,
  SessionResponse,
  SignInBody,
  SignInResponse,
} from '../functions/customers/schema.ts';
import { ErrorResponseSchema } from '../functions/lib/schema.ts';
import {
  ConfigResponse,
  CreateMerchantBody,
  HealthResponse,
  MerchantIdParams,
  MerchantResponse,
  MerchantWithKeyResponse,
} from '../functions/merchants/schema.ts';
import {
  CaptureBody,
  CaptureResponse,
  CreateOrderBody,
  ListOrdersQuery,
  OrderIdParams,
  OrderListResponse,
  OrderResponse,
  OrderSummaryResponse,
  RefundBody,
  RefundResponse,
} from '../functions/orders/schema.ts';
import {
  ChallengeIdParams,
  ChallengeProof,
  ConfirmTotpBody,
  MfaSessionBody,
  RecoveryCodesResponse,
  StepUpBody,
  StepUpChallengeResponse,
  StepUpTokenResponse,
  TotpEnrollmentResponse,
  TwoFactorStatusResponse,
} from '../functions/twofa/schema.ts';
import {
  AddCardBody,
  CardListQuery,
  CardListResponse,
  CardResponse,
  CardTokenParams,
  DeletedCardResponse,
  RewrapBody,
  RewrapResponse,
} from '../functions/vault/schema.ts';
import {
  CreateWebhookEndpointBody,
  ListWebhookDeliveriesQuery,
  WebhookDeliveryIdParams,
  WebhookDeliveryList,
  WebhookDeliveryResponse,
  WebhookEndpointList,
  WebhookEndpointWithSecretResponse,
} from '../functions/webhooks/schema.ts';

/**
 * THE route table. The CDK API construct builds API Gateway resources and one Lambda function per
 * route from it; the local gateway serves the same routes in-process; the OpenAPI document is
 * generated from it. Handlers are named by entry file and export (strings), so the CDK app never
 * imports handler code.
 */
export type RouteAuth = 'public' | 'merchant' | 'customer' | 'operator';
export type HttpMethod = 'GET' | 'POST' | 'DELETE';

/** Least-privilege grants for the route's function. */
export interface RouteAccess {
  main?: 'read' | 'readwrite';
  vault?: 'read' | 'readwrite';
  /**
   * KMS keys the function may use, and how (the exact actions are in infra/constructs/keys.ts).
   * `vault:rewrap` is KMS ReEncrypt only: it moves card data keys between key versions without
   * ever holding them, so it implies neither `vault:encrypt` nor `vault:decrypt`.
   */
  keys?: Array<'vault:encrypt' | 'vault:decrypt' | 'vault:rewrap' | 'secrets:encrypt' | 'secrets:decrypt'>;
  /** Secrets the function may read. */
  secrets?: Array<'session-signing' | 'fingerprint' | 'otp-pepper' | 'cursor-signing'>;
  /** Sends notifications (SNS/SES in AWS). */
  notify?: boolean;
  /** Collection queues the function sends to (SQS in AWS; infra/constructs/collection.ts). */
  queues?: Array<'collection-shards' | 'collection-charges'>;
}

export interface Route {
  /** Unique, stable; also the Lambda function's logical id. */
  operationId: string;
  method: HttpMethod;
  /** API Gateway style: `/v1/orders/{id}`. */
  path: string;
  entry: string;
  handler: string;
  auth: RouteAuth;
  summary: string;
  tags: string[];
  request?: { body?: ZodType; query?: ZodObject; params?: ZodObject };
  responses: Record<number, { description: string; schema?: ZodType }>;
  access: RouteAccess;
  /** Served by the local runtime only (the sandbox outbox); never deployed. */
  localOnly?: boolean;
  /** Merchant POSTs that require `Idempotency-Key`. */
  idempotent?: boolean;
  /**
   * Needs a `Step-Up-Token` from `POST /v1/me/step-up/{id}/verify`: always, or only above the
   * checkout step-up threshold (documented in the OpenAPI document; enforced by the handler).
   */
  stepUp?: 'required' | 'above_threshold';
}

const merchantsEntry = 'functions/merchants/handler.ts';
const customersEntry = 'functions/customers/handler.ts';
const twofaEntry = 'functions/twofa/handler.ts';
const platformEntry = 'functions/platform/handler.ts';
const webhooksEntry = 'functions/webhooks/handler.ts';
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, { description: 'Error', schema: ErrorResponseSchema }]));

export const routes: Route[] = [
  {
    operationId: 'getHealth',
    method: 'GET',
    path: '/v1/health',
    entry: platformEntry,
    handler: 'health',
    auth: 'public',
    summary: 'Liveness check',
    tags: ['platform'],
    responses: { 200: { description: 'The API is up.', schema: HealthResponse } },
    access: {},
  },
  {
    operationId: 'getOpenApi',
    method: 'GET',
    path: '/v1/openapi.json',
    entry: 'functions/platform/openapi-handler.ts',
    handler: 'openapi',
    auth: 'public',
    summary: 'This OpenAPI 3.1 document',
    tags: ['platform'],
    responses: { 200: { description: 'The OpenAPI document.' } },
    access: {},
  },
  {
    operationId: 'createMerchant',
    method: 'POST',
    path: '/v1/admin/merchants',
    entry: merchantsEntry,
    handler: 'createMerchant',
    auth: 'operator',
    summary: 'Create a merchant; returns its secret API key once',
    tags: ['admin'],
    request: { body: CreateMerchantBody },
    responses: {
      201: { description: 'Created.', schema: MerchantWithKeyResponse },
      ...errors(400, 401, 422),
    },
    access: { main: 'readwrite' },
  },
  {
    operationId: 'suspendMerchant',
    method: 'POST',
    path: '/v1/admin/merchants/{id}/suspend',
    entry: merchantsEntry,
    handler: 'suspendMerchant',
    auth: 'operator',
    summary: 'Suspend a merchant; its API key is refused at once',
    tags: ['admin'],
    request: { params: MerchantIdParams },
    responses: {
      200: { description: 'Suspended.', schema: MerchantResponse },
      ...errors(400, 401, 404, 409),
    },
    access: { main: 'readwrite' },
  },
  {
    operationId: 'activateMerchant',
    method: 'POST',
    path: '/v1/admin/merchants/{id}/activate',
    entry: merchantsEntry,
    handler: 'activateMerchant',
    auth: 'operator',
    summary: 'Activate (or re-activate) a merchant',
    tags: ['admin'],
    request: { params: MerchantIdParams },
    responses: { 200: { description: 'Active.', schema: MerchantResponse }, ...errors(400, 401, 404, 409) },
    access: { main: 'readwrite' },
  },
  {
    operationId: 'rotateMerchantKey',
    method: 'POST',
    path: '/v1/admin/merchants/{id}/keys',
    entry: merchantsEntry,
    handler: 'rotateMerchantKey',
    auth: 'operator',
    summary: 'Rotate the secret API key; the old key stops working at once',
    tags: ['admin'],
    request: { params: MerchantIdParams },
    responses: {
      200: { description: 'Rotated.', schema: MerchantWithKeyResponse },
      ...errors(400, 401, 404, 409),
    },
    access: { main: 'readwrite' },
  },
  {
    operationId: 'getConfig',
    method: 'GET',
    path: '/v1/config',
    entry: merchantsEntry,
    handler: 'getConfig',
    auth: 'merchant',
    summary: 'The plans a merchant may offer, with limits per currency and fees',
    tags: ['merchant'],
    responses: { 200: { description: 'The plan catalogue.', schema: ConfigResponse }, ...errors(401, 403) },
    access: { main: 'read' },
  },
  // Card vault (the CDE). Customer routes also read the session secret (auth and step-up tokens).
  {
    operationId: 'addCard',
    method: 'POST',
    path: '/v1/me/cards',
    entry: 'functions/vault/handler.ts',
    handler: 'addCard',
    auth: 'customer',
    stepUp: 'required',
    summary: 'Save a card (needs an add_card step-up); returns its token, brand, last 4 and expiry',
    tags: ['customer'],
    request: { body: AddCardBody },
    responses: {
      201: { description: 'Tokenized.', schema: CardResponse },
      200: { description: 'The customer already saved this card: its existing token.', schema: CardResponse },
      ...errors(400, 401, 403, 422, 503),
    },
    // GenerateDataKey only: adding a card never decrypts one.
    access: {
      main: 'readwrite',
      vault: 'readwrite',
      keys: ['vault:encrypt'],
      secrets: ['session-signing', 'fingerprint'],
    },
  },
  {
    operationId: 'listCards',
    method: 'GET',
    path: '/v1/me/cards',
    entry: 'functions/vault/handler.ts',
    handler: 'listCards',
    auth: 'customer',
    summary: "The customer's saved cards (brand, last 4, expiry)",
    tags: ['customer'],
    request: { query: CardListQuery },
    responses: { 200: { description: 'Cards.', schema: CardListResponse }, ...errors(400, 401) },
    access: { main: 'read', vault: 'read', secrets: ['session-signing'] },
  },
  {
    operationId: 'deleteCard',
    method: 'DELETE',
    path: '/v1/me/cards/{token}',
    entry: 'functions/vault/handler.ts',
    handler: 'deleteCard',
    auth: 'customer',
    summary: 'Delete a card: crypto-shreds it and tombstones the token',
    tags: ['customer'],
    request: { params: CardTokenParams },
    responses: {
      200: { description: 'Deleted.', schema: DeletedCardResponse },
      ...errors(400, 401, 404, 409),
    },
    // No key use: shredding removes the ciphertext and wrapped key without opening them.
    access: { main: 'readwrite', vault: 'readwrite', secrets: ['session-signing'] },
  },
  {
    operationId: 'rewrapVault',
    method: 'POST',
    path: '/v1/admin/vault/rewrap',
    entry: 'functions/vault/rewrap-handler.ts',
    handler: 'rewrapVault',
    auth: 'operator',
    summary: "Move vault records to the vault key's current version (KMS ReEncrypt); repeat until done",
    tags: ['admin'],
    request: { body: RewrapBody },
    responses: { 200: { description: 'Progress.', schema: RewrapResponse }, ...errors(400, 401, 503) },
    // KMS ReEncrypt only (kms:ReEncryptFrom/To on the vault key): it never sees a data key or a PAN.
    access: { vault: 'readwrite', keys: ['vault:rewrap'] },
  },
  {
    operationId: 'createWebhookEndpoint',
    method: 'POST',
    path: '/v1/webhook-endpoints',
    entry: webhooksEntry,
    handler: 'createWebhookEndpoint',
    auth: 'merchant',
    summary: 'Register (or replace) the webhook endpoint; returns its signing secret once',
    tags: ['webhooks'],
    request: { body: CreateWebhookEndpointBody },
    responses: {
      201: { description: 'Registered.', schema: WebhookEndpointWithSecretResponse },
      ...errors(400, 401, 403, 409, 422),
    },
    // Encrypts the new signing secret, and seals / unseals the stored idempotent response that
    // carries it (idempotency `sensitive`), so a replay needs decrypt too.
    access: { main: 'readwrite', keys: ['secrets:encrypt', 'secrets:decrypt'] },
    idempotent: true,
  },
  {
    operationId: 'listWebhookEndpoints',
    method: 'GET',
    path: '/v1/webhook-endpoints',
    entry: webhooksEntry,
    handler: 'listWebhookEndpoints',
    auth: 'merchant',
    summary: 'The webhook endpoint (never its secret)',
    tags: ['webhooks'],
    responses: { 200: { description: 'Endpoints.', schema: WebhookEndpointList }, ...errors(401, 403) },
    access: { main: 'read' },
  },
  {
    operationId: 'listWebhookDeliveries',
    method: 'GET',
    path: '/v1/admin/webhook-deliveries',
    entry: 'functions/webhooks/deliveries-handler.ts',
    handler: 'listWebhookDeliveries',
    auth: 'operator',
    summary: 'Dead (the DLQ) or skipped webhook deliveries, newest first',
    tags: ['admin'],
    request: { query: ListWebhookDeliveriesQuery },
    responses: { 200: { description: 'Deliveries.', schema: WebhookDeliveryList }, ...errors(400, 401) },
    access: { main: 'read' },
  },
  {
    operationId: 'retryWebhookDelivery',
    method: 'POST',
    path: '/v1/admin/webhook-deliveries/{id}/retry',
    entry: 'functions/webhooks/deliveries-handler.ts',
    handler: 'retryWebhookDelivery',
    auth: 'operator',
    summary: 'Queue a dead or skipped delivery again with a fresh attempt budget (audited)',
    tags: ['admin'],
    request: { params: WebhookDeliveryIdParams },
    responses: {
      200: { description: 'Queued.', schema: WebhookDeliveryResponse },
      ...errors(400, 401, 404, 409),
    },
    access: { main: 'readwrite' },
  },
  // Customers: accounts, sessions, two-factor authentication and step-up (issue 3).
  {
    operationId: 'registerCustomer',
    method: 'POST',
    path: '/v1/customers',
    entry: customersEntry,
    handler: 'registerCustomer',
    auth: 'public',
    summary: 'Register a shopper account (email, password, optional E.164 phone)',
    tags: ['customer'],
    request: { body: RegisterCustomerBody },
    responses: { 201: { description: 'Registered.', schema: CustomerResponse }, ...errors(400, 409) },
    access: { main: 'readwrite', secrets: ['otp-pepper'] },
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
  {
    operationId: 'enrollTotp',
    method: 'POST',
    path: '/v1/me/2fa/totp',
    entry: twofaEntry,
    handler: 'enrollTotp',
    auth: 'customer',
    summary: 'Start TOTP enrollment: returns the secret and otpauth URI (active after confirmation)',
    tags: ['customer'],
    responses: {
      200: { description: 'Pending enrollment.', schema: TotpEnrollmentResponse },
      ...errors(401, 409),
    },
    access: { main: 'readwrite', keys: ['secrets:encrypt'], secrets: ['session-signing'] },
  },
  {
    operationId: 'confirmTotp',
    method: 'POST',
    path: '/v1/me/2fa/totp/confirm',
    entry: twofaEntry,
    handler: 'confirmTotp',
    auth: 'customer',
    summary: 'Confirm TOTP with a first valid code; returns 10 single-use recovery codes once',
    tags: ['customer'],
    request: { body: ConfirmTotpBody },
    responses: {
      200: { description: '2FA is on.', schema: RecoveryCodesResponse },
      ...errors(400, 401, 409, 422),
    },
    access: {
      main: 'readwrite',
      keys: ['secrets:decrypt'],
      secrets: ['session-signing', 'otp-pepper'],
      notify: true,
    },
  },
  {
    operationId: 'disableTwoFactor',
    method: 'POST',
    path: '/v1/me/2fa/disable',
    entry: 'functions/twofa/settings-handler.ts',
    handler: 'disableTwoFactor',
    auth: 'customer',
    stepUp: 'required',
    summary: 'Turn 2FA off (needs a `disable_2fa` step-up token)',
    tags: ['customer'],
    responses: {
      200: { description: '2FA is off.', schema: TwoFactorStatusResponse },
      ...errors(401, 403, 409),
    },
    access: { main: 'readwrite', secrets: ['session-signing'], notify: true },
  },
  {
    operationId: 'regenerateRecoveryCodes',
    method: 'POST',
    path: '/v1/me/2fa/recovery-codes',
    entry: 'functions/twofa/settings-handler.ts',
    handler: 'regenerateRecoveryCodes',
    auth: 'customer',
    stepUp: 'required',
    summary: 'Replace all recovery codes (needs a `regenerate_recovery_codes` step-up token)',
    tags: ['customer'],
    responses: {
      200: { description: 'The new codes, shown once.', schema: RecoveryCodesResponse },
      ...errors(401, 403, 409),
    },
    access: { main: 'readwrite', secrets: ['session-signing', 'otp-pepper'], notify: true },
  },
  {
    operationId: 'startStepUp',
    method: 'POST',
    path: '/v1/me/step-up',
    entry: 'functions/twofa/step-up-handler.ts',
    handler: 'startStepUp',
    auth: 'customer',
    summary: 'Start a step-up for one action (and for money, one amount and payee)',
    tags: ['customer'],
    request: { body: StepUpBody },
    responses: {
      201: { description: 'The challenge to answer.', schema: StepUpChallengeResponse },
      ...errors(400, 401, 429, 503),
    },
    access: { main: 'readwrite', secrets: ['session-signing', 'otp-pepper'], notify: true },
  },
  {
    operationId: 'verifyStepUp',
    method: 'POST',
    path: '/v1/me/step-up/{challengeId}/verify',
    entry: 'functions/twofa/step-up-verify-handler.ts',
    handler: 'verifyStepUp',
    auth: 'customer',
    summary: 'Answer a step-up challenge; returns a 5-minute, single-use step-up token',
    tags: ['customer'],
    request: { body: ChallengeProof, params: ChallengeIdParams },
    responses: {
      200: { description: 'Verified.', schema: StepUpTokenResponse },
      ...errors(400, 401, 404, 409, 422, 429),
    },
    access: {
      main: 'readwrite',
      keys: ['secrets:decrypt'],
      secrets: ['session-signing', 'otp-pepper'],
      notify: true,
    },
  },
  // Checkout and orders (issue 5). Money-moving order routes have their own bundle (capture-handler).
  {
    operationId: 'createCheckoutSession',
    method: 'POST',
    path: '/v1/checkout-sessions',
    entry: 'functions/checkout/handler.ts',
    handler: 'createCheckoutSession',
    auth: 'merchant',
    summary: 'Open a checkout session (48 h) for an amount; offers the plans whose limits admit it',
    tags: ['checkout'],
    request: { body: CreateCheckoutSessionBody },
    responses: {
      201: { description: 'Created.', schema: CheckoutSessionResponse },
      ...errors(400, 401, 403, 409, 422),
    },
    access: { main: 'readwrite' },
    idempotent: true,
  },
  {
    operationId: 'authorizeCheckoutSession',
    method: 'POST',
    path: '/v1/checkout-sessions/{id}/authorize',
    entry: 'functions/checkout/handler.ts',
    handler: 'authorizeCheckoutSession',
    auth: 'customer',
    stepUp: 'above_threshold',
    summary: 'Shopper approval with a plan and a saved card: a 60-minute, single-use authorizationToken',
    tags: ['customer', 'checkout'],
    request: { body: AuthorizeCheckoutBody, params: CheckoutSessionParams },
    responses: {
      200: { description: 'Approved.', schema: CheckoutAuthorizationResponse },
      ...errors(400, 401, 403, 404, 409, 422),
    },
    // Reads the card summary (brand, last 4, expiry) from the vault table; never decrypts.
    access: { main: 'readwrite', vault: 'read', secrets: ['session-signing'] },
  },
  {
    operationId: 'createOrder',
    method: 'POST',
    path: '/v1/orders',
    entry: 'functions/orders/handler.ts',
    handler: 'createOrder',
    auth: 'merchant',
    summary: 'Turn an authorizationToken into an authorized order with its schedule preview',
    tags: ['orders'],
    request: { body: CreateOrderBody },
    responses: {
      201: { description: 'Created.', schema: OrderResponse },
      ...errors(400, 401, 403, 409, 422),
    },
    access: { main: 'readwrite' },
    idempotent: true,
  },
  {
    operationId: 'listOrders',
    method: 'GET',
    path: '/v1/orders',
    entry: 'functions/orders/handler.ts',
    handler: 'listOrders',
    auth: 'merchant',
    summary: "The merchant's orders, newest first, with an opaque cursor",
    tags: ['orders'],
    request: { query: ListOrdersQuery },
    responses: { 200: { description: 'Orders.', schema: OrderListResponse }, ...errors(400, 401, 403) },
    // Cursors are HMAC-bound to the merchant under their own secret (functions/orders/cursor.ts).
    access: { main: 'read', secrets: ['cursor-signing'] },
  },
  {
    operationId: 'getOrder',
    method: 'GET',
    path: '/v1/orders/{id}',
    entry: 'functions/orders/handler.ts',
    handler: 'getOrder',
    auth: 'merchant',
    summary: 'An order with its captures, installments and refunds',
    tags: ['orders'],
    request: { params: OrderIdParams },
    responses: { 200: { description: 'The order.', schema: OrderResponse }, ...errors(400, 401, 403, 404) },
    access: { main: 'read' },
  },
  {
    operationId: 'captureOrder',
    method: 'POST',
    path: '/v1/orders/{id}/captures',
    entry: 'functions/orders/capture-handler.ts',
    handler: 'captureOrder',
    auth: 'merchant',
    summary: 'Capture (partial and multiple, up to the authorization); the installments due now are charged',
    tags: ['orders'],
    request: { body: CaptureBody, params: OrderIdParams },
    responses: {
      201: { description: 'Captured.', schema: CaptureResponse },
      ...errors(400, 401, 403, 404, 409, 422),
    },
    // The sandbox processor detokenizes the card to charge the first installment (audited in the vault).
    access: { main: 'readwrite', vault: 'readwrite', keys: ['vault:decrypt'] },
    idempotent: true,
  },
  {
    operationId: 'refundOrder',
    method: 'POST',
    path: '/v1/orders/{id}/refunds',
    entry: 'functions/orders/capture-handler.ts',
    handler: 'refundOrder',
    auth: 'merchant',
    summary: 'Refund a capture, last installment first; returns a per-installment breakdown',
    tags: ['orders'],
    request: { body: RefundBody, params: OrderIdParams },
    responses: {
      201: { description: 'Refunded.', schema: RefundResponse },
      ...errors(400, 401, 403, 404, 409, 422),
    },
    access: { main: 'readwrite' },
    idempotent: true,
  },
  {
    operationId: 'cancelOrder',
    method: 'POST',
    path: '/v1/orders/{id}/cancel',
    entry: 'functions/orders/handler.ts',
    handler: 'cancelOrder',
    auth: 'merchant',
    summary: 'Cancel an order with nothing captured (releases the authorization)',
    tags: ['orders'],
    request: { params: OrderIdParams },
    responses: {
      200: { description: 'Cancelled.', schema: OrderSummaryResponse },
      ...errors(400, 401, 403, 404, 409, 422),
    },
    access: { main: 'readwrite' },
    idempotent: true,
  },
  {
    operationId: 'extendOrderAuthorization',
    method: 'POST',
    path: '/v1/orders/{id}/extend-authorization',
    entry: 'functions/orders/handler.ts',
    handler: 'extendOrderAuthorization',
    auth: 'merchant',
    summary: 'Extend the authorization by 28 days, up to 180 days after the order was created',
    tags: ['orders'],
    request: { params: OrderIdParams },
    responses: {
      200: { description: 'Extended.', schema: OrderSummaryResponse },
      ...errors(400, 401, 403, 404, 409, 422),
    },
    access: { main: 'readwrite' },
    idempotent: true,
  },
  // Collection (issue 10): the operator's run of the collection pipeline.
  {
    operationId: 'runCollection',
    method: 'POST',
    path: '/v1/admin/collections',
    entry: 'functions/collection/handler.ts',
    handler: 'runCollection',
    auth: 'operator',
    summary:
      'Collect every installment due on or before asOf: locally synchronous with the counts (200), in AWS dispatched (202)',
    tags: ['admin'],
    request: { body: RunCollectionBody },
    responses: {
      200: { description: 'The run, completed (local runtime).', schema: CollectionRunResponse },
      202: {
        description: 'The run, dispatched to the collection queues (AWS).',
        schema: CollectionRunResponse,
      },
      ...errors(400, 401),
    },
    // Reads the due index, writes the run and the watermark, sends shard messages. No vault, no card.
    access: { main: 'readwrite', queues: ['collection-shards'] },
  },
  {
    operationId: 'getCollectionRun',
    method: 'GET',
    path: '/v1/admin/collections/{runId}',
    entry: 'functions/collection/handler.ts',
    handler: 'getCollectionRun',
    auth: 'operator',
    summary: 'A collection run and its counts (they grow while an AWS run drains)',
    tags: ['admin'],
    request: { params: CollectionRunParams },
    responses: { 200: { description: 'The run.', schema: CollectionRunResponse }, ...errors(400, 401, 404) },
    access: { main: 'read' },
  },
];
