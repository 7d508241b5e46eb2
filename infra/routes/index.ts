import { agreementsRoutes } from './agreements.ts';
import { balanceRoutes } from './balance.ts';
import { checkoutRoutes } from './checkout.ts';
import { collectionRoutes } from './collection.ts';
import { creditRoutes } from './credit.ts';
import { customersRoutes } from './customers.ts';
import { disputesRoutes } from './disputes.ts';
import { identityRoutes } from './identity.ts';
import { meOrdersRoutes } from './me-orders.ts';
import { merchantsRoutes } from './merchants.ts';
import { monitoringRoutes } from './monitoring.ts';
import { ordersRoutes } from './orders.ts';
import { platformRoutes } from './platform.ts';
import type { Route } from './route.ts';
import { settlementsRoutes } from './settlements.ts';
import { subscriptionsRoutes } from './subscriptions.ts';
import { supportRoutes } from './support.ts';
import { twofaRoutes } from './twofa.ts';
import { vaultRoutes } from './vault.ts';
import { webhooksRoutes } from './webhooks.ts';

export type { HttpMethod, Route, RouteAccess, RouteAuth } from './route.ts';

/**
 * The routes of each capability, keyed by its folder under `functions/`: every route in
 * `routesByCapability[c]` has its entry in `functions/<c>/` and its function in the `<c>` nested stack
 * the CDK API construct builds. A new capability adds one file here.
 */
export const routesByCapability: Readonly<Record<string, readonly Route[]>> = {
  platform: platformRoutes,
  merchants: merchantsRoutes,
  vault: vaultRoutes,
  webhooks: webhooksRoutes,
  customers: customersRoutes,
  twofa: twofaRoutes,
  checkout: checkoutRoutes,
  orders: [...ordersRoutes, ...meOrdersRoutes],
  collection: collectionRoutes,
  disputes: disputesRoutes,
  support: supportRoutes,
  monitoring: monitoringRoutes,
  identity: identityRoutes,
  balance: balanceRoutes,
  credit: creditRoutes,
  settlements: settlementsRoutes,
  agreements: agreementsRoutes,
  subscriptions: subscriptionsRoutes,
};

/**
 * THE route table, merged once from the per-capability files above. The CDK API construct builds API
 * Gateway resources and one Lambda function per route from it; the local gateway serves the same
 * routes in-process; the OpenAPI document is generated from it (in this order). Handlers are named by
 * entry file and export (strings), so the CDK app never imports handler code.
 */
export const routes: Route[] = Object.values(routesByCapability).flat();
