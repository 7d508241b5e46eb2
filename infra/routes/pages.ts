import type { Route, RouteAccess } from './route.ts';

/**
 * The hosted pages (HTML for people; docs/adr/0023-hosted-pages.md): the checkout a merchant sends
 * the shopper to, and the shopper portal. Served by the same API (CDK) and the same local gateway,
 * but not part of the JSON API: they are kept out of `routes` (and so out of the OpenAPI document
 * and the JSON route tests). `auth: 'public'`: the page authenticates the shopper by its
 * session cookie and calls the API's own handlers in-process, with the API's checks.
 * Grants are the union of what the API routes a page calls need.
 */
const READ_PAGE: RouteAccess = {
  main: 'read',
  vault: 'read',
  secrets: ['session-signing', 'cursor-signing'],
};

/** Sign-in, registration and step-up codes: they notify, so they never touch the vault (CDE). */
const NOTIFY_PAGE: RouteAccess = {
  main: 'readwrite',
  keys: ['secrets:encrypt', 'secrets:decrypt'],
  secrets: ['session-signing', 'otp-pepper'],
  notify: true,
};

/** The approval: the authorize route's grants (the card summary from the vault; risk hashes). */
const APPROVE: RouteAccess = {
  main: 'readwrite',
  vault: 'read',
  secrets: ['session-signing', 'otp-pepper'],
};

/** Saving, deleting and moving cards: the vault route's grants (the number reaches only this function). */
const CARDS: RouteAccess = {
  main: 'readwrite',
  vault: 'readwrite',
  keys: ['vault:encrypt'],
  secrets: ['session-signing', 'fingerprint', 'cursor-signing', 'otp-pepper'],
};

/** The support channel: the support routes' grants (messages encrypted under the secrets key); no vault. */
const SUPPORT: RouteAccess = {
  main: 'readwrite',
  keys: ['secrets:encrypt', 'secrets:decrypt'],
  secrets: ['session-signing', 'cursor-signing'],
};

/** Paying off: the payoff route's grants (the charger charges; this function only queues). */
const PAYOFF: RouteAccess = {
  main: 'readwrite',
  secrets: ['session-signing', 'cursor-signing'],
  queues: ['collection-charges'],
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

/**
 * A function that reads the vault runs in the cardholder data environment and may not notify, so the
 * pages split by grant: the GET pages (saved cards), the forms that send codes (no vault), and the
 * approval, card and payoff forms (vault, no notification).
 */
export const pageRoutes: Route[] = [
  page('showCheckout', 'GET', '/pay/{token}', 'checkout-handler.ts', 'The hosted checkout page', READ_PAGE),
  page('checkoutAction', 'POST', '/pay/{token}', 'checkout-handler.ts', 'Sign-in and codes', NOTIFY_PAGE),
  page('checkoutApprove', 'POST', '/pay/{token}/approve', 'checkout-approve-handler.ts', 'Approve', APPROVE),
  page('checkoutCard', 'POST', '/pay/{token}/card', 'card-handler.ts', 'Save a card during checkout', CARDS),
  page('showAccount', 'GET', '/account', 'account-handler.ts', 'The shopper portal', READ_PAGE),
  page('accountAction', 'POST', '/account', 'account-handler.ts', 'Sign-in, codes and 2FA', NOTIFY_PAGE),
  page('accountCard', 'POST', '/account/cards', 'card-handler.ts', 'Save, delete or move cards', CARDS),
  page('accountPayoff', 'POST', '/account/payoff', 'payoff-handler.ts', 'Pay off an order', PAYOFF),
  page('showSupport', 'GET', '/account/support', 'support-handler.ts', 'Support conversations', SUPPORT),
  page('supportAction', 'POST', '/account/support', 'support-handler.ts', 'Open or reply', SUPPORT),
  // The local sandbox's outbox as a page (one-time codes for a person trying the pages); never deployed.
  {
    ...page('showOutbox', 'GET', '/outbox', 'outbox-handler.ts', 'Sandbox outbox', {
      main: 'read',
      secrets: ['session-signing'],
    }),
    localOnly: true,
  },
];
