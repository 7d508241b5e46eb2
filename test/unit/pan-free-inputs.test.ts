import { describe, expect, it } from 'vitest';
import type { ZodType } from 'zod';
import * as z from 'zod';
import { zodToApiError } from '../../functions/lib/http.ts';
import { containsPan } from '../../functions/lib/pan.ts';
import { freeText, PAN_NOT_ALLOWED, panFree } from '../../functions/lib/schema.ts';
import { routes } from '../../infra/routes/index.ts';
import { EXEMPT, MASKED } from '../support/pan-fields.ts';

/**
 * Issue 9: no request field may carry a card number into storage. Walks every route's request
 * schemas (body, query, path) from THE route table and proves every string the API accepts
 * refuses a PAN in every written form, so a field added later cannot forget the check.
 */

/** Luhn-valid test PANs (Visa 16, Amex 15, Visa 13) written the ways the issue names. */
const PAN_FORMS = [
  '4111111111111111',
  '4111 1111-1111.1111',
  'ref4111111111111111x',
  '4222222222222',
  '378282246310005',
  '+378282246310005',
  '4111111111111111@example.com',
  'ref-4111111111111111@example.com',
  'https://example.com/4111111111111111',
  'https://example.com/?card=4111-1111-1111-1111',
  'payee 4111 1111 1111 1111',
  // Fullwidth digits fold to ASCII (NFKC).
  '４１１１１１１１１１１１１１１１',
];

interface Leaf {
  path: string;
  schema: ZodType;
}

/** The value-level leaves of a request schema: through objects, wrappers, arrays and unions. */
function leaves(schema: ZodType, path: string): Leaf[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Record<string, ZodType>;
      return Object.entries(shape).flatMap(([key, value]) => leaves(value, path ? `${path}.${key}` : key));
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return leaves(def.innerType as ZodType, path);
    case 'array':
      return leaves(def.element as ZodType, `${path}[]`);
    case 'union':
      return (def.options as ZodType[]).flatMap((option) => leaves(option, path));
    case 'record':
      return [...leaves(def.keyType as ZodType, `${path}{key}`), ...leaves(def.valueType as ZodType, path)];
    case 'pipe': {
      // A transform in front of a schema: the leaf is the whole pipe (it receives the string).
      return [{ path, schema }];
    }
    default:
      return [{ path, schema }];
  }
}

const requestLeaves = routes.flatMap((route) =>
  (['body', 'query', 'params'] as const).flatMap((location) => {
    const schema = route.request?.[location];
    if (!schema) return [];
    const where = location === 'params' ? 'path' : location;
    return leaves(schema, '').map((leaf) => ({
      route: route.operationId,
      key: `${route.operationId}:${where}.${leaf.path}`,
      ...leaf,
    }));
  }),
);

describe('every string a request accepts refuses a card number (route table walk)', () => {
  it('finds the request fields (the walk itself works)', () => {
    const keys = requestLeaves.map((l) => l.key);
    expect(keys).toContain('createCheckoutSession:body.merchantReference');
    expect(keys).toContain('createMerchant:body.name');
    expect(keys).toContain('registerCustomer:body.email');
    expect(keys).toContain('getOrder:path.id');
    expect(requestLeaves.length).toBeGreaterThan(30);
    for (const key of [...Object.keys(EXEMPT), ...Object.keys(MASKED)]) expect(keys).toContain(key);
  });

  for (const leaf of requestLeaves) {
    if (EXEMPT[leaf.key]) continue;
    if (MASKED[leaf.key]) {
      it(`${leaf.key} masks a PAN (the parsed value holds none)`, () => {
        for (const form of PAN_FORMS) {
          const parsed = leaf.schema.safeParse(form);
          expect(parsed.success).toBe(true);
          expect(containsPan(String(parsed.data))).toBe(false);
        }
      });
      continue;
    }
    it(`${leaf.key} refuses a PAN`, () => {
      const accepted = PAN_FORMS.filter((form) => leaf.schema.safeParse(form).success);
      expect(accepted).toEqual([]);
    });
  }
});

describe('freeText() and panFree()', () => {
  const Body = z.strictObject({ merchantReference: freeText().trim().min(1).max(255) });

  it.each(['4111111111111111', '4111 1111-1111.1111', 'ref4111111111111111x'])(
    '%s is 400 pan_not_allowed naming the field, without echoing it',
    (value) => {
      const result = Body.safeParse({ merchantReference: value });
      expect(result.success).toBe(false);
      const error = zodToApiError((result as { error: z.ZodError }).error, 'body', {
        merchantReference: value,
      });
      expect(error).toMatchObject({ status: 400, code: PAN_NOT_ALLOWED, param: 'merchantReference' });
      expect(error.message).not.toContain('1111');
    },
  );

  it('the PAN outranks another fault in the same field (too long, too)', () => {
    const value = `${'x'.repeat(300)} 4111111111111111`;
    const result = Body.safeParse({ merchantReference: value });
    const error = zodToApiError((result as { error: z.ZodError }).error, 'body', {
      merchantReference: value,
    });
    expect(error.code).toBe(PAN_NOT_ALLOWED);
  });

  it('keeps ordinary text, and digit runs that are not card numbers', () => {
    for (const text of ['order-123', 'ORDER-2026-11-30-000123', '4111111111111112', 'Ann Smith']) {
      expect(Body.safeParse({ merchantReference: text }).success).toBe(true);
    }
    expect(panFree(z.email()).safeParse('ann@example.com').success).toBe(true);
  });
});
