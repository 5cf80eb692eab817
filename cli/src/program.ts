// The command tree and the one place errors become exit codes and messages.
import { Command, CommanderError, Help, Option } from 'commander';
import { aliasCommand } from './commands/alias.js';
import { clusterCommand } from './commands/cluster.js';
import { completionCommand } from './commands/completion.js';
import { getCommand } from './commands/get.js';
import { lockCommand } from './commands/lock.js';
import { lsCommand } from './commands/ls.js';
import { putCommand } from './commands/put.js';
import { revertCommand } from './commands/revert.js';
import { rmCommand } from './commands/rm.js';
import { statCommand } from './commands/stat.js';
import { syncCommand } from './commands/sync.js';
import { unlockCommand } from './commands/unlock.js';
import { versionsCommand } from './commands/versions.js';
import { watchCommand } from './commands/watch.js';
import { DEFAULT_SERVER } from './config.js';
import { CliError, EXIT } from './errors.js';
import type { Io } from './output.js';
import { examples } from './runtime.js';
import { cliVersion } from './version.js';

const FOOTER = `
Environment:
  KUBECDN_URL     the node to talk to (default ${DEFAULT_SERVER}); --server wins
  KUBECDN_TOKEN   the write token for put, revert, rm, lock, unlock; --token wins
  KUBECDN_ALIAS   a saved server and token (kubecdn alias); --alias wins; --server/--token win over it

Exit codes:
  0 ok   1 usage or invalid request   2 not found   3 conflict or duplicate   4 auth
  5 server error or unreachable   6 integrity (checksum mismatch)   130 interrupted
${examples([
  'kubecdn put site/index.html ./index.html',
  'kubecdn get site/index.html -o index.html',
  'kubecdn --server http://cdn.example:8080 ls site/ --json',
  'kubecdn <command> --help',
])}`;

export function buildProgram(io: Io): Command {
  const program = new Command('kubecdn')
    .description('Command-line client for a kubecdn node: files, versions, change notifications, locks, cluster.')
    .option('-s, --server <url>', `the node's base URL (env KUBECDN_URL, default ${DEFAULT_SERVER})`)
    .option('--token <token>', 'write token (env KUBECDN_TOKEN; the environment keeps it out of `ps`)')
    .option('-a, --alias <name>', 'use the server and token saved as NAME (env KUBECDN_ALIAS; see `kubecdn alias`)')
    .option('--json', 'machine-readable output: JSON on stdout; errors as {"error":{...}} on stderr')
    .option('--no-progress', 'never show a progress bar (none is shown anyway unless on a terminal)')
    .configureHelp({ showGlobalOptions: true, visibleOptions: withVersionOption })
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) })
    .exitOverride()
    .addHelpText('after', FOOTER);
  const commands = [
    getCommand(io),
    putCommand(io),
    syncCommand(io),
    versionsCommand(io),
    revertCommand(io),
    rmCommand(io),
    lsCommand(io),
    statCommand(io),
    watchCommand(io),
    lockCommand(io),
    unlockCommand(io),
    clusterCommand(io),
    aliasCommand(io),
    completionCommand(io),
  ];
  for (const cmd of commands) program.addCommand(cmd.copyInheritedSettings(program));
  return program;
}

// `-V, --version` is not a commander option of the program: commander would then take `get NAME --version 2` (the
// version of a file) for the program's flag, since program options are recognised after the command too. It is
// recognised only before any command (rootVersionAsked) and shown in the root's help.
const VERSION_OPTION = new Option('-V, --version', "print the CLI's version and exit");

function withVersionOption(this: Help, cmd: Command): Option[] {
  const shown = Help.prototype.visibleOptions.call(this, cmd);
  return cmd.parent === null ? [...shown, VERSION_OPTION] : shown;
}

const TAKES_VALUE = new Set(['-s', '--server', '--token', '-a', '--alias']);

/** Whether the arguments ask for the CLI's version: -V or --version before any command. Pure. */
export function rootVersionAsked(args: readonly string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '-V' || a === '--version') return true;
    if (!a.startsWith('-')) return false; // the command
    if (TAKES_VALUE.has(a)) i++;
  }
  return false;
}

/** Runs one invocation; returns the exit code (main sets it; nothing here calls process.exit). */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  if (rootVersionAsked(argv.slice(2))) {
    io.stdout.write(`${cliVersion()}\n`);
    return EXIT.ok;
  }
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    // Commander has already printed its usage message (or the help, which exits 0).
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const e = err instanceof CliError ? err : unexpected(err, io);
    report(e, program.opts<{ json?: boolean }>().json === true, io);
    return e.exitCode;
  }
}

function report(e: CliError, json: boolean, io: Io): void {
  if (json) io.stderr.write(`${JSON.stringify({ error: { code: e.code, message: e.message, exitCode: e.exitCode } })}\n`);
  else io.stderr.write(`kubecdn: ${e.message}\n`);
}

/** A bug or a reply this client cannot read: say so plainly; KUBECDN_DEBUG=1 adds the stack. */
function unexpected(err: unknown, io: Io): CliError {
  const detail = io.env.KUBECDN_DEBUG ? `\n${(err as Error).stack ?? String(err)}` : '';
  return new CliError(EXIT.server, `Unexpected error: ${(err as Error).message ?? String(err)}${detail}`, 'unexpected', {
    cause: err,
  });
}
