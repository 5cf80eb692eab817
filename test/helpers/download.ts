// Downloads as a client sees them: the status, and whether the body arrived whole (as many bytes as Content-Length
// said, the connection not cut). A fault test asserts that no response is both complete and wrong.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { rank } from '../../node/src/cluster/placement.js';

export interface Download {
  readonly status: number;
  /** the body arrived whole */
  readonly complete: boolean;
  readonly body: Buffer;
  readonly sha256: string;
  readonly code: string | undefined;
  readonly headers: Headers;
}

export async function download(url: string, headers: Record<string, string> = {}): Promise<Download> {
  const res = await fetch(url, { headers });
  let body = Buffer.alloc(0);
  let complete = true;
  try {
    body = Buffer.from(await res.arrayBuffer());
  } catch {
    complete = false; // the server cut the transfer
  }
  let code: string | undefined;
  if (complete && res.headers.get('content-type')?.startsWith('application/json')) {
    code = (JSON.parse(body.toString()) as { error?: { code?: string } }).error?.code;
  }
  return { status: res.status, complete, body, sha256: createHash('sha256').update(body).digest('hex'), code, headers: res.headers };
}

export const blobFile = (dataDir: string, sha: string): string => path.join(dataDir, 'blobs', sha.slice(0, 2), sha.slice(2, 4), sha);

export type Corruption = 'flip' | 'append' | 'truncate';

/** Changes a stored blob behind the node's back, as rot or a stray process would. */
export async function corrupt(file: string, how: Corruption): Promise<void> {
  if (how === 'append') return fs.appendFile(file, 'EXTRA BYTES PAST THE RECORDED SIZE');
  if (how === 'truncate') {
    const { size } = await fs.stat(file);
    return fs.truncate(file, Math.floor(size / 2));
  }
  const fh = await fs.open(file, 'r+');
  try {
    const { size } = await fh.stat();
    const at = Math.floor(size / 2);
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    b[0]! ^= 0x01;
    await fh.write(b, 0, 1, at);
  } finally {
    await fh.close();
  }
}

/** Content of `size` bytes whose rendezvous order among `ids` starts with `order` (placement.ts decides). */
export function contentRanked(ids: string[], order: string[], size: number, tag = ''): Buffer {
  for (let i = 0; i < 100_000; i++) {
    const head = Buffer.from(`${tag} ${i} `);
    const buf = Buffer.alloc(size, 0x61);
    head.copy(buf);
    const sha = createHash('sha256').update(buf).digest('hex');
    const r = rank(sha, ids);
    if (order.every((id, k) => r[k] === id)) return buf;
  }
  throw new Error(`no content ranks ${order.join(',')} first`);
}
