// Reads a node's /events in a test, with the CLI's parser (cli/src/sse.ts): the id and the JSON data of each event.
import { SseParser } from '../../cli/src/sse.js';

export interface SseEvent {
  id: string;
  data: Record<string, unknown>;
}

export interface SseReader {
  events: SseEvent[];
  close(): void;
  done: Promise<void>;
}

export async function readSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const ctrl = new AbortController();
  const res = await fetch(url, { headers, signal: ctrl.signal });
  if (res.status !== 200 || !res.body) throw new Error(`SSE ${url}: ${res.status}`);
  const events: SseEvent[] = [];
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const collect = (chunk: Uint8Array): void => {
    for (const ev of parser.push(decoder.decode(chunk, { stream: true }))) {
      if (ev.data !== '') events.push({ id: ev.id ?? '', data: JSON.parse(ev.data) as Record<string, unknown> });
    }
  };
  const done = (async () => {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) collect(chunk);
    } catch {
      // aborted or the server went away
    }
  })();
  return { events, close: () => ctrl.abort(), done };
}
