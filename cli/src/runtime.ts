// What every command needs, built once per invocation from the global flags and the environment.
import type { Command } from 'commander';
import { Client } from './client.js';
import { chosenAlias, loadCliConfig, type CliConfig, type GlobalFlags } from './config.js';
import { CliError, EXIT } from './errors.js';
import { Output, type Io } from './output.js';
import { profileOf, profilesFile } from './profiles.js';
import { shouldShowProgress } from './progress.js';

export interface Runtime {
  readonly cfg: CliConfig;
  readonly client: Client;
  readonly out: Output;
  readonly io: Io;
}

export function runtime(cmd: Command, io: Io): Runtime {
  const flags = cmd.optsWithGlobals<GlobalFlags>();
  const alias = chosenAlias(flags, io.env);
  const profile = alias === undefined ? undefined : profileOf(profilesFile(io.env), alias);
  const cfg = loadCliConfig(flags, io.env, profile);
  return { cfg, client: new Client(cfg, io.stop), out: new Output(cfg.json, io), io };
}

/** `--help` text: examples after the options, one `$ kubecdn ...` line each. */
export function examples(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((l) => (l.startsWith('#') ? `  ${l}` : `  $ ${l}`)).join('\n')}\n`;
}

/** A local file problem (missing input, unwritable output) is the caller's to fix: exit 1 with the system reason. */
export function localFileError(err: unknown, file: string, doing: string): CliError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const reason = code ?? (err as Error | null)?.message ?? String(err);
  return new CliError(EXIT.usage, `Cannot ${doing} ${file} (${reason}).`, 'local_file', { cause: err });
}

/** Whether this transfer gets a progress bar; `stdoutIsData` when the bytes themselves go to stdout (get -o -). */
export function wantsProgress(rt: Runtime, totalBytes: number | undefined, stdoutIsData = false): boolean {
  return shouldShowProgress({
    enabled: rt.cfg.progress,
    json: rt.cfg.json,
    stdoutIsTTY: !stdoutIsData && rt.io.stdout.isTTY === true,
    stderrIsTTY: rt.io.stderr.isTTY === true,
    totalBytes,
  });
}
