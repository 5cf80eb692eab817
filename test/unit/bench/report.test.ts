// The targets checked against a run's results (bench/results.ts), and the markdown report (bench/report.ts).
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../../bench/machine.js';
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

  it('renders the targets, the sections and the failures as markdown', () => {
    const md = renderMarkdown(results);
    expect(md).toContain('| peer transfers for 100 concurrent cold misses of one blob | 1 | = 1 | **PASS** |');
    expect(md).toContain('## Write -> notification');
    expect(md).toContain('- upload: boom');
    expect(md).not.toContain('## Cache hits');
    expect(md).not.toContain('Warning');
  });

  it('warns when the machine was busy before the run', () => {
    expect(renderMarkdown({ ...results, machine: { ...machine, loadAvg1: 1.5 } })).toContain('**Warning: the machine was busy');
  });
});
