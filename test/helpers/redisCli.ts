// A real redis-cli subscriber process, as the original notification.py used Redis Pub/Sub.
import { spawn } from 'node:child_process';
import { waitFor } from './redis.js';

export interface CliSubscriber {
  messages(): string[];
  stop(): void;
}

export async function subscribeWithRedisCli(port: number, channel: string): Promise<CliSubscriber> {
  // With stdout not a TTY, redis-cli prints raw lines: "message", the channel, the payload (JSON has no newlines).
  const proc = spawn('redis-cli', ['-p', String(port), 'SUBSCRIBE', channel], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => out.startsWith('subscribe\n') && out.split('\n').length >= 4, 10_000, 'redis-cli SUBSCRIBE');
  return {
    messages: () => {
      const lines = out.split('\n');
      const msgs: string[] = [];
      for (let i = 3; i + 2 < lines.length; i++) {
        if (lines[i] === 'message' && lines[i + 1] === channel) {
          msgs.push(lines[i + 2] ?? '');
          i += 2;
        }
      }
      return msgs;
    },
    stop: () => proc.kill('SIGKILL'),
  };
}

/** One command as MONITOR shows it: who sent it ("lua" for a script's own calls, else the client's address). */
export interface Monitored {
  readonly source: string;
  readonly name: string;
  readonly args: readonly string[];
}

export interface CliMonitor {
  commands(): Monitored[];
  stop(): void;
}

/** Parses MONITOR lines: `<time> [<db> <source>] "<name>" "<arg>" ...` (arguments quoted, escapes left as they are). Pure. */
export function parseMonitorLine(line: string): Monitored | undefined {
  const m = /^\d+\.\d+ \[\d+ ([^\]]+)\] (.*)$/.exec(line);
  if (!m) return undefined;
  const words = [...(m[2] ?? '').matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((w) => w[1] ?? '');
  const [name, ...args] = words;
  return name === undefined ? undefined : { source: m[1] ?? '', name: name.toLowerCase(), args };
}

/** A real `redis-cli MONITOR`: every command the server runs from here on, in order, scripts' own calls included. */
export async function monitorWithRedisCli(port: number): Promise<CliMonitor> {
  const proc = spawn('redis-cli', ['-p', String(port), 'MONITOR'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => out.startsWith('OK\n'), 10_000, 'redis-cli MONITOR');
  return {
    commands: () => out.split('\n').flatMap((l) => parseMonitorLine(l) ?? []),
    stop: () => proc.kill('SIGKILL'),
  };
}
