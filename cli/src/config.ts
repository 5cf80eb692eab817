// The CLI's one config loader: global flags first, then KUBECDN_URL / KUBECDN_TOKEN, then defaults. Every problem is
// reported together, and the result is frozen. The environment is passed in (main.ts reads process.env once).
import { z } from 'zod';
import { CliError, EXIT } from './errors.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

export interface CliConfig {
  /** base URL without a trailing slash */
  readonly server: string;
  readonly token: string | undefined;
  readonly json: boolean;
  /** false with --no-progress; whether a bar is shown also depends on the terminal (see progress.ts) */
  readonly progress: boolean;
}

/** The global flags as commander parsed them. */
export interface GlobalFlags {
  readonly server?: string | undefined;
  readonly token?: string | undefined;
  readonly json?: boolean | undefined;
  readonly progress?: boolean | undefined;
}

const httpUrl = z
  .string()
  .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), 'must be an http:// or https:// URL')
  .transform((s) => s.replace(/\/+$/, ''));

const schema = z.object({
  server: httpUrl,
  token: z
    .string()
    .regex(/^\S+$/, 'must be one word without spaces')
    .optional(),
  json: z.boolean(),
  progress: z.boolean(),
});

// Empty means unset, so `KUBECDN_TOKEN= kubecdn put ...` falls back instead of failing.
const given = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

export function loadCliConfig(flags: GlobalFlags, env: Readonly<Record<string, string | undefined>>): CliConfig {
  const parsed = schema.safeParse({
    server: given(flags.server) ?? given(env.KUBECDN_URL) ?? DEFAULT_SERVER,
    token: given(flags.token) ?? given(env.KUBECDN_TOKEN),
    json: flags.json ?? false,
    progress: flags.progress ?? true,
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${describeKey(String(i.path[0]))}: ${i.message}`);
    throw new CliError(EXIT.usage, `invalid configuration: ${problems.join('; ')}`, 'invalid_config');
  }
  return Object.freeze({ ...parsed.data, token: parsed.data.token });
}

function describeKey(key: string): string {
  if (key === 'server') return '--server / KUBECDN_URL';
  if (key === 'token') return '--token / KUBECDN_TOKEN';
  return `--${key}`;
}
