// The worker side of offThreadHash.ts: one SHA-256 per transfer, fed chunks that live in shared memory (the read
// pool's SharedArrayBuffers: no copy), each acknowledged once hashed so its buffer can be read into again.
import { createHash, type Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { FromThread, ToThread } from './offThreadHash.js';

const hashes = new Map<number, Hash>();
const port = parentPort;
if (port === null) throw new Error('hashThread.js runs as a worker thread (offThreadHash.ts starts it)');
const reply = (m: FromThread): void => port.postMessage(m);

port.on('message', (m: ToThread) => {
  const [kind, id] = m;
  if (kind === 'update') {
    let h = hashes.get(id);
    if (h === undefined) hashes.set(id, (h = createHash('sha256')));
    h.update(new Uint8Array(m[2], m[3], m[4]));
    reply(['hashed', id]);
  } else if (kind === 'digest') {
    const h = hashes.get(id) ?? createHash('sha256');
    hashes.delete(id);
    reply(['digest', id, h.digest('hex')]);
  } else {
    hashes.delete(id);
  }
});
