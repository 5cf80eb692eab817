// Peak resident memory of a process, from Linux's /proc: VmHWM ("high water mark"), which `echo 5 > clear_refs`
// resets to the current RSS (Linux >= 4.0), so each phase of a run gets its own peak from the same processes.
import fs from 'node:fs/promises';

/** Reads a "VmHWM:   123456 kB" style field of /proc/<pid>/status. Pure. */
export function statusField(status: string, field: string): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** Peak RSS in bytes since the process started or since the last reset; 0 when it cannot be read. */
export async function peakRss(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return statusField(status, 'VmHWM') ?? 0;
}

/** Current RSS in bytes; 0 when it cannot be read. */
export async function currentRss(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return statusField(status, 'VmRSS') ?? 0;
}

/** true when the peak was reset (needs the same user or root). */
export async function resetPeakRss(pid: number): Promise<boolean> {
  return fs
    .writeFile(`/proc/${pid}/clear_refs`, '5')
    .then(() => true)
    .catch(() => false);
}
