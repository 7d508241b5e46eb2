import { clock } from '../lib/clock.ts';
import { httpHandler, JsonText, operatorAccess, publicAccess } from '../lib/http.ts';
import { merchantAccess } from './auth.ts';
import * as compliance from './compliance.ts';
import { receiveKybCallback, startKybCheck } from './kyb.ts';
import {
  CreateMerchantBody,
  ListMerchantsQuery,
  MerchantIdParams,
  RejectMerchantBody,
  StartKybBody,
} from './schema.ts';
import * as merchants from './service.ts';

/** Creates a merchant (`pending_review`); with `business`, its KYB check starts at once. */
export const createMerchant = httpHandler(
  { auth: operatorAccess, body: CreateMerchantBody },
  async ({ body, principal }) => {
    const created = await merchants.createMerchant(body, clock(), principal.operatorArn);
    if (!body.business) return { status: 201, body: created };
    const checked = await startKybCheck(created.id, body.business, principal.operatorArn, clock());
    const keys = { apiKey: created.apiKey, ...(created.usageKey ? { usageKey: created.usageKey } : {}) };
    return { status: 201, body: { ...checked, ...keys } };
  },
);

export const suspendMerchant = httpHandler(
  { auth: operatorAccess, params: MerchantIdParams },
  async ({ params, principal }) => ({
    status: 200,
    body: await compliance.setStatus(params.id, 'suspended', clock(), principal.operatorArn),
  }),
);

export const activateMerchant = httpHandler(
  { auth: operatorAccess, params: MerchantIdParams },
  async ({ params, principal }) => ({
    status: 200,
    body: await compliance.setStatus(params.id, 'active', clock(), principal.operatorArn),
  }),
);

export const rejectMerchant = httpHandler(
  { auth: operatorAccess, params: MerchantIdParams, body: RejectMerchantBody },
  async ({ params, body, principal }) => ({
    status: 200,
    body: await compliance.setStatus(params.id, 'rejected', clock(), principal.operatorArn, body.reason),
  }),
);

export const startMerchantKyb = httpHandler(
  { auth: operatorAccess, params: MerchantIdParams, body: StartKybBody },
  async ({ params, body, principal }) => ({
    status: 200,
    body: await startKybCheck(params.id, body.business, principal.operatorArn, clock()),
  }),
);

export const getMerchant = httpHandler(
  { auth: operatorAccess, params: MerchantIdParams },
  async ({ params }) => ({
    status: 200,
    body: await compliance.getMerchant(params.id),
  }),
);

export const listMerchants = httpHandler(
  { auth: operatorAccess, query: ListMerchantsQuery },
  async ({ query }) => ({
    status: 200,
    body: await compliance.listMerchants(query),
  }),
);

export const rotateMerchantKey = httpHandler(
  { auth: operatorAccess, params: MerchantIdParams },
  async ({ params, principal }) => ({
    status: 200,
    body: await merchants.rotateApiKey(params.id, clock(), principal.operatorArn),
  }),
);

/** The KYB provider's decision: the raw body is verified against `Kyb-Signature` before parsing. */
export const kybCallback = httpHandler({ auth: publicAccess }, async ({ event, headers }) => {
  await receiveKybCallback(event.body ?? '', headers['kyb-signature'], clock());
  return { status: 200, body: { received: true } };
});

let catalogueJson: JsonText | undefined;

/**
 * The plan catalogue a merchant may offer: plans, limits per currency, fees. A constant document:
 * serialized on the first request of the container, then written as is.
 */
export const getConfig = httpHandler({ auth: merchantAccess }, async () => {
  catalogueJson ??= new JsonText(JSON.stringify(merchants.planCatalogue()));
  return { status: 200, body: catalogueJson };
});
