import type { ZodObject, ZodType } from 'zod';
import type { ErrorCode } from '../../functions/lib/error-codes.ts';

// The shape of a route in the route table (infra/routes/index.ts), shared by the per-capability files.

export type RouteAuth = 'public' | 'merchant' | 'customer' | 'operator';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Least-privilege grants for the route's function. */
export interface RouteAccess {
  main?: 'read' | 'readwrite';
  vault?: 'read' | 'readwrite';
  /**
   * KMS keys the function may use, and how (the exact actions are in infra/constructs/keys.ts).
   * `vault:rewrap` is KMS ReEncrypt only: it moves card data keys between key versions without
   * ever holding them, so it implies neither `vault:encrypt` nor `vault:decrypt`.
   */
  keys?: Array<'vault:encrypt' | 'vault:decrypt' | 'vault:rewrap' | 'secrets:encrypt' | 'secrets:decrypt'>;
  /** Secrets the function may read. */
  /** `processor-api-key`: the card processor's API key, for every function that moves money. */
  secrets?: Array<'session-signing' | 'fingerprint' | 'otp-pepper' | 'cursor-signing' | 'processor-api-key'>;
  /** Sends notifications (SNS/SES in AWS). */
  notify?: boolean;
  /** Collection queues the function sends to (SQS in AWS; infra/constructs/collection.ts). */
  queues?: Array<'collection-shards' | 'collection-charges'>;
  /**
   * Issues and deletes merchants' usage keys (API Gateway API keys on the merchant usage plan;
   * functions/merchants/usage-keys.ts), where merchant methods require them. API routes only.
   */
  usagePlanKeys?: boolean;
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
  /** What a client needs beyond the summary (rules the schemas cannot state); in the OpenAPI document. */
  description?: string;
  tags: string[];
  request?: { body?: ZodType; query?: ZodObject; params?: ZodObject };
  /** The success responses; error responses come from `errors` and the route's kernel features. */
  responses: Record<number, { description: string; schema?: ZodType }>;
  /**
   * The error codes its use case can answer (functions/lib/error-codes.ts). The codes every route of
   * its kind answers (auth, schema validation, idempotency, step-up, throttling) are added by
   * infra/openapi.ts; the conformance test fails on an answered code that is in neither.
   */
  errors?: ErrorCode[];
  access: RouteAccess;
  /** Served by the local runtime only (the sandbox outbox); never deployed. */
  localOnly?: boolean;
  /** POSTs that require `Idempotency-Key` (every merchant POST; the shopper's money and schedule POSTs). */
  idempotent?: boolean;
  /**
   * Needs a `Step-Up-Token` from `POST /v1/me/step-up/{id}/verify`: always, or only above the
   * checkout step-up threshold (documented in the OpenAPI document; enforced by the handler).
   */
  stepUp?: 'required' | 'above_threshold';
}
