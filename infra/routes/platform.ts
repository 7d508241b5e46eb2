import { HealthResponse } from '../../functions/merchants/schema.ts';
import type { Route } from './route.ts';

const platformEntry = 'functions/platform/handler.ts';

/** Platform routes: health and the OpenAPI document: their functions form the `platform` nested stack (`functions/platform/…`). */
export const platformRoutes: Route[] = [
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
    entry: 'functions/platform/openapi-handler.ts',
    handler: 'openapi',
    auth: 'public',
    summary: 'This OpenAPI 3.1 document',
    tags: ['platform'],
    responses: { 200: { description: 'The OpenAPI document.' } },
    access: {},
  },
];
