import { httpHandler, JsonText, operatorAccess } from '../lib/http.ts';
import { merchantAccess } from './auth.ts';
import { CreateMerchantBody, MerchantIdParams } from './schema.ts';
import * as merchants from './service.ts';

export const createMerchant = httpHandler(
  { auth: operatorAccess, body: CreateMerchantBody },
  async ({ body }) => ({ status: 201, body: await merchants.createMerchant(body) }),
);

export const suspendMerchant = httpHandler(
  { auth: operatorAccess, params: MerchantIdParams },
  async ({ params }) => ({ status: 200, body: await merchants.setStatus(params.id, 'suspended') }),
);

export const activateMerchant = httpHandler(
  { auth: operatorAccess, params: MerchantIdParams },
  async ({ params }) => ({ status: 200, body: await merchants.setStatus(params.id, 'active') }),
);

export const rotateMerchantKey = httpHandler(
  { auth: operatorAccess, params: MerchantIdParams },
  async ({ params }) => ({ status: 200, body: await merchants.rotateApiKey(params.id) }),
);

let catalogueJson: JsonText | undefined;

/**
 * The plan catalogue a merchant may offer: plans, limits per currency, fees. A constant document:
 * serialized on the first request of the container, then written as is.
 */
export const getConfig = httpHandler({ auth: merchantAccess }, async () => {
  catalogueJson ??= new JsonText(JSON.stringify(merchants.planCatalogue()));
  return { status: 200, body: catalogueJson };
});
