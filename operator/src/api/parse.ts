// Reading a CdnCluster from the API server: validate and default once, report every problem together.
import { cdnClusterSchema } from './schema.js';
import type { CdnCluster } from './types.js';

export type ParseResult = { ok: true; cluster: CdnCluster } | { ok: false; problems: string[] };

export function parseCdnCluster(obj: unknown): ParseResult {
  const r = cdnClusterSchema.safeParse(obj);
  if (r.success) return { ok: true, cluster: r.data };
  return {
    ok: false,
    problems: r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
  };
}
