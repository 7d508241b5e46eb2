/**
 * fast-check arbitraries from the JSON Schemas of an OpenAPI 3.1 document: `validValue` draws
 * values the document admits, `hostileValue` values it refuses (or that probe its edges).
 *
 * Why our own: the JSON-Schema-to-arbitrary packages on npm do not fit. `json-schema-fast-check`
 * (0.0.6) is archived and pinned to fast-check 1; `zod-fast-check` targets zod 3 and fast-check 3 and
 * would draw from the zod schemas, not from the document, which is what a client sees and what this
 * test must hold to. fast-check itself does the hard part (`fc.stringMatching` for `pattern`); this
 * file only maps the keywords zod-openapi emits: $ref, type, enum/const, anyOf/oneOf/allOf,
 * properties/required/additionalProperties, min/maxLength, pattern, format, minimum/maximum,
 * exclusive bounds, min/maxItems, uniqueItems.
 */
import fc, { type Arbitrary } from 'fast-check';

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  default?: unknown;
  not?: JsonSchema;
  [key: string]: unknown;
};

export interface Components {
  schemas?: Record<string, JsonSchema>;
}

/** Follows a local `#/components/schemas/X` reference (the only kind zod-openapi emits). */
export function resolve(schema: JsonSchema, components: Components): JsonSchema {
  let current = schema;
  for (let depth = 0; current.$ref && depth < 16; depth++) {
    const name = current.$ref.replace('#/components/schemas/', '');
    const target = components.schemas?.[name];
    if (!target) throw new Error(`unresolvable $ref ${current.$ref}`);
    current = { ...target, ...Object.fromEntries(Object.entries(current).filter(([k]) => k !== '$ref')) };
  }
  return current;
}

const dateArb = fc.date({
  min: new Date('1970-01-01T00:00:00.000Z'),
  max: new Date('2199-12-31T23:59:59.999Z'),
  noInvalidDate: true,
});

function formatArb(format: string): Arbitrary<string> | undefined {
  switch (format) {
    case 'date-time':
      return dateArb.map((d) => d.toISOString());
    case 'date':
      return dateArb.map((d) => d.toISOString().slice(0, 10));
    case 'email':
      return fc
        .tuple(
          fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]$/),
          fc.stringMatching(/^[a-z0-9]{1,12}\.[a-z]{2,6}$/),
        )
        .filter(([local]) => !local.includes('..'))
        .map(([local, domain]) => `${local}@${domain}`);
    case 'uri':
      return fc.webUrl({ validSchemes: ['https'], withQueryParameters: true, withFragments: false });
    case 'uuid':
      return fc.uuid();
    default:
      return undefined;
  }
}

function stringArb(schema: JsonSchema): Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = schema.maxLength;
  const fits = (s: string) => [...s].length >= min && (max === undefined || [...s].length <= max);
  const sized = fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.min(max ?? 64, min + 64) });
  const formatted = schema.format ? formatArb(schema.format) : undefined;
  if (!schema.pattern) return formatted ? formatted.filter(fits) : sized;
  const re = new RegExp(schema.pattern);
  const format = schema.format ? FORMAT_CHECKS[schema.format] : undefined;
  const matches = (s: string) => re.test(s) && fits(s) && (format?.(s) ?? true);
  // Whichever source hits both the pattern and the length more often (a filter that almost never
  // passes would spin): the format's generator, the pattern's, or plain strings of the right length.
  const candidates: Arbitrary<string>[] = [...(formatted ? [formatted] : []), sized];
  try {
    candidates.unshift(fc.stringMatching(re));
  } catch {
    // A pattern fast-check cannot parse: the other sources remain.
  }
  const rated = candidates.map((arb) => ({
    arb,
    hits: fc.sample(arb, { numRuns: 40, seed: 1 }).filter(matches).length,
  }));
  const best = rated.reduce((a, b) => (b.hits > a.hits ? b : a));
  if (best.hits === 0)
    throw new Error(`no generator for pattern ${schema.pattern} with length ${min}..${max}`);
  return best.arb.filter(matches);
}

function numberArb(schema: JsonSchema, integer: boolean): Arbitrary<number> {
  const lo =
    schema.exclusiveMinimum !== undefined
      ? schema.exclusiveMinimum + (integer ? 1 : Number.EPSILON)
      : (schema.minimum ?? (integer ? Number.MIN_SAFE_INTEGER : -1e12));
  const hi =
    schema.exclusiveMaximum !== undefined
      ? schema.exclusiveMaximum - (integer ? 1 : Number.EPSILON)
      : (schema.maximum ?? (integer ? Number.MAX_SAFE_INTEGER : 1e12));
  if (integer) {
    // Bias towards the bounds and small values, where the bugs are.
    return fc.oneof(
      fc.constantFrom(lo, hi),
      fc.integer({ min: lo, max: Math.min(hi, lo + 1000) }),
      fc.integer({ min: lo, max: hi }),
    );
  }
  return fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true });
}

function objectArb(schema: JsonSchema, components: Components, depth: number): Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const model: Record<string, Arbitrary<unknown>> = {};
  for (const [name, sub] of Object.entries(properties)) model[name] = validValue(sub, components, depth + 1);
  return fc.record(model, { requiredKeys: [...required].filter((k) => k in properties) });
}

/** Values that the schema admits. */
export function validValue(schema: JsonSchema, components: Components, depth = 0): Arbitrary<unknown> {
  const s = resolve(schema, components);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  if (s.allOf?.length === 1 && s.allOf[0])
    return validValue({ ...s, allOf: undefined, ...s.allOf[0] }, components, depth);
  if (s.allOf && s.allOf.length > 1) {
    const [first, ...rest] = s.allOf;
    return validValue(first as JsonSchema, components, depth).filter((v) =>
      rest.every((r) => admits(r, v, components)),
    );
  }
  const union = s.anyOf ?? s.oneOf;
  if (union && (s.properties || s.type)) {
    // Constraints beside a type (`oneOf: [{ required: [a] }, { required: [b] }]`): draw, then keep what fits.
    const { anyOf: _a, oneOf: _o, ...base } = s;
    return validValue(base, components, depth).filter((v) => admits(s, v, components));
  }
  if (union) return fc.oneof(...union.map((u) => validValue(u, components, depth + 1)));
  const type = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (type.length > 1) return fc.oneof(...type.map((t) => validValue({ ...s, type: t }, components, depth)));
  switch (type[0]) {
    case 'string':
      return stringArb(s);
    case 'integer':
      return numberArb(s, true);
    case 'number':
      return numberArb(s, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const item = validValue(s.items ?? {}, components, depth + 1);
      const constraints = {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? 4, (s.minItems ?? 0) + 4),
      };
      return s.uniqueItems
        ? fc.uniqueArray(item, { ...constraints, selector: (v) => JSON.stringify(v) })
        : fc.array(item, constraints);
    }
    case 'object':
      return objectArb(s, components, depth);
    default:
      return depth > 3 ? fc.constant(null) : fc.jsonValue({ maxDepth: 2 });
  }
}

/**
 * A small JSON Schema check for the keywords above; used to filter `allOf` and to tell whether a
 * hostile value happens to be valid after all (then the API must accept it, not refuse it).
 */
export function admits(schema: JsonSchema, value: unknown, components: Components): boolean {
  const s = resolve(schema, components);
  if (s.const !== undefined && JSON.stringify(s.const) !== JSON.stringify(value)) return false;
  if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) return false;
  if (s.allOf && !s.allOf.every((sub) => admits(sub, value, components))) return false;
  if (s.anyOf && !s.anyOf.some((sub) => admits(sub, value, components))) return false;
  if (s.oneOf && s.oneOf.filter((sub) => admits(sub, value, components)).length !== 1) return false;
  if (s.not && admits(s.not, value, components)) return false;
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.length > 0 && !types.some((t) => hasType(t, value))) return false;
  if (typeof value === 'string') {
    const length = [...value].length;
    if (s.minLength !== undefined && length < s.minLength) return false;
    if (s.maxLength !== undefined && length > s.maxLength) return false;
    if (s.pattern && !new RegExp(s.pattern).test(value)) return false;
    if (s.format && FORMAT_CHECKS[s.format] && !FORMAT_CHECKS[s.format]?.(value)) return false;
  }
  if (typeof value === 'number') {
    if (s.minimum !== undefined && value < s.minimum) return false;
    if (s.maximum !== undefined && value > s.maximum) return false;
    if (s.exclusiveMinimum !== undefined && value <= s.exclusiveMinimum) return false;
    if (s.exclusiveMaximum !== undefined && value >= s.exclusiveMaximum) return false;
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems) return false;
    if (s.maxItems !== undefined && value.length > s.maxItems) return false;
    if (s.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) return false;
    if (s.items && !value.every((v) => admits(s.items as JsonSchema, v, components))) return false;
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const name of s.required ?? []) if (!(name in record)) return false;
    for (const [name, v] of Object.entries(record)) {
      const sub = s.properties && Object.hasOwn(s.properties, name) ? s.properties[name] : undefined;
      if (sub) {
        if (!admits(sub, v, components)) return false;
      } else if (s.additionalProperties === false) {
        return false;
      } else if (
        typeof s.additionalProperties === 'object' &&
        !admits(s.additionalProperties, v, components)
      ) {
        return false;
      }
    }
  }
  return true;
}

/** The formats zod-openapi emits, checked as the API's parsers read them. */
const FORMAT_CHECKS: Record<string, (value: string) => boolean> = {
  uri: (v) => URL.canParse(v),
  'date-time': (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v),
  date: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v),
};

function hasType(type: string, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    default:
      return true;
  }
}

/** Strings an attacker tries: control and format characters, injections, PAN-like runs, huge input. */
export const hostileString: Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\u202e',
    '%',
    '%00',
    '../../etc/passwd',
    "' OR 1=1 --",
    '<script>alert(1)</script>',
    '$' + '{jndi:ldap://x}',
    '{"$gt":""}',
    '4111 1111 1111 1111',
    '\ud800',
    'null',
    'ord_',
    'x'.repeat(5000),
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', minLength: 256, maxLength: 700 }),
);

/** A value of any JSON type that is likely wrong here (wrong type, out of range, hostile text). */
const hostileScalar: Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(null, true, -1, 0, 0.5, 1e300, -1e300, Number.MAX_SAFE_INTEGER + 2, [], {}, [1, 2], {
    a: { b: { c: 1 } },
  }),
  fc.jsonValue({ maxDepth: 3 }),
);

/**
 * Values built from a valid one by one mutation the document forbids: a required property dropped,
 * an unknown property added, a property replaced by a hostile value, or the whole value replaced.
 */
export function hostileValue(schema: JsonSchema, components: Components): Arbitrary<unknown> {
  const s = resolve(schema, components);
  const names = Object.keys(s.properties ?? {});
  const mutations: Arbitrary<unknown>[] = [hostileScalar];
  if (names.length > 0 || s.type === 'object') {
    const valid = validValue(s, components) as Arbitrary<Record<string, unknown>>;
    mutations.push(
      fc
        .tuple(valid, fc.constantFrom(...(names.length > 0 ? names : ['x'])), hostileScalar)
        .map(([v, name, bad]) => ({ ...v, [name]: bad })),
      fc
        .tuple(
          valid,
          fc.constantFrom('__proto__', 'constructor', 'unknownField', 'AMOUNT', ''),
          hostileScalar,
        )
        .map(([v, name, bad]) => ({ ...v, [name]: bad })),
    );
    const required = s.required ?? [];
    if (required.length > 0) {
      mutations.push(
        fc.tuple(valid, fc.constantFrom(...required)).map(([v, name]) => {
          const copy = { ...v };
          delete copy[name];
          return copy;
        }),
      );
    }
  }
  return fc.oneof(...mutations);
}
