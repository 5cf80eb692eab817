// The pure parts of single commands: the headers `put` sends (commands/put.ts), the table `cluster` prints
// (commands/cluster.ts).
import { describe, expect, it } from 'vitest';
import { renderCluster } from '../../cli/src/commands/cluster.js';
import { putHeaders } from '../../cli/src/commands/put.js';

describe('put headers', () => {
  it('a file sends its length and digest; stdin neither; the type only when given', () => {
    const sha = 'c'.repeat(64);
    expect(putHeaders({ size: 12, sha256: sha }, undefined)).toEqual({ 'Content-Length': '12', 'X-Content-SHA256': sha });
    expect(putHeaders({ size: undefined, sha256: undefined }, 'text/plain')).toEqual({ 'Content-Type': 'text/plain' });
    expect(putHeaders({ size: 0, sha256: sha }, undefined)['Content-Length']).toBe('0');
  });
});

describe('renderCluster', () => {
  it('one row per member: the asked one starred, cache stats, under-replicated count, or why it was not reached', () => {
    const text = renderCluster({
      askedNode: 'node-a',
      askedUrl: 'http://cdn:8080',
      standalone: false,
      replicationFactor: 2,
      members: [
        { id: 'node-a', url: 'http://10.0.0.1:8080', reachable: true, cache: { bytes: 2048, maxBytes: 1024 ** 3, entries: 3 }, underReplicated: 0 },
        { id: 'node-b', url: 'http://10.0.0.2:8080', reachable: false, error: 'ECONNREFUSED' },
      ],
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe('Cluster seen from node-a at http://cdn:8080: 2 members, replication factor 2');
    expect(lines[1]).toMatch(/^NODE\s+URL\s+CACHE\s+ENTRIES\s+UNDER-REPLICATED$/);
    expect(lines[2]).toMatch(/^node-a\*\s+http:\/\/10\.0\.0\.1:8080\s+2\.0 KiB of 1\.0 GiB\s+3\s+0$/);
    expect(lines[3]).toMatch(/^node-b\s+http:\/\/10\.0\.0\.2:8080\s+unreachable \(ECONNREFUSED\)/);
  });
});
