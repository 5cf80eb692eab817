// Where wrk and the servers run during the hit rounds (bench/affinity.ts): the decisions, and taskset on a real child.
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { describePlacement, descendants, placeChildren, placementFor, withPlacement } from '../../../bench/affinity.js';

const PS = `    1     0
  100     1
  200   100
  201   100
  300   200
  400     1
  bogus line
`;

/** taskset's list ("0,1", "1-3", "2") as CPU numbers */
const expand = (list: string): number[] =>
  list.split(',').flatMap((part) => {
    const [a, b = a] = part.split('-').map(Number) as [number, number?];
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
const cpusOf = (pid: number): number[] => expand(/list:\s*(\S+)/.exec(execFileSync('taskset', ['-c', '-p', String(pid)]).toString())?.[1] ?? '');
const childOf = (pid: number): number => {
  try {
    return Number(execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)]).toString().trim());
  } catch {
    return 0; // none yet: ps exits 1
  }
};

describe('placement', () => {
  it('keeps wrk on CPU 0 and the servers on the rest; nothing on one CPU', () => {
    expect(placementFor(1)).toBeUndefined();
    expect(placementFor(2)).toEqual({ wrk: '0', servers: '1-1', all: '0-1' });
    expect(placementFor(8)).toEqual({ wrk: '0', servers: '1-7', all: '0-7' });
    expect(describePlacement(undefined)).toMatch(/not pinned/);
    expect(describePlacement(placementFor(2))).toMatch(/alone on CPU 1-1, and wrk .* on CPU 0/);
  });

  it('finds every process under a root, not the root nor its siblings', () => {
    expect(descendants(100, PS).sort()).toEqual([200, 201, 300]);
    expect(descendants(400, PS)).toEqual([]);
    expect(descendants(1, PS).sort()).toEqual([100, 200, 201, 300, 400]);
  });
});

describe.runIf(os.availableParallelism() >= 2)('on this machine', () => {
  const family = async (): Promise<{ pid: number; grandchild: number; kill: () => void }> => {
    // sh forks a sleep: a grandchild, as nginx's worker is
    const child = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore', detached: true });
    const pid = child.pid as number;
    const kill = (): void => void process.kill(-pid, 'SIGKILL'); // the group: sh and its sleep
    await expect.poll(() => childOf(pid)).toBeGreaterThan(0);
    return { pid, grandchild: childOf(pid), kill };
  };

  it('moves every process this one started, grandchildren too, to the given CPUs', async () => {
    const a = await family();
    try {
      expect(await placeChildren('0')).toBeGreaterThanOrEqual(2);
      expect([cpusOf(a.pid), cpusOf(a.grandchild)]).toEqual([[0], [0]]);
    } finally {
      a.kill();
      await placeChildren(`0-${os.availableParallelism() - 1}`);
    }
  });

  it("isolates the server under test on the servers' CPUs and the rest with wrk; afterwards all get every CPU back", async () => {
    const [server, other] = [await family(), await family()];
    const all = Array.from({ length: os.availableParallelism() }, (_, i) => i);
    try {
      const seen = await withPlacement(async (isolate) => {
        const wrkCpus = await isolate(server.pid);
        const first = { wrkCpus, server: cpusOf(server.grandchild), other: cpusOf(other.grandchild) };
        await isolate(other.pid); // the next round measures the other one
        return { first, next: { server: cpusOf(server.pid), other: cpusOf(other.pid) } };
      });
      expect(seen.result).toEqual({ first: { wrkCpus: '0', server: all.slice(1), other: [0] }, next: { server: [0], other: all.slice(1) } });
      expect([cpusOf(server.grandchild), cpusOf(other.pid)]).toEqual([all, all]);
    } finally {
      server.kill();
      other.kill();
    }
  });
});
