// kubecdn watch: live change notifications, from a node's /events (resumable) or straight from Redis Pub/Sub.
import { Command } from 'commander';
import { CliError, EXIT } from '../errors.js';
import type { Io } from '../output.js';
import { durationOption, parseCount, parseEventId, parseRedisUrl } from '../options.js';
import { examples, runtime } from '../runtime.js';
import { watchEvents } from '../watchEvents.js';
import { watchRedis } from '../watchRedis.js';

interface WatchFlags {
  readonly from?: string;
  readonly count?: number;
  readonly redis?: string;
  readonly idleTimeout: number;
}

export function watchCommand(io: Io): Command {
  return new Command('watch')
    .description('print change notifications as they happen, one line each; reconnects and resumes by itself')
    .option('--from <id>', 'start after this event id (0: everything the node still retains); default: from now', parseEventId)
    .option('--count <n>', 'exit after N events', parseCount)
    .option('--redis <url>', 'subscribe to the file_notifications channel on this Redis instead of a node (no resume)', parseRedisUrl)
    .addOption(durationOption('--idle-timeout <duration>', 'reconnect when the stream is silent this long (the node pings every 15s)', 60_000))
    .addHelpText(
      'after',
      examples([
        'kubecdn watch',
        'kubecdn watch --json --count 1            # wait for the next change, print it as JSON, exit',
        'kubecdn watch --from 1700000000000-0      # resume after an event id seen earlier',
        'kubecdn watch --redis redis://127.0.0.1:6379',
        '# stops cleanly (exit 0) on Ctrl-C',
      ]),
    )
    .action(async (opts: WatchFlags, cmd: Command) => {
      const rt = runtime(cmd, io);
      if (opts.redis !== undefined && opts.from !== undefined) {
        throw new CliError(EXIT.usage, '--from needs a node\'s /events: Redis Pub/Sub keeps no history.', 'usage');
      }
      if (opts.redis !== undefined) return watchRedis(rt, opts.redis, opts.count, io.stop);
      return watchEvents(rt, { from: opts.from, count: opts.count, idleTimeoutMs: opts.idleTimeout }, io.stop);
    });
}
