import * as z from 'zod';
import { type IdKind, idPattern } from './ids.ts';

/** A prefixed id of one kind; anything else is a 400 before any lookup. */
export const idOf = (kind: IdKind) =>
  z
    .string()
    .regex(idPattern(kind), { message: `must be a ${kind} id` })
    .meta({ description: `A ${kind} id.` });

export const ErrorResponseSchema = z
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
  .meta({ id: 'Error' });

export const IsoDateTime = z.iso.datetime();
