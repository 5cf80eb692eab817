// The node's HTTP server: the lean read and write paths first (readPath.ts, writePath.ts), Express for everything
// else (expressApp.ts), and one log line plus metrics per request (observe.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config } from '../config.js';
import type { Deps } from '../deps.js';
import { ApiError, apiError } from '../errors.js';
import { accessLog } from '../log.js';
import { leanCors } from './cors.js';
import { createExpressApp, filesRouteDeps } from './expressApp.js';
import { RequestObserver } from './observe.js';
import { createReadPath } from './readPath.js';
import { createWritePath } from './writePath.js';
import { clientErrorCode, rawErrorResponse, sendError } from './respond.js';

/**
 * Every response with the fields handlers add (respond.ts) from its start, in one order: added later to some
 * responses only, they gave Node's own response code (write, end, headers) several object shapes to handle at
 * the same property accesses.
 */
class Response<Request extends http.IncomingMessage = http.IncomingMessage> extends http.ServerResponse<Request> {
  override metricsRoute: string | undefined = undefined;
  override failure: unknown = undefined;
}

/**
 * The node's HTTP server, not yet listening. Until serve() replaces it, its one handler answers 503 unavailable
 * (with Retry-After): the socket is bound before the node is built, and a request that arrived with no handler at
 * all would be dropped by Node and hang.
 */
export function createHttpServer(cfg: Config): http.Server {
  return http.createServer(
    {
      headersTimeout: cfg.headersTimeoutMs,
      requestTimeout: cfg.requestTimeoutMs,
      keepAliveTimeout: 5000,
      // how often Node checks headersTimeout/requestTimeout (its default, 30 s, would let a slow client linger)
      connectionsCheckingInterval: Math.min(1000, cfg.headersTimeoutMs),
      ServerResponse: Response,
    },
    (_req, res) => sendError(res, apiError('unavailable', 'The node is starting; retry shortly.')),
  );
}

/**
 * Binds the socket before anything else is built, so the cluster knows the address peers reach this node at.
 * Connections that arrive before serve() wait in the accept queue. Returns http://host:port.
 */
export async function bindServer(server: http.Server, cfg: Config): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`;
}

/** Starts answering: the lean read and write paths first, Express for the rest. */
export function serve(server: http.Server, deps: Deps): void {
  const app = createExpressApp(deps);
  const observer = new RequestObserver(deps.metrics, deps.log, accessLog(deps.log));
  const cors = leanCors(deps.cfg.corsOrigins);
  const redisReady = (): boolean => deps.redis.status === 'ready';
  const readPath = createReadPath({
    store: deps.store,
    heads: deps.heads,
    hot: deps.hot,
    metrics: deps.metrics,
    cacheControlLatest: deps.cfg.cacheControlLatest,
    source: deps.source,
    redisReady,
    observer,
    cors,
  });
  const writePath = createWritePath({ files: filesRouteDeps(deps), observer, cors, redisReady });
  const idle = (socket: Socket): void => void socket.setTimeout(deps.cfg.idleTimeoutMs);
  server.removeAllListeners('request'); // the "starting" answer of createHttpServer
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket as Socket;
    socket[LATEST] = res;
    if (readPath(req, res)) {
      if (!handedOver(res, socket)) idle(socket);
      return;
    }
    idle(socket);
    if (writePath(req, res)) return;
    observer.watch(req, res);
    app(req, res);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket, (socket as Socket)[LATEST]));
  // Any Expect but 100-continue (Node answers that one itself); close, since the client may still send a body.
  server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) => {
    idle(req.socket);
    observer.watch(req, res);
    sendError(res, apiError('expectation_failed'), { Connection: 'close' });
  });
  // A socket with no 'timeout' listener of ours is destroyed by Node when its timer fires (and none is set by the
  // server: server.timeout stays 0).
}

/**
 * The latest response on each connection, kept on the socket, so a parser error on it is never written into a
 * response under way (a WeakMap keyed by socket was ~0.7 us a request in a profile of cache hits).
 */
const LATEST = Symbol('kubecdn.latestResponse');
type Socket = Duplex & { [LATEST]?: http.ServerResponse; setTimeout(ms: number): unknown; writableLength: number };

/**
 * Whether a response was answered at once and all of it handed to the kernel (a hot hit): then Node's keep-alive
 * timer takes the connection over as the answer finishes, and no idle timer of ours is needed. Every other request
 * gets one (IDLE_TIMEOUT_MS without a byte either way: a stalled upload, or a reader that stopped reading a big
 * answer). Arming it for each request, as server.setTimeout did, was a timer insert per cache hit (~0.9 us).
 */
const handedOver = (res: http.ServerResponse, socket: Socket): boolean => res.writableEnded && socket.writableLength === 0;

/**
 * A request Node's parser rejected (bad syntax, headers too large, too slow) has no request or response object, so
 * the answer is written on the socket itself, in the catalogue's JSON like every other error. Not when the peer is
 * gone (ECONNRESET) or the socket cannot take it, and not in the middle of a response already being sent.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, res: http.ServerResponse | undefined): void {
  const midResponse = res !== undefined && res.headersSent && !res.writableFinished;
  if (err.code === 'ECONNRESET' || !socket.writable || midResponse) {
    socket.destroy();
    return;
  }
  socket.end(rawErrorResponse(new ApiError(clientErrorCode(err.code), undefined, undefined, { cause: err })), () => socket.destroy());
}
