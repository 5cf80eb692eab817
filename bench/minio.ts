// kubecdn vs MinIO on this machine (docs/benchmarks.md): one standalone kubecdn node (its Redis fsyncing every commit)
// and one MinIO server (one drive, default settings), both running for the whole section, measured with the same
// plain-HTTP client, each measurement in interleaved rounds (the order rotated each round). Writes first, then
// reads: the GETs hit processes with a write history. Peak RSS covers the whole section.
import { randomBytes } from 'node:crypto';
import { say } from './context.js';
import { summarizeRuns } from './hits.js';
import { concurrentPuts, listings, sequentialPuts, storeForReads, type Samples } from './minioLoad.js';
import { latencyResult, rateResult, type GetSizeResult, type MinioResult, type PerStore } from './minioResults.js';
import { minioBinary, startMinio } from './minioServer.js';
import { startKubecdnStandalone } from './minioKubecdn.js';
import { STORES, type Store, type StoreName } from './minioStore.js';
import { HIT_SIZES, type FileSize, type Plan } from './plan.js';
import { peakRss, resetPeakRss } from './rss.js';
import { roundOrder } from './stats.js';
import { runWrk, type WrkRun, type WrkSettings } from './wrk.js';

type Stores = PerStore<Store>;

export async function runMinio(plan: Plan, runDir: string): Promise<MinioResult> {
  const { bin, version } = await minioBinary();
  say(`minio: ${bin}`);
  const minio = await startMinio(runDir, bin);
  const kubecdn = await startKubecdnStandalone(runDir).catch(async (err: unknown) => {
    await minio.stop();
    throw err;
  });
  try {
    return { minioVersion: version, kubecdnCommitDurability: kubecdn.commitDurability, ...(await measure(plan, { minio, kubecdn })) };
  } finally {
    await Promise.all([minio.stop(), kubecdn.stop()]);
  }
}

/** fn once per store and round, in the rotated order; the results by store, in round order. */
async function interleaved<T>(rounds: number, stores: Stores, what: string, fn: (s: Store, round: number) => Promise<T>, show: (t: T) => string): Promise<PerStore<T[]>> {
  const out: Record<StoreName, T[]> = { minio: [], kubecdn: [] };
  for (const { round, server } of roundOrder(STORES, rounds)) {
    const t = await fn(stores[server], round);
    out[server].push(t);
    say(`  ${what} round ${round} ${server.padEnd(7)} ${show(t)}`);
  }
  return out;
}

const shown = (s: Samples): string => `${s.ms.length} ok${Object.keys(s.failures).length ? `, failed ${JSON.stringify(s.failures)}` : ''}`;

async function measure(plan: Plan, stores: Stores): Promise<Omit<MinioResult, 'minioVersion' | 'kubecdnCommitDurability'>> {
  const m = plan.minio;
  const processes = STORES.flatMap((n) => stores[n].processes);
  const rssResetOk = (await Promise.all(processes.map((p) => resetPeakRss(p.pid)))).every(Boolean);
  say(`vs minio: ${m.warmPuts} warm-up PUTs each, then ${plan.rounds} rounds of ${m.seqPuts} sequential PUTs`);
  for (const n of STORES) await sequentialPuts(stores[n], m.warmPuts, (i) => `warm/${i}`);
  const seq = await interleaved(plan.rounds, stores, 'sequential PUT', (s, r) => sequentialPuts(s, m.seqPuts, (i) => `seq/${r}/${i}`), shown);
  const conc = await interleaved(plan.rounds, stores, `${m.writers} writers`, (s, r) => concurrentPuts(s, m.writers, m.putsPerWriter, `conc/${r}`), (b) => `${(b.ms.length / b.seconds).toFixed(0)} obj/s, ${shown(b)}`);
  say(`vs minio: ${m.versions} versions of one key, then ${m.lists} listings per round`);
  for (const n of STORES) await sequentialPuts(stores[n], m.versions, () => 'versions/one');
  const list = await interleaved(plan.rounds, stores, 'list versions', (s) => listings(s, 'versions/one', m.versions, m.lists), shown);
  const wrk: WrkSettings = { connections: plan.connections, durationS: plan.durationS, timeoutS: plan.wrkTimeoutS };
  const gets: GetSizeResult[] = [];
  for (const size of HIT_SIZES) gets.push(await measureGets(plan, stores, size, wrk));
  const peak = async (s: Store): Promise<Record<string, number>> =>
    Object.fromEntries(await Promise.all(s.processes.map(async (p) => [p.label, (await peakRss(p.pid)) / 1024 ** 2] as const)));
  return {
    durability: { minio: stores.minio.durability, kubecdn: stores.kubecdn.durability },
    settings: { rounds: plan.rounds, ...m, wrk: { ...wrk, warmS: plan.warmS } },
    seqPut: { minio: latencyResult(seq.minio), kubecdn: latencyResult(seq.kubecdn) },
    concurrentPut: { minio: rateResult(conc.minio), kubecdn: rateResult(conc.kubecdn) },
    list: { minio: latencyResult(list.minio), kubecdn: latencyResult(list.kubecdn) },
    gets,
    peakRssMiB: { minio: await peak(stores.minio), kubecdn: await peak(stores.kubecdn) },
    rssResetOk,
  };
}

/** The same random bytes in both stores, checked, then wrk on each: warm-up, then interleaved measured rounds. */
async function measureGets(plan: Plan, stores: Stores, size: FileSize, wrk: WrkSettings): Promise<GetSizeResult> {
  const bytes = randomBytes(size.bytes);
  const key = `get/${size.label}.bin`;
  const url = { minio: await storeForReads(stores.minio, key, bytes), kubecdn: await storeForReads(stores.kubecdn, key, bytes) };
  say(`vs minio GET ${size.label}: warming (${plan.warmS} s each), then ${plan.rounds} rounds of ${plan.durationS} s per store`);
  for (const n of STORES) await runWrk(url[n], { ...wrk, durationS: plan.warmS });
  const runs = await interleaved(plan.rounds, stores, `GET ${size.label}`, (s) => runWrk(url[s.name], wrk), (r: WrkRun) => `${r.rps.toFixed(0)} req/s${r.valid ? '' : `  INVALID: ${r.problem}`}`);
  // the JSON keeps MinIO's URL without its signature (it is the same object either way)
  const bare = url.minio.split('?')[0] ?? '';
  return { size: size.label, bytes: size.bytes, stores: { minio: summarizeRuns(bare, runs.minio.map((r) => ({ ...r, url: bare })), size.bytes), kubecdn: summarizeRuns(url.kubecdn, runs.kubecdn, size.bytes) } };
}
