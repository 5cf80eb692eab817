import { describe, expect, it } from 'vitest';
import { SseParser } from '../../cli/src/sse.js';

describe('SseParser', () => {
  it('parses id and data, and ignores comments such as heartbeats', () => {
    const p = new SseParser();
    const events = p.push(': connected\n\nid: 1-0\ndata: {"a":1}\n\n: ping\n\n');
    expect(events).toEqual([{ id: '1-0', event: 'message', data: '{"a":1}' }]);
    expect(p.lastEventId).toBe('1-0');
  });

  it('reassembles events split across chunks at any point', () => {
    const text = 'id: 17-3\ndata: {"filename":"a/b.txt"}\n\nid: 17-4\ndata: second\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      const p = new SseParser();
      const events = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(events.map((e) => [e.id, e.data])).toEqual([
        ['17-3', '{"filename":"a/b.txt"}'],
        ['17-4', 'second'],
      ]);
    }
  });

  it('accepts CRLF and CR line endings, including a CRLF split between chunks', () => {
    const p = new SseParser();
    const events = [...p.push('id: 1-0\r'), ...p.push('\ndata: x\r\n\r\n'), ...p.push('data: y\r\rdata: z\n\n')];
    expect(events.map((e) => e.data)).toEqual(['x', 'y', 'z']);
  });

  it('joins multi-line data with newlines and strips exactly one space after the colon', () => {
    const p = new SseParser();
    const [ev] = p.push('data:  two spaces\ndata:none\ndata\n\n');
    expect(ev?.data).toBe(' two spaces\nnone\n');
  });

  it('keeps the last id for later events and dispatches nothing for an id-only block', () => {
    const p = new SseParser('5-0');
    expect(p.push('id: 6-0\n\n')).toEqual([]);
    expect(p.lastEventId).toBe('6-0');
    expect(p.push('data: x\n\n')).toEqual([{ id: '6-0', event: 'message', data: 'x' }]);
  });

  it('reads event types and retry, ignores ids with NUL and unknown fields', () => {
    const p = new SseParser();
    const [ev] = p.push('event: file\nretry: 1500\nid: bad\u0000id\nfoo: bar\ndata: d\n\n');
    expect(ev).toEqual({ id: undefined, event: 'file', data: 'd' });
    expect(p.retryMs).toBe(1500);
  });

  it('drops an event whose blank line never came when the stream ends', () => {
    const p = new SseParser();
    expect(p.push('id: 1-0\ndata: half')).toEqual([]);
    p.end();
    expect(p.push('data: next\n\n')).toEqual([{ id: '1-0', event: 'message', data: 'next' }]);
  });
});
