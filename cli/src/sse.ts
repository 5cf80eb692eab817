// A small Server-Sent Events parser (WHATWG HTML "event stream interpretation"), pure: feed it decoded text in
// whatever pieces the network delivers, get whole events back. The watch command owns the connection.

export interface SseEvent {
  /** the last id seen on the stream so far (ids persist across events, as the spec says) */
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private eventType = '';
  private lastId: string | undefined;
  /** the server's `retry:` advice in ms, if it gave one */
  retryMs: number | undefined;
  /** a CR at the end of a chunk may be the first half of a CRLF split across chunks */
  private pendingCr = false;

  constructor(lastId?: string) {
    this.lastId = lastId;
  }

  get lastEventId(): string | undefined {
    return this.lastId;
  }

  /** Parses complete lines; an incomplete last line waits for the next chunk. */
  push(text: string): SseEvent[] {
    let chunk = text;
    if (this.pendingCr && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.pendingCr = false;
    this.buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) break;
      // A lone CR at the very end might be followed by LF in the next chunk: take the line, skip that LF later.
      if (m[0] === '\r' && m.index === this.buffer.length - 1) this.pendingCr = true;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      const ev = this.line(line);
      if (ev) out.push(ev);
    }
    return out;
  }

  /** The stream ended: an event without its blank line is incomplete and, per the spec, dropped. */
  end(): void {
    this.buffer = '';
    this.data = [];
    this.eventType = '';
    this.pendingCr = false;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined; // a comment: heartbeats (": ping") and ": connected"
    const colon = line.indexOf(':');
    if (colon === -1) this.field(line, '');
    else this.field(line.slice(0, colon), line.slice(colon + 1).replace(/^ /, ''));
    return undefined;
  }

  private field(name: string, value: string): void {
    switch (name) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\u0000')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
  }

  private dispatch(): SseEvent | undefined {
    const data = this.data;
    const type = this.eventType;
    this.data = [];
    this.eventType = '';
    if (data.length === 0) return undefined;
    return { id: this.lastId, event: type === '' ? 'message' : type, data: data.join('\n') };
  }
}
