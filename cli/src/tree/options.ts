// The options sync, put -r and get -r share, and the one report of what a tree transfer did.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { CliError } from '../errors.js';
import { formatBytes } from '../format.js';
import { parseCount } from '../options.js';
import type { Runtime } from '../runtime.js';
import { pathFilter } from './filters.js';

export interface TreeFlags {
  readonly include?: string[];
  readonly exclude?: string[];
  readonly parallel: number;
  readonly dryRun?: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function withTreeOptions(cmd: Command): Command {
  return cmd
    .option('--include <glob>', 'only paths matching GLOB (repeatable; "*.html", "css/**")', collect)
    .option('--exclude <glob>', 'leave out paths matching GLOB (repeatable; wins over --include)', collect)
    .addOption(new Option('--parallel <n>', 'transfers at a time').argParser(parseParallel).default(4))
    .option('--dry-run', 'print what would be done; change nothing');
}

function parseParallel(raw: string): number {
  const n = parseCount(raw);
  if (n > 64) throw new InvalidArgumentError('at most 64.');
  return n;
}

/** Whether tree-only flags were given (they mean nothing without -r). */
export const treeOnly = (o: Partial<TreeFlags>): boolean => (o.include?.length ?? 0) > 0 || (o.exclude?.length ?? 0) > 0 || o.dryRun === true;

export const keepOf = (flags: TreeFlags): ((rel: string) => boolean) => pathFilter(flags.include ?? [], flags.exclude ?? []);

/** A file that could not be transferred: the run goes on, and its exit code is the first failure's. */
export interface Failure {
  readonly name: string;
  readonly error: CliError;
}

export function failureJson(f: Failure): { name: string; code: string; message: string } {
  return { name: f.name, code: f.error.code, message: f.error.message };
}

/** Every failure on stderr, then the first one's exit code (so scripts see exit 0 only when everything went). */
export function finish(rt: Runtime, failures: readonly Failure[]): void {
  if (failures.length === 0) return;
  for (const f of failures) rt.out.note(`${f.name}: ${f.error.message}`);
  const first = failures[0] as Failure;
  throw new CliError(first.error.exitCode, `${failures.length} of the files failed (listed above).`, first.error.code);
}

export const bytesOf = (items: ReadonlyArray<{ readonly size: number }>): string =>
  formatBytes(items.reduce((sum, i) => sum + i.size, 0));
