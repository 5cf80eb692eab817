// kubecdn ls [PREFIX]: live files in name order, following the node's cursor across pages.
import { Command } from 'commander';
import { formatBytes, table } from '../format.js';
import { query } from '../names.js';
import { parseCount } from '../options.js';
import { collectPages } from '../pages.js';
import type { Io } from '../output.js';
import { examples, runtime, type Runtime } from '../runtime.js';
import type { FilesPage } from '../types.js';

export function lsCommand(io: Io): Command {
  return new Command('ls')
    .description('list live files (deleted ones are left out), optionally only those starting with PREFIX')
    .argument('[prefix]', 'a name prefix, e.g. site/', '')
    .option('--limit <n>', 'at most N files (default: all)', parseCount)
    .addHelpText('after', examples(['kubecdn ls', 'kubecdn ls site/', 'kubecdn ls site/ --json | jq -r ".files[].name"']))
    .action(async (prefix: string, opts: { limit?: number }, cmd: Command) => runLs(runtime(cmd, io), prefix, opts.limit));
}

async function runLs(rt: Runtime, prefix: string, limit: number | undefined): Promise<void> {
  const files = await collectPages(async (cursor, want) => {
    const page = await rt.client.json<FilesPage>(`/files${query({ prefix: prefix || undefined, limit: want, cursor })}`);
    return { items: page.files, next: page.nextCursor };
  }, limit);
  rt.out.result({ files }, () => {
    if (files.length === 0) return prefix === '' ? 'No files.' : `No files start with "${prefix}".`;
    const rows = files.map((f) => [`v${f.version}`, formatBytes(f.size), f.createdAt, f.name]);
    return table(['VERSION', 'SIZE', 'UPDATED', 'NAME'], rows);
  });
}
