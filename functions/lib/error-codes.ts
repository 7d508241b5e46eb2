/**
 * THE catalogue of error codes: every `error.code` the API can answer, with the HTTP statuses it
 * comes with and what it means. The error constructors in ./errors.ts accept only codes listed here,
 * and only with a listed status (`badRequest` takes a code with 400, `conflict` one with 409, ...),
 * so the compiler keeps this catalogue complete; the OpenAPI document takes the `code` enum and each
 * code's description from it. A new code is one line here.
 */
export const ERROR_CODES = {
  // 400: the request does not match its schema.
  parameter_invalid: { statuses: [400], description: 'A parameter has the wrong type, format or range.' },
  parameter_missing: { statuses: [400], description: 'A required parameter (or the JSON body) is missing.' },
  parameter_unknown: { statuses: [400], description: 'A parameter the operation does not take.' },
  invalid_json: { statuses: [400], description: 'The body is not valid JSON.' },
  unsupported_content_type: { statuses: [400], description: 'The body is not `application/json`.' },
  idempotency_key_missing: {
    statuses: [400],
    description: 'This operation needs an `Idempotency-Key` header.',
  },
  idempotency_key_invalid: {
    statuses: [400],
    description: '`Idempotency-Key` must be 1–255 printable ASCII.',
  },
  invalid_amount: {
    statuses: [400],
    description: 'An amount is not a safe non-negative integer of minor units.',
  },
  currency_unsupported: { statuses: [400], description: 'Not a supported ISO 4217 currency code.' },
  header_repeated: {
    statuses: [400],
    description: 'A security header (Authorization, Idempotency-Key, Step-Up-Token) was sent more than once.',
  },
  malformed_request: { statuses: [400], description: 'The path or query cannot be decoded (bad %-escape).' },
  return_url_insecure: {
    statuses: [400],
    description:
      '`successUrl` / `cancelUrl` must be https (http on a loopback host in the local sandbox only), without credentials or fragment.',
  },
  // 400: a rule beyond the schema, stated in the operation's description.
  vault_key_not_configured: { statuses: [400], description: '`targetKeyId` is not a configured vault key.' },
  invalid_cursor: {
    statuses: [400],
    description: '`startingAfter` is not a cursor this list returned to you.',
  },
  invalid_date: { statuses: [400], description: 'Not a calendar date (YYYY-MM-DD).' },
  as_of_in_future: {
    statuses: [400],
    description: 'A collection run may look at most one day past today (`asOf`).',
  },
  as_of_too_old: {
    statuses: [400],
    description: 'A collection run may reach at most 366 days before today (`asOf`).',
  },
  invalid_term: { statuses: [400], description: 'The term is not a whole number of months.' },
  invalid_apr: { statuses: [400], description: 'The APR is not a whole number of basis points.' },
  invalid_payments: { statuses: [400], description: 'The payment stream for the APR is empty or malformed.' },
  password_too_weak: {
    statuses: [400],
    description: 'The password is common, repetitive or sequential, digits only, or contains the email.',
  },
  pan_not_allowed: {
    statuses: [400],
    description: 'A card number in a free-text field; send cards to the vault.',
  },
  callback_signature_invalid: {
    statuses: [400],
    description: 'The provider callback is unsigned, forged, or signed more than 5 minutes from now.',
  },
  order_lines_mismatch: {
    statuses: [400],
    description:
      'The order data breaks a rule: a line whose totals do not add up (`param` names the first), or lines that do not sum to the amount, shippingAmount or taxAmount.',
  },
  // 401
  unauthorized: { statuses: [401], description: 'Missing or invalid credentials.' },
  session_invalid: { statuses: [401], description: 'The session token is invalid, expired or revoked.' },
  invalid_credentials: { statuses: [401], description: 'The email or password is incorrect.' },
  // 403
  merchant_suspended: { statuses: [403], description: 'The merchant account is suspended.' },
  merchant_inactive: { statuses: [403], description: 'The merchant account is not active.' },
  merchant_pending_review: {
    statuses: [403],
    description:
      'The merchant account awaits its compliance review (KYB): it may read and set up, not take payments.',
  },
  merchant_rejected: { statuses: [403], description: 'The merchant account failed its compliance review.' },
  client_token_invalid: {
    statuses: [403],
    description: "The checkout session's client token is missing or does not match.",
  },
  step_up_required: { statuses: [403], description: 'This request needs a `Step-Up-Token`.' },
  step_up_invalid: {
    statuses: [403],
    description: 'The step-up token is invalid, expired, used, or bound to another action or amount.',
  },
  identity_not_verified: {
    statuses: [403],
    description: 'This needs a verified identity (KYC `verified`, unexpired); the message names the status.',
  },
  account_flagged: {
    statuses: [403],
    description:
      'The account has an open high-severity flag; money cannot leave it until an operator resolves it.',
  },
  // 404, 405, 413
  resource_missing: { statuses: [404], description: 'No such object (or it belongs to someone else).' },
  route_not_found: { statuses: [404], description: 'No route matches the path.' },
  method_not_allowed: { statuses: [405], description: 'The path does not take this method.' },
  body_too_large: { statuses: [413], description: 'The body exceeds 64 KiB.' },
  // 409
  concurrent_update: { statuses: [409], description: 'Changed by another request meanwhile; retry.' },
  idempotency_request_in_progress: {
    statuses: [409],
    description: 'A request with this `Idempotency-Key` is still in flight; retry later.',
  },
  challenge_busy: { statuses: [409], description: 'Another check of this challenge is in progress.' },
  two_factor_already_enabled: { statuses: [409], description: 'Two-factor authentication is already on.' },
  two_factor_not_enabled: { statuses: [409, 422], description: 'Two-factor authentication is not on.' },
  enrollment_missing: { statuses: [409], description: 'Start a TOTP enrollment first.' },
  delivery_not_retryable: { statuses: [409], description: 'Only dead or skipped deliveries can be retried.' },
  installment_charging: { statuses: [409], description: 'An installment is being charged; retry shortly.' },
  contact_already_verified: { statuses: [409], description: 'This email or phone is already verified.' },
  contact_changed: {
    statuses: [409],
    description: 'The email or phone changed since the code was sent; start again.',
  },
  email_unavailable: { statuses: [409], description: 'Another account uses this email.' },
  identity_verification_in_progress: {
    statuses: [409],
    description: 'A verification is `pending` or `in_review`; wait for its decision.',
  },
  identity_already_verified: { statuses: [409], description: 'The identity is already verified.' },
  identity_verification_decided: {
    statuses: [409],
    description: 'The verification was already decided; a provider decides only `pending` ones.',
  },
  identity_not_in_review: {
    statuses: [409],
    description: 'Only an `in_review` verification takes an operator decision.',
  },
  callback_replayed: { statuses: [409], description: 'This provider callback event was already received.' },
  merchant_not_pending_review: {
    statuses: [409],
    description: 'Only a merchant in `pending_review` can be rejected or sent to a KYB check.',
  },
  kyb_check_decided: { statuses: [409], description: 'The KYB check already has its decision.' },
  // 422: a business rule.
  insufficient_balance: {
    statuses: [422],
    description: 'The amount is more than your balance in that currency.',
  },
  credit_application_limit: {
    statuses: [422],
    description: 'At most 3 credit applications per 30 days.',
  },
  credit_limit_exceeded: {
    statuses: [422],
    description: 'The amount is above the credit limit your credit application approved.',
  },
  payout_failed: {
    statuses: [422],
    description: 'The payout to the card was refused; your balance is unchanged.',
  },
  idempotency_key_reused: {
    statuses: [422],
    description: 'This `Idempotency-Key` was used with a different request.',
  },
  card_funds_open_orders: {
    statuses: [422],
    description: 'The card pays an open order: set another card on the order first.',
  },
  order_not_payable: { statuses: [422], description: 'The order has nothing a payoff could collect.' },
  order_closed: { statuses: [422], description: 'The order is finished; its card cannot change.' },
  card_declined_hard: {
    statuses: [422],
    description: "The order's card was declined for good (lost, stolen, closed): set another card first.",
  },
  due_date_already_extended: { statuses: [422], description: 'The one due-date extension was used.' },
  due_date_not_extendable: {
    statuses: [422],
    description: 'The order is not `captured`, or its next installment is already being collected.',
  },
  payment_in_progress: { statuses: [409], description: 'A charge of the order is in flight; retry shortly.' },
  card_declined: { statuses: [402], description: 'The card was declined by the processor.' },
  risk_declined: {
    statuses: [402],
    description: 'Account monitoring declined the request (which rule is not disclosed).',
  },
  risk_review_hold: {
    statuses: [403],
    description: 'Account monitoring holds the request for review by an operator.',
  },
  amount_too_small: { statuses: [422], description: 'The amount is below 1 minor unit.' },
  amount_too_large: { statuses: [422], description: 'The amount is too large to schedule.' },
  amount_out_of_range: { statuses: [422], description: "The amount is outside the plan's limits." },
  currency_not_offered: { statuses: [422], description: 'No plan offered here accepts this currency.' },
  plan_not_offered: { statuses: [422], description: 'The plan is not offered here.' },
  term_not_offered: { statuses: [422], description: 'The plan does not offer this term.' },
  term_out_of_range: { statuses: [422], description: 'The term is outside what the plan allows.' },
  apr_out_of_range: { statuses: [422], description: 'The APR is outside the allowed range.' },
  apr_undefined: { statuses: [422], description: 'No APR exists for these payments.' },
  checkout_session_completed: { statuses: [422], description: 'The checkout session already has an order.' },
  checkout_session_approved: { statuses: [422], description: 'The checkout session was already approved.' },
  merchant_unavailable: { statuses: [422], description: "The merchant can't take orders now (suspended)." },
  checkout_session_expired: { statuses: [422], description: 'The checkout session has expired.' },
  authorization_token_invalid: {
    statuses: [422],
    description: 'Not an authorization token of this merchant.',
  },
  authorization_token_expired: { statuses: [422], description: 'The authorization token has expired.' },
  authorization_token_used: { statuses: [422], description: 'The authorization token was already used.' },
  authorization_expired: { statuses: [422], description: 'The authorization has expired.' },
  customer_token_invalid: {
    statuses: [422],
    description: "Not a customer token of this merchant (unknown, another merchant's, or the other mode).",
  },
  customer_token_revoked: {
    statuses: [422],
    description: 'The shopper revoked the agreement behind this customer token; it charges nothing more.',
  },
  amount_above_agreement_max: {
    statuses: [422],
    description: "The amount is above the agreement's maximum per charge (or in another currency).",
  },
  agreement_not_requested: {
    statuses: [422],
    description: 'The checkout session asks for no recurring agreement.',
  },
  agreement_already_approved: {
    statuses: [422],
    description: "The checkout session's agreement was approved by another shopper.",
  },
  agreement_revoked: { statuses: [422], description: 'The agreement is revoked; it cannot change.' },
  cadence_not_agreed: {
    statuses: [422],
    description: "The subscription's interval is not the cadence the shopper agreed to.",
  },
  start_date_out_of_range: {
    statuses: [422],
    description: "A subscription's startDate must be from today to 365 days ahead.",
  },
  subscription_status_invalid: {
    statuses: [422],
    description:
      "The subscription's status does not allow this (e.g. resume an active one, change a canceled one).",
  },
  authorization_not_extendable: { statuses: [422], description: 'The authorization cannot be extended now.' },
  authorization_extension_limit: { statuses: [422], description: 'Extended to the 180-day limit already.' },
  capture_exceeds_authorization: { statuses: [422], description: 'More than is left to capture.' },
  nothing_to_release: {
    statuses: [422],
    description: 'No authorization is left to release (nothing captured yet: cancel; or nothing left).',
  },
  authorization_increase_not_allowed: {
    statuses: [422],
    description:
      "The amount can only be reduced; a higher amount needs the shopper's fresh approval (a new checkout).",
  },
  amount_below_captured: {
    statuses: [422],
    description: 'The new amount is below what was already captured.',
  },
  order_not_updatable: {
    statuses: [422],
    description: 'Only an order with an open authorization can be updated.',
  },
  order_version_mismatch: {
    statuses: [409],
    description: 'The order is no longer at the `version` sent; read it again and retry.',
  },
  too_many_webhook_endpoints: {
    statuses: [422],
    description: 'The merchant has the maximum number of webhook endpoints.',
  },
  webhook_endpoint_disabled: { statuses: [422], description: 'The webhook endpoint is disabled.' },
  too_many_captures: { statuses: [422], description: 'The order has its maximum number of captures.' },
  order_not_capturable: { statuses: [422], description: 'The order is not in a state that can be captured.' },
  order_not_refundable: { statuses: [422], description: 'The order is not in a state that can be refunded.' },
  order_not_cancellable: {
    statuses: [422],
    description: 'Only an order with nothing captured can be cancelled.',
  },
  nothing_to_refund: { statuses: [422], description: 'Nothing was captured; cancel instead.' },
  refund_too_large: { statuses: [422], description: 'More than was captured and not yet refunded.' },
  refund_exceeds_refundable: { statuses: [422], description: 'More than the capture has left to refund.' },
  invalid_installment: { statuses: [422], description: 'The installment cannot take this change.' },
  card_expired: { statuses: [422], description: 'The card has expired.' },
  expired_card: { statuses: [422], description: 'The card has expired.' },
  invalid_number: { statuses: [422], description: 'Not a valid card number (digits, length, Luhn).' },
  card_brand_unsupported: { statuses: [422], description: 'This card brand is not supported.' },
  invalid_expiry_month: { statuses: [422], description: 'The expiry month must be 1–12.' },
  invalid_expiry_year: { statuses: [422], description: 'The expiry year is not valid.' },
  invalid_cvc: { statuses: [422], description: 'The security code has the wrong length for this card.' },
  code_invalid: { statuses: [422], description: 'The code is not valid.' },
  challenge_expired: { statuses: [422], description: 'The challenge has expired; start a new one.' },
  challenge_used: { statuses: [422], description: 'The challenge was already completed.' },
  challenge_attempts_exceeded: { statuses: [422], description: 'Too many wrong codes for this challenge.' },
  enrollment_attempts_exceeded: { statuses: [422], description: 'Too many wrong codes; enroll again.' },
  recovery_code_not_allowed: {
    statuses: [422],
    description: 'A recovery code cannot answer this challenge.',
  },
  contact_unverified: {
    statuses: [422],
    description: 'No verified email or phone can receive the code; verify one first.',
  },
  contact_missing: { statuses: [422], description: 'The account has no phone number to verify.' },
  contact_unchanged: {
    statuses: [422],
    description: 'The new email or phone is the one already on the account.',
  },
  current_password_incorrect: { statuses: [422], description: 'The current password is not correct.' },
  password_reset_invalid: {
    statuses: [422],
    description: 'The password reset code is invalid, expired or already used.',
  },
  webhook_url_insecure: { statuses: [422], description: 'The webhook URL must use https.' },
  webhook_url_forbidden: {
    statuses: [422],
    description: 'The webhook URL is malformed, has credentials, or points at a private address.',
  },
  order_disputed: {
    statuses: [422],
    description: 'The order is disputed: payments on it are paused until the dispute is resolved.',
  },
  order_not_disputable: {
    statuses: [422],
    description: 'Only an order with captured money (captured, in arrears, paid off) can be disputed.',
  },
  dispute_resolved: {
    statuses: [422],
    description: 'The dispute is already resolved (with another outcome).',
  },
  evidence_limit_reached: {
    statuses: [422],
    description: 'The dispute holds its maximum of evidence submissions.',
  },
  conversation_closed: { statuses: [422], description: 'The support conversation is closed.' },
  // 429
  rate_limited: { statuses: [429], description: 'Too many requests; retry after `Retry-After` seconds.' },
  two_factor_locked: { statuses: [429], description: 'Too many wrong codes; wait before trying again.' },
  // Answered by API Gateway itself in a deployed stack (infra/constructs/api.ts), never locally.
  invalid_body: { statuses: [400], description: 'Deployed: the body does not match the request model.' },
  invalid_parameters: { statuses: [400], description: 'Deployed: a required parameter is missing.' },
  request_rejected: { statuses: [400, 403, 404], description: 'Deployed: API Gateway refused the request.' },
  request_blocked: { statuses: [403], description: 'Deployed: blocked by the web application firewall.' },
  forbidden: { statuses: [403], description: 'Deployed: the IAM caller may not call this route.' },
  not_found_or_unauthenticated: {
    statuses: [403],
    description: 'Deployed: no such route, or the route needs SigV4 credentials.',
  },
  invalid_signature: { statuses: [403], description: 'Deployed: the SigV4 signature does not match.' },
  expired_credentials: { statuses: [403], description: 'Deployed: the SigV4 credentials have expired.' },
  quota_exceeded: { statuses: [429], description: "Deployed: the API key's usage-plan quota is spent." },
  usage_key_invalid: {
    statuses: [403],
    description:
      'The `x-api-key` usage key is missing, unknown or revoked (merchant routes, where usage keys are required; ' +
      'answered by the gateway, before the secret key is checked).',
  },
  // 5xx: never the answer to an input; a dependency failed.
  internal_error: { statuses: [500], description: 'An internal error (logged; no details are returned).' },
  decryption_failed: { statuses: [500], description: 'Stored data could not be decrypted.' },
  bad_gateway: { statuses: [502], description: 'The function behind the route failed to respond.' },
  service_unavailable: { statuses: [503], description: 'A dependency is unavailable; retry shortly.' },
} as const satisfies Record<string, { statuses: readonly number[]; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes that may come with `status`: what `badRequest` (400), `conflict` (409), … accept. */
export type ErrorCodeFor<S extends number> = {
  [K in ErrorCode]: S extends (typeof ERROR_CODES)[K]['statuses'][number] ? K : never;
}[ErrorCode];

/** The statuses of a code (a code with more than one is answered with each in different cases). */
export function statusesOf(code: ErrorCode): readonly number[] {
  return ERROR_CODES[code].statuses;
}

/** Whether `value` is a catalogued code that may come with `status`. */
export function isErrorCodeFor<S extends number>(value: unknown, status: S): value is ErrorCodeFor<S> {
  return (
    typeof value === 'string' &&
    Object.hasOwn(ERROR_CODES, value) &&
    (ERROR_CODES[value as ErrorCode].statuses as readonly number[]).includes(status)
  );
}
