import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { routes as allRoutes, type Route } from './routes/index.ts';

const security: Record<Route['auth'], ZodOpenApiOperationObject['security']> = {
  public: [],
  merchant: [{ merchantApiKey: [] }],
  customer: [{ customerSession: [] }],
  operator: [{ operatorIam: [] }],
};

function headerParameters(route: Route) {
  return [
    ...(route.idempotent
      ? [
          {
            in: 'header' as const,
            name: 'Idempotency-Key',
            required: true,
            description: 'Unique per logical request; replays return the first response for 24 h.',
            schema: { type: 'string' as const, minLength: 1, maxLength: 255 },
          },
        ]
      : []),
    ...(route.stepUp
      ? [
          {
            in: 'header' as const,
            name: 'Step-Up-Token',
            required: route.stepUp === 'required',
            description:
              route.stepUp === 'required'
                ? 'A fresh step-up token for this action (5 minutes, single use).'
                : 'Required above the step-up threshold: a token bound to this amount and merchant.',
            schema: { type: 'string' as const },
          },
        ]
      : []),
  ];
}

/** The OpenAPI 3.1 document, generated from the route table and its zod schemas. */
export function buildOpenApiDocument(routes: Route[] = allRoutes.filter((r) => !r.localOnly)) {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    const operation: ZodOpenApiOperationObject = {
      operationId: route.operationId,
      summary: route.summary,
      tags: route.tags,
      security: security[route.auth],
      ...(route.request?.params || route.request?.query || route.idempotent
        ? {
            requestParams: {
              ...(route.request?.params ? { path: route.request.params } : {}),
              ...(route.request?.query ? { query: route.request.query } : {}),
            },
          }
        : {}),
      ...(route.idempotent || route.stepUp ? { parameters: headerParameters(route) } : {}),
      ...(route.request?.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: route.request.body } } } }
        : {}),
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([status, r]) => [
          status,
          {
            description: r.description,
            ...(r.schema ? { content: { 'application/json': { schema: r.schema } } } : {}),
          },
        ]),
      ),
    };
    const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
    paths[route.path] = { ...(paths[route.path] ?? {}), [method]: operation };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Tessera API',
      version: '1.0.0',
      description:
        'Buy-now-pay-later payments backend. Money is { amount: integer minor units, currency }. ' +
        'Errors are { error: { type, code, message, param?, requestId } }.',
    },
    servers: [{ url: 'http://localhost:3000', description: 'Local runtime (npm start)' }],
    components: {
      securitySchemes: {
        merchantApiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'Secret API key sk_test_… / sk_live_…',
        },
        customerSession: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Session token',
        },
        operatorIam: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'AWS SigV4 (IAM) in AWS; the local operator token as Bearer locally.',
        },
      },
    },
    paths,
  });
}

export function renderOpenApi(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}
