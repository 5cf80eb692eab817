// Follows a node's /events stream: prints each event, remembers the last id, and after any disconnect (node
// restart, network, idle stream) reconnects with backoff sending Last-Event-ID, so the node replays what was missed
// from its capped stream. Stops when asked (SIGINT) or after --count events.
import { setTimeout as sleep } from 'node:timers/promises';
import { readFailure } from './client.js';
import { CliError, fromApiFailure, networkReason } from './errors.js';
import { eventLine } from './format.js';
import type { Runtime } from './runtime.js';
import { SseParser } from './sse.js';

export interface WatchOptions {
  /** resume after this id ("0": the whole retained history); default: from now */
  readonly from: string | undefined;
  /** stop after this many events */
  readonly count: number | undefined;
  /** reconnect when nothing (not even a heartbeat) arrived for this long */
  readonly idleTimeoutMs: number;
}

const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 5000;

/** Delay before reconnect attempt `attempt` (0-based): doubling from 250 ms, at most 5 s. Pure. */
export function backoffMs(attempt: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** Math.min(attempt, 20), BACKOFF_MAX_MS);
}

/** Whether a refused connection is worth retrying: the node is busy or unwell, not telling us we are wrong. Pure. */
export const retriableStatus = (status: number): boolean => status >= 500 || status === 429 || status === 408;

const resumeNote = (id: string | undefined): string =>
  id === undefined ? '' : id === '0' ? ', replaying the retained history' : `, resuming after ${id}`;

type SessionEnd = { readonly end: 'done' | 'dropped'; readonly connected: boolean };

interface State {
  readonly count: number | undefined;
  lastId: string | undefined;
  seen: number;
  connectedOnce: boolean;
}

export async function watchEvents(rt: Runtime, opts: WatchOptions, stop: AbortSignal): Promise<void> {
  const state: State = { count: opts.count, lastId: opts.from, seen: 0, connectedOnce: false };
  let attempt = 0;
  while (!stop.aborted) {
    const { end, connected } = await session(rt, opts, state, stop);
    if (end === 'done' || stop.aborted) return;
    // Start the backoff over after a connection that worked: a restarted node should be picked up quickly.
    attempt = connected ? 0 : attempt + 1;
    const delay = backoffMs(attempt);
    rt.out.note(`reconnecting to ${rt.client.url('/events')} in ${delay} ms${state.lastId ? ` (after event ${state.lastId})` : ''}`);
    try {
      await sleep(delay, undefined, { signal: stop });
    } catch {
      return; // stopped while waiting
    }
  }
}

/** One connection: 'done' when finished (count reached, stopped), 'dropped' when it should be retried. */
async function session(rt: Runtime, opts: WatchOptions, state: State, stop: AbortSignal): Promise<SessionEnd> {
  let connected = false;
  const finish = (end: 'done' | 'dropped'): SessionEnd => ({ end: end === 'dropped' && stop.aborted ? 'done' : end, connected });
  const conn = new AbortController();
  const onStop = (): void => conn.abort();
  stop.addEventListener('abort', onStop, { once: true });
  let idle: NodeJS.Timeout | undefined;
  const kick = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => conn.abort(), opts.idleTimeoutMs);
  };
  try {
    const res = await connect(rt, state, conn.signal);
    if (res === undefined) return finish('dropped');
    state.connectedOnce = connected = true;
    rt.out.note(`connected to ${rt.client.url('/events')}${resumeNote(state.lastId)}`);
    kick();
    if ((await printEvents(rt, res, state, kick)) === 'count reached') return finish('done');
    if (!stop.aborted) rt.out.note('the node closed the event stream');
    return finish('dropped');
  } catch (err) {
    if (stop.aborted) return finish('done');
    if (err instanceof CliError) throw err;
    rt.out.note(`lost the event stream (${conn.signal.aborted ? 'idle for too long' : networkReason(err)})`);
    return finish('dropped');
  } finally {
    clearTimeout(idle);
    stop.removeEventListener('abort', onStop);
    conn.abort();
  }
}

/** Prints events as they arrive until the stream ends or --count is reached; every chunk resets the idle timer. */
async function printEvents(rt: Runtime, res: Response, state: State, kick: () => void): Promise<'ended' | 'count reached'> {
  const parser = new SseParser(state.lastId);
  const decoder = new TextDecoder();
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    kick();
    for (const ev of parser.push(decoder.decode(chunk, { stream: true }))) {
      state.lastId = ev.id ?? state.lastId;
      rt.out.line(rt.cfg.json ? ev.data : eventLine(ev.data));
      state.seen++;
      if (state.count !== undefined && state.seen >= state.count) return 'count reached';
    }
    // An id-only block (no data) also moves the resume point, so a node that announces its position on connect lets
    // a watcher resume even before its first event.
    state.lastId = parser.lastEventId ?? state.lastId;
  }
  return 'ended';
}

/**
 * Opens the stream. Before the first success any failure is final (a wrong URL should not retry forever); after it,
 * an unreachable or unwell node is retried, while a 4xx (a bad --from) is still final.
 */
async function connect(rt: Runtime, state: State, signal: AbortSignal): Promise<Response | undefined> {
  const headers: Record<string, string> = { Accept: 'text/event-stream' };
  if (state.lastId !== undefined) headers['Last-Event-ID'] = state.lastId;
  let res: Response;
  try {
    res = await rt.client.fetchRaw('/events', { headers, signal });
  } catch (err) {
    if (signal.aborted) return undefined;
    if (!state.connectedOnce) throw err;
    rt.out.note(`cannot reach ${rt.client.url('/events')} (${networkReason(err)})`);
    return undefined;
  }
  if (res.ok && res.body !== null) return res;
  const failure = await readFailure(res);
  const error = fromApiFailure(failure, { server: rt.cfg.server });
  if (!state.connectedOnce || !retriableStatus(res.status)) throw error;
  rt.out.note(error.message);
  return undefined;
}
