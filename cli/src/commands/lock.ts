// kubecdn lock NAME [--ttl 30s] [--wait 10s] [--holder NAME]: takes the lease on a name (POST /locks/{name}). While it
// is held, only writes carrying its token (--lock-token) commit; everyone else's get 423 after their --wait.
import { Command } from 'commander';
import { lockPath, query } from '../names.js';
import { durationOption } from '../options.js';
import type { Io } from '../output.js';
import { examples, runtime } from '../runtime.js';
import type { LockGrant } from '../types.js';

interface LockFlags {
  readonly ttl: number;
  readonly wait?: number;
  readonly holder?: string;
}

export function lockCommand(io: Io): Command {
  return new Command('lock')
    .description('take the lock on NAME for --ttl; prints the token that unlock and --lock-token need')
    .argument('<name>', 'the file name to lock')
    .addOption(durationOption('--ttl <duration>', 'how long the lock lasts unless released', 30_000))
    .addOption(durationOption('--wait <duration>', 'if someone else holds it, wait up to this long (default: fail at once)'))
    .option('--holder <name>', 'who holds the lock, as shown to others (default: chosen by the node)')
    .addHelpText(
      'after',
      examples([
        'kubecdn lock site/index.html --ttl 2m',
        'TOKEN=$(kubecdn lock site/index.html --holder deploy-bot --json | jq -r .token)',
        'kubecdn put site/index.html ./index.html --lock-token "$TOKEN"',
        'kubecdn unlock site/index.html "$TOKEN"',
      ]),
    )
    .action(async (name: string, opts: LockFlags, cmd: Command) => {
      const rt = runtime(cmd, io);
      const grant = await rt.client.json<LockGrant>(lockPath(name) + query({ waitMs: opts.wait }), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(opts.holder === undefined ? {} : { 'X-Lock-Holder': opts.holder }) },
        body: JSON.stringify({ ttlMs: opts.ttl }),
        ctx: { name, feature: 'locks' },
      });
      rt.out.result({ ...grant, name }, () =>
        [
          `Locked ${name} until ${grant.expiresAt}${grant.holder === undefined ? '' : ` as ${grant.holder}`}`,
          `token:          ${grant.token}`,
          `fencing token:  ${grant.fencingToken}`,
          `write with:     kubecdn put ${name} FILE --lock-token ${grant.token}`,
          `release with:   kubecdn unlock ${name} ${grant.token}`,
        ].join('\n'),
      );
    });
}
