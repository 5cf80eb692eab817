// A minimal SSE reader for tests: collects {id, data} events from a fetch body.
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
  const decoder = new TextDecoder();
  let buf = '';
  const done = (async () => {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) !== -1) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let id = '';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data) events.push({ id, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
    } catch {
      // aborted or the server went away
    }
  })();
  return { events, close: () => ctrl.abort(), done };
}
