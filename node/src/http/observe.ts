// Per-request bookkeeping for both paths: the request id, one access-log line and the request metrics.
// The lean read path records a hot hit inline right after writing it; every other request is `watch`ed until its
// response closes. Both cost little on purpose: this runs once per cache hit, and a cache hit is the product.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessLog, Logger } from '../log.js';
import type { Metrics } from '../metrics.js';

const GIVEN_ID = /^[\w.:-]{1,128}$/;

/** What one finished request amounts to (status 499: the client went away before the response was written). */
export interface Outcome {
  readonly route: string;
  readonly status: number;
  readonly start: number;
  readonly id: string;
  readonly failure?: unknown;
}

export class RequestObserver {
  private readonly prefix = randomBytes(4).toString('hex');
  private seq = 0;

  constructor(
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly access: AccessLog,
  ) {}

  /** The client's X-Request-Id when it is a sane token, else a new one (node-unique prefix + sequence). */
  id(req: IncomingMessage): string {
    const given = req.headers['x-request-id'];
    return typeof given === 'string' && GIVEN_ID.test(given) ? given : `${this.prefix}-${(this.seq++).toString(36)}`;
  }

  /** For handlers that write headers themselves later: sets X-Request-Id now and records when the response closes. */
  watch(req: IncomingMessage, res: ServerResponse): void {
    const start = performance.now();
    const id = this.id(req);
    res.setHeader('X-Request-Id', id);
    res.once('close', () => {
      const status = res.writableFinished ? res.statusCode : 499;
      this.record(req, { route: res.metricsRoute ?? 'other', status, start, id, failure: res.failure });
    });
  }

  record(req: IncomingMessage, o: Outcome): void {
    const method = req.method ?? '';
    const ms = performance.now() - o.start;
    this.metrics.requests.record(o.route, method, o.status, ms / 1000);
    // Express rewrites req.url inside routers; originalUrl is what the client sent.
    const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '';
    const rounded = Math.round(ms * 10) / 10;
    if (o.failure !== undefined) {
      this.log.error({ req: o.id, method, url, route: o.route, status: o.status, ms: rounded, err: o.failure }, 'request failed');
    } else if (this.access.enabled()) {
      // The same JSON shape as the pino line it replaces; id, method and route are token characters (no escaping).
      this.access.write(
        `"req":"${o.id}","method":"${method}","url":${JSON.stringify(url)},"route":"${o.route}","status":${o.status},"ms":${rounded},"msg":"request"`,
      );
    }
  }
}
