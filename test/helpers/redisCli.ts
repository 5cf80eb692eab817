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
