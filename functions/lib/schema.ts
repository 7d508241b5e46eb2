import * as z from 'zod';
import { ERROR_CODES, type ErrorCode } from './error-codes.ts';
import type { ErrorType } from './errors.ts';
import { ID_PREFIXES, type IdKind, idPattern } from './ids.ts';
import { containsPan } from './pan.ts';
import { maskSecrets } from './secret-text.ts';

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
 * THE builder for free text Tessera keeps although a person may type a secret into it (a support
 * message): card numbers and one-time codes are masked (./secret-text.ts) instead of refused, so the
 * value the handler receives (and stores, sends or logs) never holds them. Trimmed, then `min`–`max`
 * characters checked on the text as typed.
 */
export const maskedText = (min: number, max: number) =>
  z.string().trim().min(min).max(max).transform(maskSecrets);

/** The query of a list route: `limit` (1–100, default 10) and the opaque `startingAfter` cursor. */
export const listQuery = () =>
  z.strictObject({
    limit: z.coerce.number().int().min(1).max(100).default(10),
    startingAfter: freeText()
      .min(1)
      .max(512)
      .optional()
      .meta({ description: 'The opaque `nextCursor` of the previous page.' }),
  });

/** A list answer of `item`s (component `id`), newest first, with the cursor of the next page. */
export const listResponse = <T extends z.ZodType>(item: T, id: string) =>
  z
    .object({
      object: z.literal('list'),
      data: z.array(item),
      hasMore: z.boolean(),
      nextCursor: z.string().optional().meta({ description: 'Pass as startingAfter for the next page.' }),
    })
    .meta({ id });

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
