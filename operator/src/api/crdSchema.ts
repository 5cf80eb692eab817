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
    if (key === '$schema') continue;
    if ((key === 'minimum' && value === -SAFE) || (key === 'maximum' && value === SAFE)) continue;
    if (key === 'properties') out[key] = mapValues(value as Record<string, JsonSchema>, clean);
    else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) {
      out[key] = clean(value as JsonSchema);
    } else out[key] = value;
  }
  if (out.type === 'object' && out.properties !== undefined) delete out.additionalProperties;
  return out;
}

function pick(node: JsonSchema, keys: string[]): JsonSchema {
  return Object.fromEntries(keys.filter((k) => node[k] !== undefined).map((k) => [k, node[k]]));
}

function mapValues<T, U>(obj: Record<string, T>, f: (v: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, f(v)]));
}
