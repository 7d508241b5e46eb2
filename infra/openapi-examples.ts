/**
 * Fills in an `example` for every JSON request and response body of the document that has none, from
 * its schema: a field's own `example` (set at the zod source, e.g. ids in functions/lib/schema.ts),
 * else its `default`, `const` or first enum value, else a plain value of its type and format.
 * Requests carry their required fields plus those with an example of their own; responses carry
 * every field. test/e2e/openapi.test.ts checks that each example is valid by its schema.
 */
type Schema = Record<string, unknown> & {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
};
type Document = {
  components?: { schemas?: Record<string, Schema> };
  paths?: Record<string, Record<string, Operation>>;
  webhooks?: Record<string, Record<string, Operation>>;
};
type Media = { schema?: Schema; example?: unknown };
type Operation = {
  requestBody?: { content?: Record<string, Media> };
  responses?: Record<string, { content?: Record<string, Media> }>;
};

const FORMATS: Record<string, string> = {
  'date-time': '2026-03-01T12:00:00.000Z',
  date: '2026-03-01',
  email: 'ann@example.com',
  uri: 'https://shop.example/tessera/webhooks',
  url: 'https://shop.example/tessera/webhooks',
};

function resolve(schema: Schema, doc: Document): Schema {
  if (!schema.$ref) return schema;
  const target = doc.components?.schemas?.[schema.$ref.replace('#/components/schemas/', '')] ?? {};
  return resolve(target, doc);
}

function sample(schema: Schema, doc: Document, request: boolean, depth = 0): unknown {
  const s = resolve(schema, doc);
  if (s.example !== undefined) return s.example;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if (s.const !== undefined) return s.const;
  if (s.default !== undefined) return s.default;
  if (s.enum && s.enum.length > 0) return s.enum[0];
  if (s.allOf?.[0])
    return sample({ ...s, allOf: undefined, ...resolve(s.allOf[0], doc) }, doc, request, depth);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  const branch = (s.anyOf ?? s.oneOf)?.[0];
  if (branch && !s.properties) {
    const { anyOf: _a, oneOf: _o, ...rest } = s;
    return sample({ ...rest, ...resolve(branch, doc) }, doc, request, depth + 1);
  }
  switch (type ?? (s.properties ? 'object' : undefined)) {
    case 'string':
      return typeof s.format === 'string' && FORMATS[s.format] ? FORMATS[s.format] : 'string';
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? Math.max(s.minimum, Math.min(1, Number(s.maximum ?? 1))) : 1;
    case 'boolean':
      return false;
    case 'array':
      return depth > 6 ? [] : [sample(s.items ?? {}, doc, request, depth + 1)];
    case 'object': {
      // With alternatives (`oneOf` beside the properties), the example follows the first one.
      const choice = branch ? resolve(branch, doc) : undefined;
      const required = new Set([...(s.required ?? []), ...(choice?.required ?? [])]);
      const out: Record<string, unknown> = {};
      for (const [name, sub] of Object.entries(s.properties ?? {})) {
        const own = resolve(sub, doc);
        if (request && !required.has(name) && (choice || own.example === undefined)) continue;
        const narrowed = choice?.properties?.[name];
        out[name] = sample(narrowed ? { ...own, ...narrowed } : sub, doc, request, depth + 1);
      }
      return out;
    }
    default:
      return {};
  }
}

function fill(operation: Operation, doc: Document): void {
  for (const media of Object.values(operation.requestBody?.content ?? {})) {
    if (media.schema && media.example === undefined) media.example = sample(media.schema, doc, true);
  }
  for (const response of Object.values(operation.responses ?? {})) {
    for (const media of Object.values(response.content ?? {})) {
      if (media.schema && media.example === undefined) media.example = sample(media.schema, doc, false);
    }
  }
}

/** Adds examples in place and returns the document. */
export function addExamples<D extends Document>(doc: D): D {
  for (const methods of [...Object.values(doc.paths ?? {}), ...Object.values(doc.webhooks ?? {})]) {
    for (const operation of Object.values(methods)) fill(operation, doc);
  }
  return doc;
}
