// The worker side of offThreadHash.ts: per transfer, the CRC-32 of each MiB (chunkCrc.ts) and, on a blob's first
// read, its SHA-256, fed chunks that live in shared memory (the read pool's SharedArrayBuffers: no copy), each
// acknowledged once read so its buffer can be read into again. The main thread compares what comes back.
import { createHash, type Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { FromThread, ToThread } from './offThreadHash.js';

// the built program loads chunkCrc.js; the tests run this file as TypeScript (Node strips the types), which needs
// the real file name
const { SumsTaker } = (await import(import.meta.url.endsWith('.ts') ? './chunkCrc.ts' : './chunkCrc.js')) as typeof import('./chunkCrc.js');
type Taker = InstanceType<typeof SumsTaker>;

/** one transfer: the hash (absent when the sums are known already) and its sums */
const transfers = new Map<number, { hash: Hash | undefined; sums: Taker }>();
const port = parentPort;
if (port === null) throw new Error('hashThread.js runs as a worker thread (offThreadHash.ts starts it)');
const reply = (m: FromThread, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);

/** What one transfer's 'digest' answers: the hex SHA-256 ('' when not hashed) and the sums (empty when incomplete). */
function answer(id: number): FromThread {
  const t = transfers.get(id);
  transfers.delete(id);
  return ['digest', id, t?.hash?.digest('hex') ?? '', t?.sums.done() ?? new Uint32Array(0)];
}

port.on('message', (m: ToThread) => {
  const [kind, id] = m;
  if (kind === 'open') {
    transfers.set(id, { hash: m[2] ? createHash('sha256') : undefined, sums: new SumsTaker(m[3]) });
  } else if (kind === 'update') {
    const t = transfers.get(id);
    const bytes = new Uint8Array(m[2], m[3], m[4]);
    t?.hash?.update(bytes);
    t?.sums.add(bytes);
    reply(['hashed', id]);
  } else if (kind === 'digest') {
    const a = answer(id);
    reply(a, [(a[3] as Uint32Array).buffer as ArrayBuffer]); // the sums move, no copy
  } else {
    transfers.delete(id);
  }
});
