// Options every write command (put, revert, rm) shares: work under a lock taken with `kubecdn lock`, and how long to
// wait behind someone else's lock before the node answers 423.
import type { Command } from 'commander';
import { durationOption } from './options.js';

export interface WriteFlags {
  readonly lockToken?: string;
  readonly wait?: number;
}

export function withWriteOptions(cmd: Command): Command {
  return cmd
    .option('--lock-token <token>', 'write under this lock (the token `kubecdn lock` printed)')
    .addOption(durationOption('--wait <duration>', "wait up to this long behind another holder's lock (default: fail at once)"));
}

/** The header and query a write carries for these flags. Pure. */
export function writeExtras(flags: WriteFlags): { headers: Record<string, string>; query: { waitMs?: number } } {
  return {
    headers: flags.lockToken === undefined ? {} : { 'X-Lock-Token': flags.lockToken },
    query: flags.wait === undefined ? {} : { waitMs: flags.wait },
  };
}
