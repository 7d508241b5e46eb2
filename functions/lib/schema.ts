import * as z from 'zod';
import { ERROR_CODES, type ErrorCode } from './error-codes.ts';
import type { ErrorType } from './errors.ts';
import { ID_PREFIXES, type IdKind, idPattern } from './ids.ts';

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
    .meta({ description: `A ${kind} id.`, example: `${ID_PREFIXES[kind]}_01JNJ3Y7ZQ8M4N5P6Q7R8S9T0V` });

export const ErrorTypeSchema = /* @__PURE__ */ defineSchema(() =>
  z
    .enum([
      'invalid_request_error',
      'authentication_error',
      'permission_error',
      'rate_limit_error',
      'idempotency_error',
      'card_error',
      'api_error',
    ] satisfies ErrorType[])
    .meta({ id: 'ErrorType' }),
);

/** Every catalogued code (./error-codes.ts); each operation lists the ones it can answer. */
export const ErrorCodeSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]).meta({
    id: 'ErrorCode',
    description: Object.entries(ERROR_CODES)
      .map(([code, { statuses, description }]) => `- \`${code}\` (${statuses.join(', ')}): ${description}`)
      .join('\n'),
  }),
);

export const ErrorResponseSchema = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      error: z.object({
        type: ErrorTypeSchema,
        code: ErrorCodeSchema,
        message: z.string().meta({ description: 'For people; never parse it. Never echoes secrets.' }),
        param: z.string().optional().meta({ description: 'The parameter at fault, as a dotted path.' }),
        requestId: z.string().meta({ description: 'Quote it to support; also the `Request-Id` header.' }),
      }),
    })
    .meta({ id: 'Error' }),
);

export const IsoDateTime = /* @__PURE__ */ defineSchema(() => z.iso.datetime());
