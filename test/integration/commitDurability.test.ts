// What an acknowledged version survives, as the node reads it from Redis' own settings on every (re)connect:
// kubecdn_redis_commit_durability{mode} and a warning when a machine crash could lose acknowledged versions.
import { afterEach, describe, expect, it } from 'vitest';
import { durabilityOf } from '../../node/src/metadata/durability.js';
import { metric } from '../helpers/metrics.js';
import { spawnNode, type ChildNode } from '../helpers/node.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';

const MODES = ['fsync', 'everysec', 'none', 'unknown'];
const durability = async (url: string): Promise<string[]> => {
  const on: string[] = [];
  for (const mode of MODES) if ((await metric(url, 'kubecdn_redis_commit_durability', { mode })) === 1) on.push(mode);
  return on;
};

/** The node's log is buffered: its line arrives within the logger's flush interval. */
const said = (node: ChildNode, text: string): Promise<void> => waitFor(() => node.output().includes(text), 10_000, `the node saying "${text}"`);

describe('durabilityOf (pure)', () => {
  it('only an fsync-always append-only file makes a 201 survive a machine crash', () => {
    expect(durabilityOf('yes', 'always')).toBe('fsync');
    expect(durabilityOf('yes', 'everysec')).toBe('everysec');
    expect(durabilityOf('yes', 'no')).toBe('none');
    expect(durabilityOf('no', 'always')).toBe('none');
    expect(durabilityOf(undefined, 'always')).toBe('unknown');
  });
});

describe('the node reads Redis durability', () => {
  let redis: TestRedis | undefined;
  let node: ChildNode | undefined;
  afterEach(async () => {
    await node?.stop();
    await redis?.stop();
  });

  it('fsync with appendfsync always; everysec after Redis changes and the node reconnects', async () => {
    redis = await startRedis({ persist: true });
    node = await spawnNode(redis.url, { LOG_LEVEL: 'info' });
    await waitFor(async () => (await durability(node!.url)).join() === 'fsync', 10_000, 'fsync');
    expect(node.output()).not.toContain('machine crash can lose');
    const admin = redis.client();
    await admin.config('SET', 'appendfsync', 'everysec');
    await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes'); // the node's connections drop and come back
    await waitFor(async () => (await durability(node!.url)).join() === 'everysec', 15_000, 'everysec after the reconnect');
    await said(node, 'a machine crash can lose up to ~1 s of acknowledged versions');
  });

  it('none without an append-only file, with a warning at start', async () => {
    redis = await startRedis();
    node = await spawnNode(redis.url);
    await waitFor(async () => (await durability(node!.url)).join() === 'none', 10_000, 'none');
    await said(node, 'Redis keeps no fsynced append-only file');
  });

  it('unknown when Redis refuses CONFIG to the node (an ACL user, as on a hosted Redis)', async () => {
    redis = await startRedis({ persist: true });
    await redis.client().acl('SETUSER', 'kubecdn', 'on', '>acl-password', '~*', '&*', '+@all', '-config');
    node = await spawnNode(`redis://kubecdn:acl-password@127.0.0.1:${redis.port}`);
    await waitFor(async () => (await durability(node!.url)).join() === 'unknown', 10_000, 'unknown');
    await said(node, 'CONFIG GET refused');
  });
});
