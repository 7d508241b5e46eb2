import type { Route, RouteAccess } from './route.ts';

/**
 * The hosted pages (HTML for people; docs/adr/0023-hosted-pages.md): the checkout a merchant sends
 * the shopper to, and the shopper portal. Served by the same API (CDK) and the same local gateway,
 * but not part of the JSON API: they are kept out of `routes` (and so out of the OpenAPI document
 * and the JSON route tests). `auth: 'public'`: the page authenticates the shopper by its
 * session cookie and calls the API's own handlers in-process, with the API's checks.
 * Grants are the union of what the API routes a page calls need.
 */
const SIGN_IN: RouteAccess = {
  main: 'readwrite',
  vault: 'read',
  keys: ['secrets:decrypt'],
  secrets: ['session-signing', 'otp-pepper', 'cursor-signing'],
  notify: true,
};

/** Adding a card: the vault's own grants (the card number reaches only this function and the vault). */
const ADD_CARD: RouteAccess = {
  main: 'readwrite',
  vault: 'readwrite',
  keys: ['vault:encrypt', 'secrets:decrypt'],
  secrets: ['session-signing', 'fingerprint', 'otp-pepper'],
  notify: true,
};

/** Paying off charges the card: the payoff route's grants (the processor detokenizes, audited). */
const PAYOFF: RouteAccess = {
  main: 'readwrite',
  vault: 'readwrite',
  keys: ['vault:decrypt'],
  secrets: ['session-signing', 'otp-pepper'],
};

/** The portal's own forms: sign-in, 2FA changes (TOTP secrets encrypted and read), cards, orders. */
const PORTAL: RouteAccess = {
  main: 'readwrite',
  vault: 'readwrite',
  keys: ['secrets:encrypt', 'secrets:decrypt'],
  secrets: ['session-signing', 'otp-pepper', 'cursor-signing'],
  notify: true,
};

const page = (
  operationId: string,
  method: 'GET' | 'POST',
  path: string,
  entry: string,
  summary: string,
  access: RouteAccess,
): Route => ({
  operationId,
  method,
  path,
  entry: `functions/pages/${entry}`,
  handler: operationId,
  auth: 'public',
  summary,
  tags: ['pages'],
  responses: { 200: { description: 'An HTML page.' } },
  access,
});

export const pageRoutes: Route[] = [
  page('showCheckout', 'GET', '/pay/{token}', 'checkout-handler.ts', 'The hosted checkout page', SIGN_IN),
  page('checkoutAction', 'POST', '/pay/{token}', 'checkout-handler.ts', 'The hosted checkout forms', SIGN_IN),
  page(
    'checkoutCard',
    'POST',
    '/pay/{token}/card',
    'card-handler.ts',
    'Add a card during checkout',
    ADD_CARD,
  ),
  page('showAccount', 'GET', '/account', 'account-handler.ts', 'The shopper portal', SIGN_IN),
  page('accountAction', 'POST', '/account', 'account-handler.ts', 'The shopper portal forms', PORTAL),
  page('accountCard', 'POST', '/account/cards', 'card-handler.ts', 'Add a card from the portal', ADD_CARD),
  page('accountPayoff', 'POST', '/account/payoff', 'payoff-handler.ts', 'Pay off an order', PAYOFF),
];
