// zod → a structural OpenAPI v3 schema the API server accepts: no $ref, no unbounded-integer noise, Kubernetes
// extensions (x-kubernetes-*) kept, int-or-string and free-form objects in the forms the API server allows.
import { z } from 'zod';

export type JsonSchema = { [key: string]: unknown };

const SAFE = Number.MAX_SAFE_INTEGER;

export function toStructuralSchema(schema: z.ZodType): JsonSchema {
  const raw = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'throw',
    reused: 'inline',
  });
  return clean(raw);
}

function clean(node: JsonSchema): JsonSchema {
  if (node['x-kubernetes-int-or-string'] === true) return pick(node, ['description', 'x-kubernetes-int-or-string']);
  if (node['x-kubernetes-preserve-unknown-fields'] === true) {
    return {
      ...pick(node, ['description']),
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
    };
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (!dropped(key, value)) out[key] = cleanValue(key, value);
  }
  if (out.type === 'object' && out.properties !== undefined) delete out.additionalProperties;
  return out;
}

/** $schema, and the integer bounds zod writes for "any safe integer". */
function dropped(key: string, value: unknown): boolean {
  return key === '$schema' || (key === 'minimum' && value === -SAFE) || (key === 'maximum' && value === SAFE);
}

/** Sub-schemas are cleaned the same way; anything else is kept as it is. */
function cleanValue(key: string, value: unknown): unknown {
  if (key === 'properties') return mapValues(value as Record<string, JsonSchema>, clean);
  const subSchema = key === 'items' || (key === 'additionalProperties' && typeof value === 'object');
  return subSchema ? clean(value as JsonSchema) : value;
}

function pick(node: JsonSchema, keys: string[]): JsonSchema {
  return Object.fromEntries(keys.filter((k) => node[k] !== undefined).map((k) => [k, node[k]]));
}

function mapValues<T, U>(obj: Record<string, T>, f: (v: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, f(v)]));
}
