// The CLI's one config loader: global flags first, then the chosen alias (a profile in the config file, profiles.ts),
// then KUBECDN_URL / KUBECDN_TOKEN, then defaults. Every problem is reported together, and the result is frozen. The
// environment is passed in (main.ts reads process.env once).
import path from 'node:path';
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
  readonly alias?: string | undefined;
}

/** A named server and token from the config file (`kubecdn alias set`). */
export interface Profile {
  readonly url: string;
  readonly token?: string | undefined;
}

export const httpUrl = z
  .string()
  .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), 'must be an http:// or https:// URL')
  .transform((s) => s.replace(/\/+$/, ''));

export const tokenSchema = z.string().regex(/^\S+$/, 'must be one word without spaces');

const schema = z.object({
  server: httpUrl,
  token: tokenSchema.optional(),
  json: z.boolean(),
  progress: z.boolean(),
});

// Empty means unset, so `KUBECDN_TOKEN= kubecdn put ...` falls back instead of failing.
const given = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

type Env = Readonly<Record<string, string | undefined>>;

/** The alias asked for, if any: --alias wins over KUBECDN_ALIAS. */
export const chosenAlias = (flags: GlobalFlags, env: Env): string | undefined => given(flags.alias) ?? given(env.KUBECDN_ALIAS);

/** Where profiles live: KUBECDN_CONFIG, else $XDG_CONFIG_HOME/kubecdn/config.json, else ~/.config/kubecdn/config.json. */
export function configFile(env: Env, home: string): string {
  const explicit = given(env.KUBECDN_CONFIG);
  if (explicit !== undefined) return explicit;
  return path.join(given(env.XDG_CONFIG_HOME) ?? path.join(home, '.config'), 'kubecdn', 'config.json');
}

export function loadCliConfig(flags: GlobalFlags, env: Env, profile?: Profile): CliConfig {
  const parsed = schema.safeParse({
    server: given(flags.server) ?? profile?.url ?? given(env.KUBECDN_URL) ?? DEFAULT_SERVER,
    token: given(flags.token) ?? profile?.token ?? given(env.KUBECDN_TOKEN),
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
