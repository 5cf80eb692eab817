// client-node failures → KubeError, once: ApiException carries the HTTP status; anything else is the network.
import { ApiException } from '@kubernetes/client-node';
import { KubeError } from './types.js';

export function toKubeError(err: unknown, what: string): KubeError {
  if (err instanceof KubeError) return err;
  if (err instanceof ApiException) {
    const body = (err as ApiException<unknown>).body;
    const msg = typeof body === 'string' ? tryMessage(body) : undefined;
    return KubeError.fromStatus(err.code, `${what}: ${msg ?? `HTTP ${err.code}`}`, err);
  }
  return new KubeError('Unavailable', undefined, `${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

function tryMessage(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { message?: string }).message;
  } catch {
    return body.slice(0, 300);
  }
}

/** Runs fn; a NotFound becomes undefined, every other failure a KubeError. */
export async function orUndefined<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    const k = toKubeError(err, what);
    if (k.reason === 'NotFound') return undefined;
    throw k;
  }
}

export async function wrapped<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toKubeError(err, what);
  }
}
