// The targets checked against a run's results (bench/results.ts), and the markdown report (bench/report.ts).
import { describe, expect, it } from 'vitest';
import { dataFsLine, type Machine } from '../../../bench/machine.js';
import { makePlan } from '../../../bench/plan.js';
import { renderMarkdown } from '../../../bench/report.js';
import { targetRows, type BenchResults } from '../../../bench/results.js';

const machine: Machine = {
  os: 'Debian', kernel: '6', cpu: 'EPYC', sha_ni: true, nproc: 2, memoryGiB: 24, loadAvg1: 0.1, node: 'v20', nginx: '1.22.1',
  varnish: 'varnish-7.1.1', wrk: '4.1.0', redis: '7.0.15', date: '2026-01-01T00:00:00Z', gitCommit: 'abc', gitDirty: false,
};

describe('targets and report', () => {
  const s = (p50: number, p99: number) => ({ count: 10, p50, p99, min: p50, max: p99 });
  const results: BenchResults = {
    machine,
    plan: makePlan({ quick: true }),
    startedAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:02:00Z',
    loadAvg1AtEnd: 0.5,
    coalesce: { clients: 100, bytes: 4 << 20, node: 'node-b', peerTransfers: 1, peerTransfersAllNodes: 1, coalesced: 99, ok: 100, corrupt: 0, xCache: { MISS: 100 }, ms: s(10, 20), valid: true },
    notify: {
      writes: 10, writeNode: 'node-a', sseNode: 'node-b', putMs: s(5, 9),
      sse: { received: 9, fromCommitMs: s(2, 4), fromSendMs: s(6, 30), afterAckMs: s(1, 2) },
      redis: { received: 10, fromCommitMs: s(2, 4), fromSendMs: s(6, 30), afterAckMs: s(1, 2) },
    },
    errors: [{ section: 'upload', message: 'boom' }],
  };

  it('checks each target of the sections that ran; lost events make the notification row INVALID', () => {
    const rows = targetRows(results);
    expect(rows.map((r) => r.verdict)).toEqual(['PASS', 'INVALID']);
    expect(rows[1]?.note).toContain('1 of 10 events');
    // the target is on the notification path (from the commit), not on the write's own duration (from send: 30 ms)
    expect(rows[1]?.shown).toBe('4.0 ms');
  });

  it('rates hits against nginx at every size with a target (with the controls\' own ratios), and small ones against the node:http control too', () => {
    const server = (rps: number, valid = true) => ({ rps, valid, problems: valid ? [] : ['wrk saw errors'] });
    const size = (label: string, [k, node, nodeDisk, nginx]: number[], nodeValid = true) => ({
      size: label,
      servers: { kubecdn: server(k!), node: server(node!, nodeValid), nodeDisk: server(nodeDisk!), nginx: server(nginx!), varnish: server(nginx!) },
      vsNginx: k! / nginx!,
      vsNode: k! / node!,
      nodeVsNginx: node! / nginx!,
      nodeDiskVsNginx: nodeDisk! / nginx!,
    });
    const older = { ...size('1MiB', [70, 80, 0, 100]), nodeDiskVsNginx: undefined }; // a result from before the disk control
    const big = { ...size('16MiB', [90, 120, 85, 100]), diskPathVsNginx: 0.75 }; // with kubecdn's disk path measured
    const hits = { sizes: [size('1KiB', [800, 1000, 900, 2000]), size('64KiB', [900, 1000, 900, 2000], false), older, big] };
    const rows = targetRows({ ...results, coalesce: undefined, notify: undefined, hits } as unknown as BenchResults);
    expect(rows.map((r) => [r.what, r.verdict, r.shown])).toEqual([
      ['cache-hit req/s 1KiB, kubecdn / nginx', 'MISS', '0.40x (node:http: 0.50x from memory, 0.45x from disk)'],
      ['cache-hit req/s 1KiB, kubecdn / node:http control', 'MISS', '0.80x (800 / 1000)'],
      ['cache-hit req/s 64KiB, kubecdn / nginx', 'MISS', '0.45x (node:http: 0.50x from memory, 0.45x from disk)'],
      ['cache-hit req/s 64KiB, kubecdn / node:http control', 'INVALID', '0.90x (900 / 1000)'],
      ['cache-hit req/s 1MiB, kubecdn / nginx', 'MISS', '0.70x (node:http: 0.80x from memory)'],
      ['cache-hit req/s 16MiB, kubecdn / nginx', 'PASS', '0.90x (node:http: 1.20x from memory, 0.85x from disk; kubecdn from disk 0.75x)'],
    ]);
  });

  it('renders the targets, the sections and the failures as markdown', () => {
    const md = renderMarkdown(results);
    expect(md).toContain('| peer transfers for 100 concurrent cold misses of one blob | 1 | = 1 | **PASS** |');
    expect(md).toContain('## Write -> notification');
    expect(md).toContain('- upload: boom');
    expect(md).not.toContain('## Cache hits');
    expect(md).not.toContain('Warning');
  });

  it('names the filesystem the stores were on, journal or not (older results had none)', () => {
    expect(dataFsLine('ext4', '/dev/vda', '<none>\n')).toBe('ext4 without a journal on /dev/vda');
    expect(dataFsLine('ext4', '/dev/loop0', '10083\n')).toBe('ext4 with a journal on /dev/loop0');
    expect(dataFsLine('ext4', '/dev/sdb1', undefined)).toBe('ext4 on /dev/sdb1');
    expect(dataFsLine('xfs', '/dev/nvme0n1p2', undefined)).toBe('xfs on /dev/nvme0n1p2');
    expect(renderMarkdown({ ...results, machine: { ...machine, dataFs: 'ext4 without a journal on /dev/vda' } })).toContain(
      'stores on ext4 without a journal on /dev/vda; load average 0.1 at start',
    );
    expect(renderMarkdown(results)).not.toContain('stores on');
  });

  it('warns when the machine was busy before the run', () => {
    expect(renderMarkdown({ ...results, machine: { ...machine, loadAvg1: 1.5 } })).toContain('**Warning: the machine was busy');
  });
});
