// kubecdn revert NAME VERSION: a new version with the content of an old one; history is never rewritten.
import { Command } from 'commander';
import { writeSummary } from '../format.js';
import { query, revertPath } from '../names.js';
import { parseVersionArg } from '../options.js';
import type { Io } from '../output.js';
import { examples, runtime } from '../runtime.js';
import type { WriteResult } from '../types.js';
import { withWriteOptions, writeExtras, type WriteFlags } from '../writeOptions.js';

export function revertCommand(io: Io): Command {
  return withWriteOptions(new Command('revert'))
    .description('make the content of an older VERSION the latest again (as a new version)')
    .argument('<name>', 'the file name')
    .argument('<version>', 'the version whose content to restore', parseVersionArg)
    .addHelpText('after', examples(['kubecdn revert site/index.html 3', 'kubecdn revert site/index.html 3 --json']))
    .action(async (name: string, version: number, opts: WriteFlags, cmd: Command) => {
      const rt = runtime(cmd, io);
      const extras = writeExtras(opts);
      const result = await rt.client.json<WriteResult>(revertPath(name) + query(extras.query), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...extras.headers },
        body: JSON.stringify({ version }),
        ctx: { name, version },
      });
      rt.out.result(result, () => writeSummary(result));
    });
}
