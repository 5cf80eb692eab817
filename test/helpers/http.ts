// Small fetch wrappers for tests.
import { createHash } from 'node:crypto';

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

export const fileUrl = (base: string, name: string): string =>
  `${base}/files/${name.split('/').map(encodeURIComponent).join('/')}`;

export async function put(base: string, name: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(fileUrl(base, name), { method: 'PUT', body, headers });
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** Subscribes a real `redis-cli` to a channel; messages() returns what arrived so far. */
export { subscribeWithRedisCli } from './redisCli.js';
