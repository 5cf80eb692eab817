// The node's one Pub/Sub subscription to file_notifications. Its state is explicit because the head cache may only
// trust its entries while the subscription is live: any gap (disconnect, Redis restart) could hide an invalidation.
import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { LOCK_RELEASED_CHANNEL, NOTIFICATION_CHANNEL } from '../metadata/keys.js';

export type SubscriptionStatus = 'connecting' | 'subscribed' | 'disconnected' | 'closed';

export interface Notification {
  readonly event: string;
  readonly filename: string;
  readonly id?: string;
  readonly [k: string]: unknown;
}

/**
 * Emits:
 *  - 'status' (status, previous) on every change, through setStatus only;
 *  - 'message' (Notification, raw JSON) for each notification;
 *  - 'resync' after (re)subscribing: whatever was cached before may be stale;
 *  - 'lock-released' (name) when a lease is released anywhere (LOCK_RELEASED_CHANNEL).
 */
export class Subscriber extends EventEmitter {
  status: SubscriptionStatus = 'connecting';
  private readonly redis: Redis;

  constructor(
    url: string,
    auth: { password?: string },
    private readonly log: Logger,
  ) {
    super();
    this.redis = new Redis(url, {
      ...auth,
      lazyConnect: true,
      autoResubscribe: false, // we resubscribe ourselves on 'ready', so 'subscribed' means exactly that
      maxRetriesPerRequest: null,
      retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
    });
    this.redis.on('ready', () => void this.subscribe());
    this.redis.on('close', () => this.setStatus('disconnected'));
    this.redis.on('error', (err: Error) => this.log.debug({ err: err.message }, 'subscriber connection error'));
    this.redis.on('message', (channel: string, raw: string) => {
      if (channel === LOCK_RELEASED_CHANNEL) this.emit('lock-released', raw);
      else this.onMessage(raw);
    });
  }

  async start(): Promise<void> {
    await this.redis.connect();
  }

  close(): void {
    this.setStatus('closed');
    this.redis.disconnect();
  }

  private async subscribe(): Promise<void> {
    try {
      await this.redis.subscribe(NOTIFICATION_CHANNEL, LOCK_RELEASED_CHANNEL);
      this.setStatus('subscribed');
      this.emit('resync');
    } catch (err) {
      // Still connected but not subscribed: waiting for a reconnect could take forever. Drop the connection, so the
      // retry strategy reconnects and 'ready' subscribes again.
      if (this.status === 'closed') return;
      this.log.warn({ err: (err as Error).message }, 'subscribe failed; reconnecting to try again');
      this.redis.disconnect(true);
    }
  }

  private onMessage(raw: string): void {
    let msg: Notification;
    try {
      msg = JSON.parse(raw) as Notification;
    } catch {
      return; // not ours (the channel is shared with the original clients); nothing to invalidate
    }
    if (typeof msg.filename === 'string') this.emit('message', msg, raw);
  }

  private setStatus(next: SubscriptionStatus): void {
    if (this.status === next || this.status === 'closed') return;
    const prev = this.status;
    this.status = next;
    this.log.info({ from: prev, to: next }, 'subscription status');
    this.emit('status', next, prev);
  }
}
