import {
  AuthorizeCheckoutBody,
  CheckoutAuthorizationResponse,
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
    tags: ['checkout'],
    request: { body: CreateCheckoutSessionBody },
    responses: {
      201: { description: 'Created.', schema: CheckoutSessionResponse },
    },
    errors: [
      'amount_too_small',
      'amount_out_of_range',
      'currency_not_offered',
      'plan_not_offered',
      'concurrent_update',
    ],
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
      'plan_not_schedulable',
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
