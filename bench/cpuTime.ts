// CPU time a process has used (all its threads, user + system), from Linux's /proc: the write rounds of the MinIO
// section report it per acknowledged PUT, so a ratio of latencies comes with what each store spent on it.
import fs from 'node:fs/promises';

// USER_HZ: the unit of /proc/<pid>/stat's times. 100 on every Linux ABI Node runs on (sysconf(_SC_CLK_TCK)).
const TICKS_PER_S = 100;

/** utime + stime (fields 14 and 15) of a /proc/<pid>/stat line, in ms; undefined when it is not one. Pure. */
export function statCpuMs(stat: string): number | undefined {
  // the command name (field 2) is in parentheses and may hold spaces or parentheses itself: count from the last ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime] = [Number(fields[11]), Number(fields[12])];
  return fields.length > 12 && Number.isFinite(utime) && Number.isFinite(stime) ? ((utime + stime) * 1000) / TICKS_PER_S : undefined;
}

/** The time on CPU of a /proc/<pid>/task/<tid>/schedstat line (its first field, ns), in ms. Pure. */
export function schedstatCpuMs(line: string): number | undefined {
  const ns = Number(line.split(' ')[0]);
  return line.trim() !== '' && Number.isFinite(ns) ? ns / 1e6 : undefined;
}

/**
 * The process's CPU time so far, ms; undefined when it cannot be read (gone, or not Linux). The sum of its threads'
 * schedstat (ns: a round of a few ms of Redis CPU is 0 or 10 ms in stat's 10 ms ticks), or stat when the kernel
 * keeps no schedstat. A thread that ended between two readings takes its time with it: the servers measured here
 * keep theirs (Node's and Redis' threads live as long as the process).
 */
export async function cpuMs(pid: number): Promise<number | undefined> {
  const tids = await fs.readdir(`/proc/${pid}/task`).catch(() => []);
  const each = await Promise.all(tids.map(async (t) => schedstatCpuMs(await fs.readFile(`/proc/${pid}/task/${t}/schedstat`, 'utf8').catch(() => ''))));
  if (tids.length > 0 && each.every((v) => v !== undefined)) return each.reduce<number>((a, b) => a + (b ?? 0), 0);
  return statCpuMs(await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''));
}
