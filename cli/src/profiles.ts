// Named servers and tokens (`kubecdn alias set NAME URL TOKEN`, like `mc alias`), kept in one JSON file that only
// its owner can read: the file is written whole to a temporary name with mode 0600 and renamed over the old one,
// inside a directory of mode 0700.
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { configFile, httpUrl, tokenSchema, type Profile } from './config.js';
import { CliError, EXIT } from './errors.js';

export const aliasName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" and "-", up to 64');

const fileSchema = z.object({
  aliases: z.record(aliasName, z.object({ url: httpUrl, token: tokenSchema.optional() })).default({}),
});

export type Profiles = Record<string, Profile>;
type Env = Readonly<Record<string, string | undefined>>;

export const profilesFile = (env: Env): string => configFile(env, os.homedir());

/** Every profile; none when the file does not exist yet. A file that is not ours to read is an error (exit 1). */
export function readProfiles(file: string): Profiles {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(EXIT.usage, `Cannot read the config file ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)}).`, 'invalid_config', { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliError(EXIT.usage, `The config file ${file} is not JSON.`, 'invalid_config', { cause: err });
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new CliError(EXIT.usage, `The config file ${file} is invalid: ${problems}.`, 'invalid_config');
  }
  return parsed.data.aliases;
}

/** The profile named NAME, or a usage error naming the file and the aliases it has. */
export function profileOf(file: string, name: string): Profile {
  const all = readProfiles(file);
  const profile = all[name];
  if (profile !== undefined) return profile;
  const known = Object.keys(all);
  const hint = known.length === 0 ? 'it has none: add one with "kubecdn alias set NAME URL TOKEN"' : `it has ${known.join(', ')}`;
  throw new CliError(EXIT.usage, `No alias "${name}" in ${file} (${hint}).`, 'unknown_alias');
}

export async function writeProfiles(file: string, profiles: Profiles): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await fs.writeFile(temp, `${JSON.stringify({ aliases: profiles }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await fs.rename(temp, file);
    await fs.chmod(file, 0o600); // an older file may have been created with other permissions
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw new CliError(EXIT.usage, `Cannot write the config file ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)}).`, 'invalid_config', { cause: err });
  }
}
