// The shared HTTP client: one place that builds URLs, attaches the token to writes, and turns every failure (no
// answer, or an error answer) into a CliError from the catalogue. Commands never look at a status code themselves
// except to tell success shapes apart (200 unchanged vs 201 created).
import type { CliConfig } from './config.js';
import { fromApiFailure, fromNetworkError, interrupted, type ApiFailure, type FailureContext } from './errors.js';

export type Context = Omit<FailureContext, 'server'>;

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** a string, bytes, or a stream (sent chunked or with the Content-Length given in headers) */
  readonly body?: string | Uint8Array | ReadableStream<Uint8Array>;
  readonly ctx?: Context;
  readonly signal?: AbortSignal;
}

const WRITE_METHODS = new Set(['PUT', 'POST', 'DELETE', 'PATCH']);

export class Client {
  constructor(
    private readonly cfg: CliConfig,
    /** aborts every request and response body in flight (Ctrl-C) */
    private readonly stop?: AbortSignal,
  ) {}

  get server(): string {
    return this.cfg.server;
  }

  url(path: string): string {
    return `${this.cfg.server}${path}`;
  }

  /** The response when it is a success (2xx); otherwise throws the catalogue's CliError. */
  async send(path: string, opts: RequestOptions = {}): Promise<Response> {
    const res = await this.fetchRaw(path, opts);
    if (res.ok) return res;
    throw fromApiFailure(await readFailure(res), { server: this.cfg.server, ...opts.ctx });
  }

  async json<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(path, opts);
    return (await res.json()) as T;
  }

  /** Any answer at all; throws only when none came (refused, DNS, reset before headers). */
  async fetchRaw(path: string, opts: RequestOptions = {}): Promise<Response> {
    try {
      return await fetch(this.url(path), this.init(opts));
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      if (this.stop?.aborted) throw interrupted();
      throw fromNetworkError(err, this.url(path));
    }
  }

  private init(opts: RequestOptions): RequestInit & { duplex?: 'half' } {
    const method = opts.method ?? 'GET';
    const headers: Record<string, string> = { ...opts.headers };
    // Reads never need the token; keeping it off them keeps it out of caches and access logs that log headers.
    if (this.cfg.token !== undefined && WRITE_METHODS.has(method)) headers.Authorization = `Bearer ${this.cfg.token}`;
    const signals = [this.stop, opts.signal].filter((s): s is AbortSignal => s !== undefined);
    const init: RequestInit & { duplex?: 'half' } = { method, headers, signal: AbortSignal.any(signals) };
    if (opts.body === undefined) return init;
    // A streamed body needs duplex 'half' (fetch's rule); it goes chunked unless headers give a Content-Length.
    return { ...init, body: opts.body, ...(opts.body instanceof ReadableStream ? { duplex: 'half' as const } : {}) };
  }
}

/** The `{"error":{code,message,...}}` body of an error answer, or just its status when the body is something else. */
export async function readFailure(res: Response): Promise<ApiFailure> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined; // HEAD, a proxy's HTML page, an empty body
  }
  const error = (body as { error?: unknown } | undefined)?.error;
  if (typeof error !== 'object' || error === null) {
    return { status: res.status, code: undefined, message: undefined, details: {} };
  }
  const { code, message, ...details } = error as Record<string, unknown>;
  return {
    status: res.status,
    code: typeof code === 'string' ? code : undefined,
    message: typeof message === 'string' ? message : undefined,
    details,
  };
}
