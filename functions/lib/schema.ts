import * as z from 'zod';
import { type IdKind, idPattern } from './ids.ts';

/**
 * Builds a module-level schema. Always precede the call with the `@__PURE__` annotation comment: it
 * tells the bundler that building the schema has no side effects, so a function bundle that never
 * references it (another route's body, a response shape that exists for the OpenAPI document, the
 * plan catalogue's contract) leaves it out instead of building it at every cold start. Schemas a
 * handler does parse with are referenced, so they are still built at init. In Node (tests, the
 * local runtime, the OpenAPI generator) every schema is built on import, as before.
 */
export function defineSchema<T>(build: () => T): T {
  return build();
}

/** A prefixed id of one kind; anything else is a 400 before any lookup. */
export const idOf = (kind: IdKind) =>
  z
    .string()
    .regex(idPattern(kind), { message: `must be a ${kind} id` })
    .meta({ description: `A ${kind} id.` });

export const ErrorResponseSchema = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      error: z.object({
        type: z.enum([
          'invalid_request_error',
          'authentication_error',
          'permission_error',
          'rate_limit_error',
          'idempotency_error',
          'card_error',
          'api_error',
        ]),
        code: z.string(),
        message: z.string(),
        param: z.string().optional(),
        requestId: z.string(),
      }),
    })
    .meta({ id: 'Error' }),
);

export const IsoDateTime = /* @__PURE__ */ defineSchema(() => z.iso.datetime());
