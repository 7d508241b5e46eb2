import {
  ConfigResponse,
  CreateMerchantBody,
  MerchantIdParams,
  MerchantResponse,
  MerchantWithKeyResponse,
} from '../../functions/merchants/schema.ts';
import { errors, type Route } from './route.ts';

const merchantsEntry = 'functions/merchants/handler.ts';

/** Merchant administration (operator) and merchant configuration routes: their functions form the `merchants` nested stack (`functions/merchants/…`). */
export const merchantsRoutes: Route[] = [
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
];
