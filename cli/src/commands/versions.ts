// kubecdn versions NAME: the history of a name, newest first, following the node's cursor across pages.
import { Command } from 'commander';
import { table, versionRows } from '../format.js';
import { query, versionsPath } from '../names.js';
import { parseCount } from '../options.js';
import { collectPages } from '../pages.js';
import type { Io } from '../output.js';
import { examples, runtime, type Runtime } from '../runtime.js';
import type { VersionsPage } from '../types.js';

export function versionsCommand(io: Io): Command {
  return new Command('versions')
    .description('list the versions of a file, newest first (delete markers and reverts included)')
    .argument('<name>', 'the file name')
    .option('--limit <n>', 'at most N versions (default: all)', parseCount)
    .addHelpText(
      'after',
      examples(['kubecdn versions docs/readme.md', 'kubecdn versions docs/readme.md --limit 5 --json']),
    )
    .action(async (name: string, opts: { limit?: number }, cmd: Command) => runVersions(runtime(cmd, io), name, opts.limit));
}

async function runVersions(rt: Runtime, name: string, limit: number | undefined): Promise<void> {
  let count = 0;
  const versions = await collectPages(async (cursor, want) => {
    const page = await rt.client.json<VersionsPage>(versionsPath(name) + query({ limit: want, cursor }), { ctx: { name } });
    count = page.count;
    return { items: page.versions, next: page.nextCursor };
  }, limit);
  rt.out.result({ name, count, versions }, () => {
    const title = `${name}: ${count} version${count === 1 ? '' : 's'}, newest first`;
    return `${title}\n${table(['VERSION', 'SIZE', 'CREATED', 'SHA256', 'NOTES'], versionRows(versions))}`;
  });
}
