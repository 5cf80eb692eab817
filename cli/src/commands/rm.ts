// kubecdn rm NAME: writes a delete marker; older versions stay readable and revert brings the file back.
import { Command } from 'commander';
import { writeSummary } from '../format.js';
import { filePath, query } from '../names.js';
import type { Io } from '../output.js';
import { examples, runtime } from '../runtime.js';
import type { WriteResult } from '../types.js';
import { withWriteOptions, writeExtras, type WriteFlags } from '../writeOptions.js';

export function rmCommand(io: Io): Command {
  return withWriteOptions(new Command('rm'))
    .description('delete a file (a delete marker: older versions stay readable, revert restores)')
    .argument('<name>', 'the file name')
    .addHelpText('after', examples(['kubecdn rm site/old.html', 'kubecdn rm site/old.html --json']))
    .action(async (name: string, opts: WriteFlags, cmd: Command) => {
      const rt = runtime(cmd, io);
      const extras = writeExtras(opts);
      const result = await rt.client.json<WriteResult>(filePath(name) + query(extras.query), {
        method: 'DELETE',
        headers: extras.headers,
        ctx: { name },
      });
      rt.out.result(result, () => writeSummary(result));
    });
}
