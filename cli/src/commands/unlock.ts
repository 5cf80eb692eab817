// kubecdn unlock NAME TOKEN: releases a lock taken with `kubecdn lock` (DELETE /locks/{name}, 204).
import { Command } from 'commander';
import { lockPath } from '../names.js';
import type { Io } from '../output.js';
import { examples, runtime } from '../runtime.js';

export function unlockCommand(io: Io): Command {
  return new Command('unlock')
    .description('release the lock on NAME; TOKEN is what `kubecdn lock` printed')
    .argument('<name>', 'the locked file name')
    .argument('<token>', 'the lock token')
    .addHelpText('after', examples(['kubecdn unlock site/index.html 5f0c2a...', 'kubecdn unlock site/index.html "$TOKEN" --json']))
    .action(async (name: string, token: string, _opts: unknown, cmd: Command) => {
      const rt = runtime(cmd, io);
      await rt.client.send(lockPath(name), {
        method: 'DELETE',
        headers: { 'X-Lock-Token': token },
        ctx: { name, feature: 'locks' },
      });
      rt.out.result({ name, released: true }, () => `Unlocked ${name}`);
    });
}
