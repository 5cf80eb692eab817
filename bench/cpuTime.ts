// CPU time a process has used (all its threads, user + system), from Linux's /proc/<pid>/stat: the write rounds of
// the MinIO section report it per acknowledged PUT, so a ratio of latencies comes with what each store spent on it.
import fs from 'node:fs/promises';

// USER_HZ: the unit of /proc's times. 100 on every Linux ABI Node runs on (sysconf(_SC_CLK_TCK); not configurable).
const TICKS_PER_S = 100;

/** utime + stime (fields 14 and 15) of a /proc/<pid>/stat line, in ms; undefined when it is not one. Pure. */
export function statCpuMs(stat: string): number | undefined {
  // the command name (field 2) is in parentheses and may hold spaces or parentheses itself: count from the last ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime] = [Number(fields[11]), Number(fields[12])];
  return fields.length > 12 && Number.isFinite(utime) && Number.isFinite(stime) ? ((utime + stime) * 1000) / TICKS_PER_S : undefined;
}

/** The process's CPU time so far, ms; undefined when it cannot be read (gone, or not Linux). */
export async function cpuMs(pid: number): Promise<number | undefined> {
  return statCpuMs(await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''));
}
