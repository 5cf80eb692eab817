// The loads of the kubecdn-vs-MinIO section, identical for both stores: the same node:http client (bench/client.ts)
// and request shapes, fresh random contents (kubecdn refuses duplicate content by default), every request target
// (MinIO: a presigned URL) made before the clock starts. Bounded in count; each answer's status is counted.
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { keepAliveAgent, sha256Hex, timed, type Timed } from './client.js';
import type { GetTarget, HttpTarget, PutTarget, Store } from './minioStore.js';

const SMALL = 1024;

/** Successful samples (ms) and the other answers by status ("error" for a failed request). */
export interface Samples {
  readonly ms: number[];
  readonly failures: Record<string, number>;
}

const emptySamples = (): Samples => ({ ms: [], failures: {} });

function putBytes(target: HttpTarget, body: Buffer, agent: http.Agent): Promise<Timed> {
  const headers = { ...target.headers, 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) };
  return timed(target.url, { method: 'PUT', body, agent, headers });
}

/** One PUT, its time recorded when the store acknowledged it, its status counted otherwise. */
async function putInto(store: PutTarget, target: HttpTarget, body: Buffer, agent: http.Agent, into: Samples): Promise<void> {
  const r = await putBytes(target, body, agent).catch(() => undefined);
  const status = r?.status ?? 'error';
  if (r !== undefined && status === store.putOk) into.ms.push(r.ms);
  else into.failures[status] = (into.failures[status] ?? 0) + 1;
}

/** `n` PUTs of fresh 1 KiB contents to `keys(i)`, one after the other on one keep-alive connection. */
export async function sequentialPuts(store: PutTarget, n: number, keys: (i: number) => string): Promise<Samples> {
  const targets = await Promise.all(Array.from({ length: n }, (_, i) => store.put(keys(i))));
  const agent = keepAliveAgent(1);
  const out = emptySamples();
  for (const t of targets) await putInto(store, t, randomBytes(SMALL), agent, out);
  agent.destroy();
  return out;
}

export interface Burst extends Samples {
  readonly seconds: number;
}

/**
 * `writers` clients, each on its own keep-alive connection, each writing `perWriter` fresh 1 KiB objects to new keys
 * one after the other, all at once. Each writer first makes one unmeasured PUT (its connection is open when the
 * clock starts). The rate is acknowledged objects / wall time.
 */
export async function concurrentPuts(store: PutTarget, writers: number, perWriter: number, prefix: string): Promise<Burst> {
  const plans = await Promise.all(
    Array.from({ length: writers }, (_, w) => Promise.all(Array.from({ length: perWriter + 1 }, (_, i) => store.put(`${prefix}/w${w}/${i}`)))),
  );
  const agents = plans.map(() => keepAliveAgent(1));
  const warm = emptySamples();
  await Promise.all(plans.map((targets, w) => putInto(store, targets[0] as HttpTarget, randomBytes(SMALL), agents[w] as http.Agent, warm)));
  const out = emptySamples();
  const t0 = performance.now();
  await Promise.all(
    plans.map(async (targets, w) => {
      for (const t of targets.slice(1)) await putInto(store, t, randomBytes(SMALL), agents[w] as http.Agent, out);
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  agents.forEach((a) => a.destroy());
  return { ...out, seconds };
}

/** `n` listings of `key`'s versions on one keep-alive connection; one that is not 200 with `expect` versions fails. */
export async function listings(store: Store, key: string, expect: number, n: number): Promise<Samples> {
  const url = await store.listVersions(key, expect);
  const agent = keepAliveAgent(1);
  const out = emptySamples();
  for (let i = 0; i < n; i++) {
    const r = await timed(url, { agent, keepBody: true }).catch(() => undefined);
    const count = r?.status === 200 ? store.countVersions(r.body?.toString() ?? '') : -1;
    if (r !== undefined && count === expect) out.ms.push(r.ms);
    else {
      const why = r === undefined ? 'error' : r.status === 200 ? `${count} versions` : String(r.status);
      out.failures[why] = (out.failures[why] ?? 0) + 1;
    }
  }
  agent.destroy();
  return out;
}

/** Stores `bytes` under `key` and reads them back through the URL wrk will load; throws unless both work. */
export async function storeForReads(store: GetTarget, key: string, bytes: Buffer): Promise<string> {
  const agent = keepAliveAgent(1);
  try {
    const w = await putBytes(await store.put(key), bytes, agent);
    if (w.status !== store.putOk) throw new Error(`${store.name} PUT ${key}: ${w.status}`);
    const url = await store.get(key);
    const r = await timed(url, { agent });
    if (r.status !== 200 || r.sha256 !== sha256Hex(bytes)) throw new Error(`${store.name} GET ${key}: status ${r.status}, bytes ${r.sha256 === sha256Hex(bytes) ? 'ok' : 'differ'}`);
    return url;
  } finally {
    agent.destroy();
  }
}
