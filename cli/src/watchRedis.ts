// Subscribes to the file_notifications Pub/Sub channel directly, as the original notification.py did. Pub/Sub has
// no history: events published while the connection is down are lost (the node's /events can resume; this cannot).
import { CliError, EXIT, networkReason } from './errors.js';
import { eventLine } from './format.js';
import type { Runtime } from './runtime.js';
import { backoffMs } from './watchEvents.js';

export const NOTIFICATION_CHANNEL = 'file_notifications';

/** The URL without its password, for messages. Pure. */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) return url;
  const u = new URL(url);
  if (u.password !== '') u.password = '***';
  return u.toString();
}

/**
 * ioredis is loaded here only: it is the heaviest dependency and rarely needed. The standalone CLI package
 * (scripts/pack-cli.ts) has it as an optional peer dependency, so it may be missing: say how to get it.
 */
const importIoredis = async (): Promise<{ Redis: typeof import('ioredis').Redis }> => import('ioredis');

async function loadIoredis(): ReturnType<typeof importIoredis> {
  try {
    return await importIoredis();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new CliError(
      EXIT.usage,
      'watch --redis needs the ioredis package, which this installation lacks (npm install -g ioredis); ' +
        'watch without --redis needs nothing more.',
      'missing_dependency',
      { cause: err },
    );
  }
}

export async function watchRedis(rt: Runtime, url: string, count: number | undefined, stop: AbortSignal): Promise<void> {
  let subscribed = false;
  const { Redis } = await loadIoredis();
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: null,
    // Before the first subscription a failure is final (a wrong URL should not retry forever); after it, reconnect.
    retryStrategy: (times) => (subscribed ? backoffMs(times - 1) : null),
  });
  redis.on('error', () => undefined); // reported through connect() below and the 'reconnecting' note
  const shown = redactUrl(url);
  try {
    await redis.connect();
    await redis.subscribe(NOTIFICATION_CHANNEL);
  } catch (err) {
    redis.disconnect();
    throw new CliError(EXIT.server, `Cannot reach Redis at ${shown} (${networkReason(err)}).`, 'unreachable', { cause: err });
  }
  subscribed = true;
  rt.out.note(`subscribed to ${NOTIFICATION_CHANNEL} on ${shown}`);
  redis.on('reconnecting', (ms: number) => rt.out.note(`lost Redis at ${shown}; reconnecting in ${ms} ms (events meanwhile are lost)`));
  redis.on('ready', () => rt.out.note(`subscribed to ${NOTIFICATION_CHANNEL} on ${shown} again`));
  try {
    await new Promise<void>((resolve) => {
      let seen = 0;
      redis.on('message', (_channel: string, raw: string) => {
        rt.out.line(rt.cfg.json ? raw : eventLine(raw));
        if (count !== undefined && ++seen >= count) resolve();
      });
      if (stop.aborted) resolve();
      stop.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    redis.disconnect();
  }
}
