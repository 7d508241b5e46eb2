import {
  AuthorizeCheckoutBody,
  CheckoutAuthorizationResponse,
  CheckoutSessionDetails,
  CheckoutSessionParams,
  CheckoutSessionResponse,
  CreateCheckoutSessionBody,
} from '../../functions/checkout/schema.ts';
import type { Route } from './route.ts';

/** Checkout session routes: their functions form the `checkout` nested stack (`functions/checkout/…`). */
export const checkoutRoutes: Route[] = [
  // Checkout and orders (issue 5). Money-moving order routes have their own bundle (capture-handler).
  {
    operationId: 'createCheckoutSession',
    method: 'POST',
    path: '/v1/checkout-sessions',
    entry: 'functions/checkout/handler.ts',
    handler: 'createCheckoutSession',
    auth: 'merchant',
    summary: 'Open a checkout session (48 h) for an amount; offers the plans whose limits admit it',
    description:
      "The response's `url` is the hosted checkout page: redirect the shopper there. After the approval the page sends the shopper to `successUrl?checkout_session_id=cs_…`; read the approval with `GET /v1/checkout-sessions/{id}`. A cancelling shopper goes to `cancelUrl`.",
    tags: ['checkout'],
    request: { body: CreateCheckoutSessionBody },
    responses: {
      201: { description: 'Created.', schema: CheckoutSessionResponse },
    },
    errors: [
      'return_url_insecure',
      'amount_too_small',
      'order_lines_mismatch',
      'amount_out_of_range',
      'currency_not_offered',
      'plan_not_offered',
      'concurrent_update',
    ],
    access: { main: 'readwrite' },
    idempotent: true,
  },
  {
    operationId: 'getCheckoutSession',
    method: 'GET',
    path: '/v1/checkout-sessions/{id}',
    entry: 'functions/checkout/handler.ts',
    handler: 'getCheckoutSession',
    auth: 'merchant',
    summary: "A checkout session, with the shopper's approval (its authorizationToken) once given",
    description:
      "Read it when the shopper lands on your successUrl, then redeem `approval.authorizationToken` with `POST /v1/orders`. Another merchant's session is 404.",
    tags: ['checkout'],
    request: { params: CheckoutSessionParams },
    responses: { 200: { description: 'The session.', schema: CheckoutSessionDetails } },
    errors: ['resource_missing'],
    access: { main: 'read', secrets: ['session-signing'] },
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
    },
    // Reads the card summary (brand, last 4, expiry) from the vault table; never decrypts.
    errors: [
      'resource_missing',
      'client_token_invalid',
      'merchant_unavailable',
      'checkout_session_approved',
      'checkout_session_completed',
      'checkout_session_expired',
      'plan_not_offered',
      'amount_out_of_range',
      'term_not_offered',
      'term_out_of_range',
      'apr_out_of_range',
      'card_expired',
      'risk_declined',
      'risk_review_hold',
      'credit_limit_exceeded',
      'concurrent_update',
    ],
    // Account monitoring reads and adds to its aggregates (main table); device and IP are keyed
    // hashes under the identifier key (otp-pepper).
    access: { main: 'readwrite', vault: 'read', secrets: ['session-signing', 'otp-pepper'] },
  },
];
