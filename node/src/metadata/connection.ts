// The node's Redis command connection: made once, and awaited at start with a clear answer to the one failure no
// retry can fix (Redis refusing the credentials), while anything else (Redis not up yet, a restart) is waited out.
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';

/** REDIS_PASSWORD when set (absent: whatever REDIS_URL carries). */
export const redisAuth = (cfg: Config): { password?: string } =>
  cfg.redisPassword === undefined ? {} : { password: cfg.redisPassword };

/** Redis' answers to a wrong or missing password (AUTH, HELLO) and to an unauthenticated command. */
export const isAuthError = (message: string): boolean => /^(WRONGPASS|NOAUTH|ERR invalid password|ERR AUTH)/.test(message);

export function connectRedis(cfg: Config, log: Logger): Redis {
  const redis = new Redis(cfg.redisUrl, {
    ...redisAuth(cfg),
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    // Without it a command waits as long as the socket stays open: with Redis hung or its packets dropped, a request
    // that needs Redis got no answer until IDLE_TIMEOUT_MS cut the connection (found on the e2e cluster). No command
    // on this connection blocks on purpose (no BLPOP/XREAD BLOCK; Pub/Sub has its own connection).
    commandTimeout: cfg.redisCommandTimeoutMs,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
  });
  redis.on('error', (err: Error) => log.debug({ err: err.message }, 'redis connection error'));
  return redis;
}

/** Resolves once Redis is ready; rejects at once, saying why, when Redis refuses the credentials. */
export function waitForRedis(redis: Redis, url: string, log: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      redis.off('ready', onReady);
      redis.off('error', onError);
    };
    const onReady = (): void => {
      done();
      resolve();
    };
    const onError = (err: Error): void => {
      if (!isAuthError(err.message)) return log.warn({ redis: redactUrl(url), err: err.message }, 'waiting for Redis');
      done();
      redis.disconnect();
      reject(new Error(`Redis refused this node's credentials (REDIS_PASSWORD, or the password in REDIS_URL): ${err.message}`));
    };
    redis.on('ready', onReady);
    redis.on('error', onError);
    // The first failure rejects connect(); the retry strategy goes on reconnecting, and 'ready' or 'error' decide.
    redis.connect().catch(() => undefined);
  });
}

const redactUrl = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');
