// kubecdn vs MinIO on this machine (docs/benchmarks.md): one standalone kubecdn node (its Redis fsyncing every commit)
// and one MinIO server (one drive, default settings), both running for the whole section, measured with the same
// plain-HTTP client, each measurement in interleaved rounds (the order rotated each round). Writes first, then
// reads: the GETs hit processes with a write history. Peak RSS covers the whole section. The write and GET rounds
// have a third party, the node:http control (bench/writeControl.ts); the write rounds count each writer's CPU per PUT.
import { randomBytes } from 'node:crypto';
import { say } from './context.js';
import { cpuMs } from './cpuTime.js';
import { summarizeRuns } from './hits.js';
import { concurrentPuts, listings, sequentialPuts, storeForReads, type Samples } from './minioLoad.js';
import { startWriteControl } from './minioControl.js';
import { cpuPerPut, latencyResult, rateResult, type CpuRound, type GetSizeResult, type MinioResult, type PerStore, type PerWriter } from './minioResults.js';
import { minioBinary, startMinio } from './minioServer.js';
import { startKubecdnStandalone } from './minioKubecdn.js';
import { READERS, STORES, WRITERS, type GetTarget, type PutTarget, type Store } from './minioStore.js';
import { HIT_SIZES, type FileSize, type Plan } from './plan.js';
import { peakRss, resetPeakRss } from './rss.js';
import { roundOrder } from './stats.js';
import { runWrk, type WrkRun, type WrkSettings } from './wrk.js';

type Stores = PerStore<Store>;
type Writers = PerWriter<PutTarget>;
type Readers = PerWriter<GetTarget>;

export async function runMinio(plan: Plan, runDir: string): Promise<MinioResult> {
  const { bin, version } = await minioBinary();
  say(`minio: ${bin}`);
  const started: PutTarget[] = [];
  const stopAll = (): Promise<unknown> => Promise.all(started.map((s) => s.stop()));
  try {
    const minio = await startMinio(runDir, bin);
    started.push(minio);
    const kubecdn = await startKubecdnStandalone(runDir);
    started.push(kubecdn);
    const control = await startWriteControl(runDir);
    started.push(control);
    say(`write control: pids ${control.processes.map((p) => `${p.label} ${p.pid}`).join(', ')}`);
    return { minioVersion: version, kubecdnCommitDurability: kubecdn.commitDurability, ...(await measure(plan, { minio, kubecdn }, control)) };
  } finally {
    await stopAll();
  }
}

/** fn once per writer and round, in the rotated order; the results by writer, in round order. */
async function interleaved<N extends string, S, T>(rounds: number, of: { names: readonly N[]; by: Readonly<Record<N, S>> }, what: string, fn: (s: S, round: number) => Promise<T>, show: (t: T) => string): Promise<Record<N, T[]>> {
  const { names, by } = of;
  const out = Object.fromEntries(names.map((n) => [n, [] as T[]])) as Record<N, T[]>;
  for (const { round, server } of roundOrder(names, rounds)) {
    const t = await fn(by[server], round);
    out[server].push(t);
    say(`  ${what} round ${round} ${server.padEnd(7)} ${show(t)}`);
  }
  return out;
}

/** A write round with the CPU (ms) each of the writer's processes used meanwhile. */
async function withCpu<T>(w: PutTarget, fn: () => Promise<T>): Promise<{ t: T; cpuMs: Record<string, number | undefined> }> {
  const before = await Promise.all(w.processes.map((p) => cpuMs(p.pid)));
  const t = await fn();
  const after = await Promise.all(w.processes.map((p) => cpuMs(p.pid)));
  const used = (i: number): number | undefined => {
    const [b, a] = [before[i], after[i]];
    return b === undefined || a === undefined ? undefined : a - b;
  };
  return { t, cpuMs: Object.fromEntries(w.processes.map((p, i) => [p.label, used(i)])) };
}

const shown = (s: Samples): string => `${s.ms.length} ok${Object.keys(s.failures).length ? `, failed ${JSON.stringify(s.failures)}` : ''}`;
const cpuRound = (r: { t: Samples; cpuMs: Record<string, number | undefined> }): CpuRound => ({ puts: r.t.ms.length, cpuMs: r.cpuMs });

async function measure(plan: Plan, stores: Stores, control: GetTarget): Promise<Omit<MinioResult, 'minioVersion' | 'kubecdnCommitDurability'>> {
  const m = plan.minio;
  const writers: Writers = { ...stores, control };
  const processes = STORES.flatMap((n) => stores[n].processes);
  const rssResetOk = (await Promise.all(processes.map((p) => resetPeakRss(p.pid)))).every(Boolean);
  say(`vs minio: ${m.warmPuts} warm-up PUTs each, then ${m.writeRounds} rounds of ${m.seqPuts} sequential PUTs`);
  for (const n of WRITERS) await sequentialPuts(writers[n], m.warmPuts, (i) => `warm/${i}`);
  const seq = await interleaved(m.writeRounds, { names: WRITERS, by: writers }, 'sequential PUT', (s, r) => withCpu(s, () => sequentialPuts(s, m.seqPuts, (i) => `seq/${r}/${i}`)), (x) => shown(x.t));
  const conc = await interleaved(m.writeRounds, { names: WRITERS, by: writers }, `${m.writers} writers`, (s, r) => withCpu(s, () => concurrentPuts(s, m.writers, m.putsPerWriter, `conc/${r}`)), (x) => `${(x.t.ms.length / x.t.seconds).toFixed(0)} obj/s, ${shown(x.t)}`);
  const perWriter = <T>(f: (n: (typeof WRITERS)[number]) => T): PerWriter<T> => ({ minio: f('minio'), kubecdn: f('kubecdn'), control: f('control') });
  say(`vs minio: ${m.versions} versions of one key, then ${m.lists} listings per round`);
  for (const n of STORES) await sequentialPuts(stores[n], m.versions, () => 'versions/one');
  const list = await interleaved(plan.rounds, { names: STORES, by: stores }, 'list versions', (s) => listings(s, 'versions/one', m.versions, m.lists), shown);
  const wrk: WrkSettings = { connections: plan.connections, durationS: plan.durationS, timeoutS: plan.wrkTimeoutS };
  const gets: GetSizeResult[] = [];
  for (const size of HIT_SIZES) gets.push(await measureGets(plan, { ...stores, control }, size, wrk));
  const peak = async (s: Store): Promise<Record<string, number>> =>
    Object.fromEntries(await Promise.all(s.processes.map(async (p) => [p.label, (await peakRss(p.pid)) / 1024 ** 2] as const)));
  return {
    durability: { minio: stores.minio.durability, kubecdn: stores.kubecdn.durability },
    settings: { rounds: plan.rounds, ...m, wrk: { ...wrk, warmS: plan.warmS } },
    seqPut: perWriter((n) => latencyResult(seq[n].map((x) => x.t))),
    concurrentPut: perWriter((n) => rateResult(conc[n].map((x) => x.t))),
    cpuUsPerPut: perWriter((n) => ({ seq: cpuPerPut(seq[n].map(cpuRound)), concurrent: cpuPerPut(conc[n].map(cpuRound)) })),
    list: { minio: latencyResult(list.minio), kubecdn: latencyResult(list.kubecdn) },
    gets,
    peakRssMiB: { minio: await peak(stores.minio), kubecdn: await peak(stores.kubecdn) },
    rssResetOk,
  };
}

/** The same random bytes in both stores and the control, checked, then wrk on each: warm-up, then interleaved measured rounds. */
async function measureGets(plan: Plan, readers: Readers, size: FileSize, wrk: WrkSettings): Promise<GetSizeResult> {
  const bytes = randomBytes(size.bytes);
  const key = `get/${size.label}.bin`;
  const url: Record<string, string> = {};
  for (const n of READERS) url[n] = await storeForReads(readers[n], key, bytes);
  say(`vs minio GET ${size.label}: warming (${plan.warmS} s each), then ${plan.rounds} rounds of ${plan.durationS} s per store and the control`);
  for (const n of READERS) await runWrk(url[n]!, { ...wrk, durationS: plan.warmS });
  const runs = await interleaved(plan.rounds, { names: READERS, by: readers }, `GET ${size.label}`, (s) => runWrk(url[s.name]!, wrk), (r: WrkRun) => `${r.rps.toFixed(0)} req/s${r.valid ? '' : `  INVALID: ${r.problem}`}`);
  // the JSON keeps MinIO's URL without its signature (it is the same object either way)
  const bare = url.minio!.split('?')[0] ?? '';
  const stores = {
    minio: summarizeRuns(bare, runs.minio.map((r) => ({ ...r, url: bare })), size.bytes),
    kubecdn: summarizeRuns(url.kubecdn!, runs.kubecdn, size.bytes),
    control: summarizeRuns(url.control!, runs.control, size.bytes),
  };
  return { size: size.label, bytes: size.bytes, stores };
}
