import * as z from 'zod';
import { type IdKind, idPattern } from './ids.ts';
import { containsPan } from './pan.ts';

/** The API error code of a card number in a free-text field (./http.ts `zodToApiError` maps it). */
export const PAN_NOT_ALLOWED = 'pan_not_allowed';

/**
 * Adds the card-number check (./pan.ts) to any string schema: a value holding a PAN is refused
 * with 400 `pan_not_allowed` naming the field, so no card number reaches a table, an event or a
 * log outside the vault (PCI DSS v4.0 req. 3). The message never echoes the value.
 */
export function panFree<T extends z.ZodType<string>>(schema: T): T {
  return schema.superRefine((value, ctx) => {
    if (containsPan(value)) {
      ctx.addIssue({
        code: 'custom',
        message: 'must not contain a card number',
        params: { code: PAN_NOT_ALLOWED },
      });
    }
  });
}

/**
 * THE builder for a free-text request field (a reference, a name, a description, a filter):
 * a string that may not hold a card number. Chain the usual string checks after it:
 * `freeText().trim().min(1).max(255)`. Every string a request schema accepts is either built with
 * it, wrapped in `panFree`, or cannot hold 13 digits (an id pattern, an enum); the route-table
 * walk in test/unit/pan-free-inputs.test.ts proves it for every route.
 */
export const freeText = () => panFree(z.string());

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
