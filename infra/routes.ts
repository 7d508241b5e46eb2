import type { ZodObject, ZodType } from 'zod';
import { ErrorResponseSchema } from '../functions/lib/schema.ts';
import {
  ConfigResponse,
  CreateMerchantBody,
  HealthResponse,
  MerchantIdParams,
  MerchantResponse,
  MerchantWithKeyResponse,
} from '../functions/merchants/schema.ts';

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
  /** KMS keys the function may use, and how. */
  keys?: Array<'vault:encrypt' | 'vault:decrypt' | 'secrets:encrypt' | 'secrets:decrypt'>;
  /** Secrets the function may read. */
  secrets?: Array<'session-signing' | 'fingerprint' | 'otp-pepper'>;
  /** Sends notifications (SNS/SES in AWS). */
  notify?: boolean;
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
}

const merchantsEntry = 'functions/merchants/handler.ts';
const platformEntry = 'functions/platform/handler.ts';
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
    entry: platformEntry,
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
];
