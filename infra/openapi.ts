import * as z from 'zod';
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
} from 'zod-openapi';
import { ERROR_CODES, type ErrorCode } from '../functions/lib/error-codes.ts';
import { ErrorResponseSchema } from '../functions/lib/schema.ts';
import { OrderEventData } from '../functions/orders/schema.ts';
import { WEBHOOK_EVENT_TYPES } from '../functions/webhooks/events.ts';
import { WebhookEvent, WebhookTestData } from '../functions/webhooks/schema.ts';
import { addExamples } from './openapi-examples.ts';
import { routes as allRoutes, type Route } from './routes/index.ts';

const security: Record<Route['auth'], ZodOpenApiOperationObject['security']> = {
  public: [],
  merchant: [{ merchantApiKey: [], merchantUsageKey: [] }],
  customer: [{ customerSession: [] }],
  operator: [{ operatorIam: [] }],
};

const authCodes: Record<Route['auth'], ErrorCode[]> = {
  public: [],
  merchant: [
    'usage_key_invalid',
    'unauthorized',
    'merchant_suspended',
    'merchant_inactive',
    'merchant_pending_review',
    'merchant_rejected',
  ],
  customer: ['unauthorized', 'session_invalid'],
  operator: ['unauthorized'],
};

const authText: Record<Route['auth'], string> = {
  public: 'No authentication.',
  merchant:
    'Authenticate with your secret API key: `Authorization: Bearer sk_test_…` (or `sk_live_…`), and send the usage ' +
    'key issued with it as `x-api-key` (403 `usage_key_invalid` without it, where usage keys are required).',
  customer: 'Authenticate with a shopper session token from `POST /v1/sessions`: `Authorization: Bearer …`.',
  operator: 'Operators only: AWS SigV4 (IAM) in AWS; the local operator token as a Bearer token locally.',
};

/**
 * The codes a route can answer: its use case's own (`route.errors`) plus those of the kernel features
 * it has, each added here once (the kernel: functions/lib/http.ts, idempotency.ts, the gateways).
 */
export function errorCodesOf(route: Route): ErrorCode[] {
  const codes: ErrorCode[] = [
    ...authCodes[route.auth],
    'rate_limited',
    'malformed_request',
    'header_repeated',
    // Stored headers (User-Agent, Idempotency-Key) and free text are checked for card numbers everywhere.
    'pan_not_allowed',
  ];
  const { body, query, params } = route.request ?? {};
  if (body || query || params) codes.push('parameter_invalid', 'parameter_missing', 'parameter_unknown');
  if (body) codes.push('invalid_json', 'unsupported_content_type');
  if (route.method !== 'GET') codes.push('body_too_large');
  if (route.idempotent) {
    codes.push(
      'idempotency_key_missing',
      'idempotency_key_invalid',
      'idempotency_key_reused',
      'idempotency_request_in_progress',
    );
  }
  if (route.stepUp) codes.push('step_up_required', 'step_up_invalid');
  // What API Gateway answers itself in a deployed stack (request validation, IAM, WAF, usage plans).
  if (body) codes.push('invalid_body');
  if (query || params || route.idempotent || route.stepUp === 'required') codes.push('invalid_parameters');
  if (route.auth === 'operator') codes.push('invalid_signature', 'expired_credentials', 'forbidden');
  if (route.auth === 'merchant') codes.push('quota_exceeded');
  codes.push('request_blocked');
  codes.push(...(route.errors ?? []));
  return [...new Set(codes)];
}

const header = (description: string, schema: Record<string, unknown>, required = true) => ({
  description,
  required,
  schema,
});

const components = {
  headers: {
    RequestId: header('The id of this request; quote it to support (also `error.requestId`).', {
      type: 'string',
      pattern: '^req_[0-9A-HJKMNP-TV-Z]{26}$|^[0-9a-f-]{36}$',
    }),
    IdempotentReplayed: header(
      '`true` when this is the stored response of an earlier request with the same `Idempotency-Key`.',
      { type: 'string', enum: ['true'] },
      false,
    ),
    RetryAfter: header('Seconds to wait before retrying.', { type: 'integer', minimum: 1 }, false),
  },
  parameters: {
    IdempotencyKey: {
      in: 'header' as const,
      name: 'Idempotency-Key',
      required: true,
      description:
        'Unique per logical request (a UUID is ideal). A retry with the same key and the same request ' +
        'returns the first response for 24 h, with `Idempotent-Replayed: true`; the same key with a ' +
        'different request is a 422 `idempotency_key_reused`; one still in flight is a 409.',
      schema: { type: 'string' as const, pattern: '^[\\x21-\\x7e]{1,255}$', example: 'order-1234-capture-1' },
    },
    StepUpToken: (required: boolean) => ({
      in: 'header' as const,
      name: 'Step-Up-Token',
      required,
      description: required
        ? 'A step-up token for this action from `POST /v1/me/step-up/{challengeId}/verify` (5 minutes, single use).'
        : 'Required above the step-up threshold: a step-up token bound to this amount and merchant.',
      schema: {
        type: 'string' as const,
        maxLength: 4096,
        pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
      },
    }),
  },
};

const headerRef = (name: keyof typeof components.headers) => ({ $ref: `#/components/headers/${name}` });

function errorResponses(route: Route): Record<string, ZodOpenApiResponseObject> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodesOf(route)) {
    for (const status of ERROR_CODES[code].statuses)
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, codes]) => [
        String(status),
        {
          description: codes.map((c) => `\`${c}\`: ${ERROR_CODES[c].description}`).join(' '),
          headers: {
            'Request-Id': headerRef('RequestId'),
            ...(status === 429 || status === 503 ? { 'Retry-After': headerRef('RetryAfter') } : {}),
          },
          content: { 'application/json': { schema: ErrorResponseSchema } },
          'x-error-codes': codes,
        } as ZodOpenApiResponseObject,
      ]),
  );
}

function describe(route: Route, codes: ErrorCode[]): string {
  return [
    route.description ?? `${route.summary}.`,
    authText[route.auth],
    ...(route.idempotent ? ['Send an `Idempotency-Key`; a retry with the same key is answered once.'] : []),
    ...(route.stepUp === 'required' ? ['Needs a `Step-Up-Token` for this action.'] : []),
    ...(route.stepUp === 'above_threshold'
      ? ['Above the step-up threshold it needs a `Step-Up-Token`.']
      : []),
    `Error codes: ${codes.map((c) => `\`${c}\``).join(', ')}.`,
  ].join('\n\n');
}

function operationOf(route: Route): ZodOpenApiOperationObject {
  const codes = errorCodesOf(route);
  const { body, query, params } = route.request ?? {};
  const headerParameters = [
    ...(route.idempotent ? [{ $ref: '#/components/parameters/IdempotencyKey' }] : []),
    ...(route.stepUp ? [components.parameters.StepUpToken(route.stepUp === 'required')] : []),
  ];
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: describe(route, codes),
    tags: route.tags,
    security: security[route.auth],
    ...(query || params
      ? { requestParams: { ...(params ? { path: params } : {}), ...(query ? { query } : {}) } }
      : {}),
    ...(headerParameters.length > 0 ? { parameters: headerParameters as never } : {}),
    ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: body } } } } : {}),
    responses: {
      ...Object.fromEntries(
        Object.entries(route.responses).map(([status, r]) => [
          status,
          {
            description: r.description,
            headers: {
              'Request-Id': headerRef('RequestId'),
              ...(route.idempotent ? { 'Idempotent-Replayed': headerRef('IdempotentReplayed') } : {}),
            },
            ...(r.schema ? { content: { 'application/json': { schema: r.schema } } } : {}),
          },
        ]),
      ),
      ...errorResponses(route),
    },
  };
}

/** One `webhooks` entry per event type: what Tessera POSTs to the merchant's endpoint, signed. */
function webhooks() {
  return Object.fromEntries(
    WEBHOOK_EVENT_TYPES.map((type) => [
      type,
      {
        post: {
          operationId: `webhook_${type.replace('.', '_')}`,
          summary: `Event \`${type}\``,
          description:
            'Sent to your webhook endpoint at least once, possibly out of order: de-duplicate on `id`, ' +
            'keep the highest `sequence` per `objectId`. Verify `Tessera-Signature` on the raw body ' +
            '(docs/webhooks.md) and reject a timestamp more than 5 minutes from your clock. Answer any ' +
            '2xx within 10 s; anything else is retried with backoff.',
          tags: ['webhooks'],
          parameters: [
            {
              in: 'header' as const,
              name: 'Tessera-Signature',
              required: true,
              description:
                '`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`; one `v1` per valid ' +
                'secret while a secret rotates: accept the event if any matches.',
              schema: {
                type: 'string' as const,
                pattern: '^t=\\d+(,v1=[0-9a-f]{64})+$',
                example: 't=1772366400,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd',
              },
            },
            {
              in: 'header' as const,
              name: 'Tessera-Event-Id',
              required: true,
              description: 'The event `id`.',
              schema: { type: 'string' as const },
            },
            {
              in: 'header' as const,
              name: 'Tessera-Event-Type',
              required: true,
              description: 'The event `type`.',
              schema: { type: 'string' as const, const: type },
            },
            {
              in: 'header' as const,
              name: 'Tessera-Delivery-Attempt',
              required: true,
              description: '1 on the first attempt.',
              schema: { type: 'integer' as const, minimum: 1 },
            },
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: WebhookEvent.extend({
                  type: z.literal(type),
                  data: type === 'webhook.test' ? WebhookTestData : OrderEventData,
                }),
              },
            },
          },
          responses: { '200': { description: 'Any 2xx acknowledges the event.' } },
        },
      },
    ]),
  );
}

/**
 * A string that is trimmed before its length is checked (`z.string().trim().min(1)`): JSON Schema's
 * `minLength` counts the spaces the API strips, so `"   "` looked valid. State that the value must
 * have a non-space character.
 */
function stateTrimming(ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }): void {
  const def = (ctx.zodSchema as { _zod?: { def?: { type?: string; checks?: unknown[] } } })._zod?.def;
  if (def?.type !== 'string' || !(Number(ctx.jsonSchema.minLength) >= 1)) return;
  const trims = (def.checks ?? []).some((check) => {
    const c = (check as { _zod?: { def?: { check?: string; tx?: (v: string) => string } } })._zod?.def;
    return c?.check === 'overwrite' && c.tx?.(' x ') === 'x';
  });
  if (trims) addPattern(ctx.jsonSchema, '\\S');
}

/** `z.url({ protocol })`: JSON Schema's `format: uri` admits any scheme; state the allowed ones. */
function stateUrlProtocol(ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }): void {
  const def = (ctx.zodSchema as { _zod?: { def?: { format?: string; protocol?: RegExp } } })._zod?.def;
  if (def?.format !== 'url' || !def.protocol) return;
  addPattern(ctx.jsonSchema, `^(?:${def.protocol.source.replace(/^\^|\$$/g, '')})://[^/?#\\s]+`);
}

function addPattern(jsonSchema: Record<string, unknown>, pattern: string): void {
  if (jsonSchema.pattern === undefined) jsonSchema.pattern = pattern;
  else jsonSchema.allOf = [...((jsonSchema.allOf as unknown[]) ?? []), { pattern }];
}

/** Zod checks JSON Schema output drops, stated in the document (zod-openapi's `override`). */
function stateZodChecks(ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }): void {
  stateTrimming(ctx);
  stateUrlProtocol(ctx);
}

/** The OpenAPI 3.1 document, generated from the route table and its zod schemas. */
export function buildOpenApiDocument(routes: Route[] = allRoutes.filter((r) => !r.localOnly)) {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
    paths[route.path] = { ...(paths[route.path] ?? {}), [method]: operationOf(route) };
  }
  const document = createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'Tessera API',
        version: '1.0.0',
        description:
          'Buy-now-pay-later payments backend. Money is { amount: integer minor units, currency }. ' +
          'Errors are { error: { type, code, message, param?, requestId } }; each operation lists its codes.',
      },
      servers: [
        {
          url: 'https://{apiId}.execute-api.{region}.amazonaws.com/{stage}',
          description: 'A deployed stack (API Gateway REST); `npx cdk deploy` prints its URL.',
          variables: {
            apiId: { default: 'abcdef1234', description: 'The REST API id.' },
            region: { default: 'us-east-1' },
            stage: { default: 'prod' },
          },
        },
        { url: 'http://localhost:3000', description: 'Local runtime (npm start)' },
      ],
      components: {
        securitySchemes: {
          merchantApiKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'Secret API key sk_test_… / sk_live_…',
          },
          merchantUsageKey: {
            type: 'apiKey',
            in: 'header',
            name: 'x-api-key',
            description:
              'The usage key issued with the secret API key (`usageKey`): your own throttle and quota. Required ' +
              'where merchant routes require usage keys (deployed stages with `merchantApiKeys`; `npm start`).',
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
        headers: components.headers as never,
        parameters: { IdempotencyKey: components.parameters.IdempotencyKey } as never,
      },
      paths,
      webhooks: webhooks() as never,
    },
    { override: stateZodChecks },
  );
  return addExamples(JSON.parse(JSON.stringify(document)));
}

export function renderOpenApi(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}
