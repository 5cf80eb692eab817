// A soak run's results (the JSON written under bench/results/), its verdicts and its markdown report. Pure.
import type { Machine } from './machine.js';
import type { AuditResult, ClusterView, LogFindings } from './soakAudit.js';
import type { LoadResult } from './soakLoad.js';
import { flatness, type Flatness, type Sample } from './soakSamples.js';
import { KINDS, type Example, type TallySummary } from './soakTally.js';

export interface SoakOptions {
  readonly seconds: number;
  readonly workers: number;
  readonly maxRequests: number;
  readonly sampleEveryS: number;
  readonly rssSlackMiB: number;
  readonly fdSlack: number;
  readonly keepTmp: boolean;
  /** the hot caches were filled before the load (soakWarm.ts); absent in runs made before it existed */
  readonly warm?: boolean;
  /** settings given to every node (--node-env); empty: defaults */
  readonly nodeEnv: Readonly<Record<string, string>>;
}

const settingsOf = (env: Readonly<Record<string, string>>): string =>
  Object.keys(env).length === 0 ? 'default settings' : `default settings except ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(', ')}`;

export interface SoakResult {
  readonly machine: Machine;
  readonly options: SoakOptions;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly nodes: readonly string[];
  readonly replication: number;
  readonly load: LoadResult;
  readonly tally: TallySummary;
  readonly samples: readonly Sample[];
  readonly audit: AuditResult | { readonly error: string };
  readonly cluster: readonly ClusterView[] | { readonly error: string };
  readonly logs: readonly LogFindings[];
}

export interface Verdict {
  readonly name: string;
  readonly pass: boolean;
  readonly detail: string;
}

const MiB = 1024 * 1024;
const mib = (bytes: number): string => (bytes / MiB).toFixed(1);

/** Per node: RSS and fds flatness over the samples. */
export function flatnessOf(r: Pick<SoakResult, 'samples' | 'nodes' | 'options'>): { id: string; rss: Flatness; fds: Flatness }[] {
  return r.nodes.map((id) => {
    const mine = r.samples.map((s) => s.nodes.find((n) => n.id === id));
    return {
      id,
      rss: flatness(mine.map((n) => n?.rss ?? 0), r.options.rssSlackMiB * MiB),
      fds: flatness(mine.map((n) => n?.fds ?? 0), r.options.fdSlack),
    };
  });
}

function worst(flat: { id: string; f: Flatness }[]): { id: string; f: Flatness } | undefined {
  return flat.reduce<{ id: string; f: Flatness } | undefined>((w, x) => (w === undefined || x.f.growth > w.f.growth ? x : w), undefined);
}

export function verdicts(r: SoakResult): Verdict[] {
  const t = r.tally;
  const audit = 'error' in r.audit ? undefined : r.audit;
  const auditWrong = audit ? audit.mismatches + audit.badNumbering : 0;
  const flat = flatnessOf(r);
  const rss = worst(flat.map((x) => ({ id: x.id, f: x.rss })));
  const fds = worst(flat.map((x) => ({ id: x.id, f: x.fds })));
  return [
    { name: '0 5xx', pass: t.fiveXX === 0, detail: `${t.fiveXX} answers 5xx of ${t.requests}` },
    {
      name: '0 wrong bytes',
      pass: t.wrongBytes === 0 && audit !== undefined && auditWrong === 0,
      detail: `${t.wrongBytes} in answers, ${audit ? `${auditWrong} in the history audit` : `history audit failed: ${(r.audit as { error: string }).error}`}`,
    },
    {
      name: 'RSS flat',
      pass: flat.every((x) => x.rss.flat),
      detail: rss ? `largest growth ${rss.id} ${mib(rss.f.growth)} MiB (${mib(rss.f.baseline)} -> ${mib(rss.f.peak)}), slack ${r.options.rssSlackMiB} MiB, ${rss.f.samples} samples` : 'no samples',
    },
    {
      name: 'fds flat',
      pass: flat.every((x) => x.fds.flat),
      detail: fds ? `largest growth ${fds.id} ${fds.f.growth} fds (${fds.f.baseline} -> ${fds.f.peak}), slack ${r.options.fdSlack}` : 'no samples',
    },
  ];
}

const table = (head: string[], rows: string[][]): string =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
const ms = (n: number | undefined): string => (n === undefined ? '—' : n < 10 ? n.toFixed(1) : Math.round(n).toString());
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function kindsTable(t: TallySummary): string {
  const rows = KINDS.flatMap((k) => {
    const c = t.kinds[k];
    if (!c) return [];
    const answers = Object.entries(c.byLabel)
      .sort((a, b) => b[1] - a[1])
      .map(([l, n]) => `${l} ×${n}`)
      .join(', ');
    const o = c.byOutcome;
    return [[k, String(c.total), String(o.ok), String(o.legit), String(o.unexpected), String(o['5xx']), String(o.error), ms(c.p50Ms), ms(c.p99Ms), ms(c.maxMs), cell(answers)]];
  });
  return table(['kind', 'requests', 'ok', 'legit', 'unexpected', '5xx', 'errors', 'p50 ms', 'p99 ms', 'max ms', 'answers'], rows);
}

function examples(title: string, list: readonly Example[], total: number): string {
  if (total === 0) return '';
  const lines = list.map((e) => `- t=${e.atS}s (${e.time.slice(11, 23)}) ${e.kind} on ${e.node}: \`${cell(e.request)}\` → ${cell(e.answer)}`);
  return `### ${title}: ${total} (first ${list.length})\n\n${lines.join('\n')}`;
}

function memorySection(r: SoakResult): string {
  const flat = flatnessOf(r);
  const fl = table(
    ['node', 'RSS baseline MiB', 'RSS peak 2nd half MiB', 'growth MiB', 'flat', 'fds baseline', 'fds peak 2nd half', 'growth', 'flat'],
    flat.map((x) => [x.id, mib(x.rss.baseline), mib(x.rss.peak), mib(x.rss.growth), x.rss.flat ? 'yes' : '**no**', String(x.fds.baseline), String(x.fds.peak), String(x.fds.growth), x.fds.flat ? 'yes' : '**no**']),
  );
  const opt = (b: number | undefined): string => (b === undefined ? '—' : mib(b));
  const samples = table(
    ['t s', ...r.nodes.flatMap((id) => [`${id} RSS`, 'heap', 'ext', 'fds'])],
    r.samples.map((s) => [String(s.t), ...r.nodes.flatMap((id) => {
      const n = s.nodes.find((x) => x.id === id);
      return n ? [mib(n.rss), opt(n.heapUsed), opt(n.external), String(n.fds)] : ['—', '—', '—', '—'];
    })]),
  );
  const how =
    `Every ${r.options.sampleEveryS} s: VmRSS, the V8 heap in use and external memory (from /metrics; MiB, not judged) and the entries of /proc/<pid>/fd. ` +
    'Baseline: median of the first half\'s last 5 samples; peak: the highest sample of the second half.';
  return `## Memory and descriptors\n\n${how}\n\n${fl}\n\n${samples}`;
}

function auditSection(r: SoakResult): string {
  if ('error' in r.audit) return `## History audit\n\nfailed: ${r.audit.error}`;
  const a = r.audit;
  const head = `${a.names} names, ${a.compared} confirmed versions compared with GET /files/{name}/versions: ${a.mismatches} differ, ${a.badNumbering} histories not numbered 1..count.`;
  return `## History audit\n\n${head}${a.examples.length ? `\n\n${a.examples.map((e) => `- ${cell(e)}`).join('\n')}` : ''}`;
}

function nodesSection(r: SoakResult): string {
  const views = 'error' in r.cluster ? `/cluster failed: ${r.cluster.error}` : r.cluster.map((c) => `- ${c.id}: ${c.members} members, underReplicated ${JSON.stringify(c.underReplicated)}, cache ${String(c.cacheBytes)} B`).join('\n');
  const logs = r.logs.flatMap((l) =>
    (['load', 'shutdown'] as const).map((phase) => {
      const c = l[phase];
      const msgs = Object.entries(c.messages).map(([m, n]) => `  - ${cell(m)} ×${n}`);
      return [`- ${l.id}, ${phase === 'load' ? 'during the load' : 'while stopping'}: ${c.errors} errors, ${c.warnings} warnings logged`, ...msgs].join('\n');
    }),
  );
  return `## Nodes at the end\n\n${views}\n\n### Warnings and errors in the node logs\n\n${logs.join('\n')}`;
}

export function renderMarkdown(r: SoakResult): string {
  const t = r.tally;
  const m = r.machine;
  const v = verdicts(r);
  const rate = t.requests / Math.max(1, r.load.seconds);
  const intro = [
    `${m.os}, ${m.cpu}, ${m.nproc} CPUs, Node ${m.node}, redis ${m.redis}; commit ${m.gitCommit.slice(0, 12)}${m.gitDirty ? ' (uncommitted changes)' : ''}; load average ${m.loadAvg1} at start.`,
    m.loadAvg1 > m.nproc / 2 ? `**The machine was busy before the run (load average ${m.loadAvg1} on ${m.nproc} CPUs): latencies and rates are not representative.**` : '',
    `${r.nodes.length} nodes (R=${r.replication}) on loopback, ${settingsOf(r.options.nodeEnv)}; ${r.options.warm === true ? 'hot caches filled first; ' : ''}${r.options.workers} workers for ${r.load.seconds.toFixed(0)} s (stopped by ${r.load.stoppedBy}${r.load.abandoned ? '; requests still running at the end were abandoned' : ''}); ${t.requests} requests (${rate.toFixed(0)}/s, cap ${r.options.maxRequests}).`,
  ].filter(Boolean);
  const verdictLines = v.map((x) => `- \`${x.name}: ${x.pass ? 'PASS' : 'FAIL'}\` — ${x.detail}`);
  const also = `Also: ${t.unexpected} unexpected answers, ${t.errors} transport errors, ${t.unverified} contents not verifiable (forgotten).`;
  const ex = [
    examples('5xx', t.examples.fiveXX, t.fiveXX),
    examples('Wrong bytes', t.examples.wrongBytes, t.wrongBytes),
    examples('Unexpected answers', t.examples.unexpected, t.unexpected),
    examples('Transport errors', t.examples.errors, t.errors),
  ].filter(Boolean);
  return [
    `# kubecdn soak run, ${r.startedAt}`,
    intro.join('\n\n'),
    `## Verdicts\n\n${verdictLines.join('\n')}\n\n${also}`,
    `## Requests by kind\n\n${kindsTable(t)}`,
    ex.length ? `## Findings\n\n${ex.join('\n\n')}` : '',
    auditSection(r),
    memorySection(r),
    nodesSection(r),
  ]
    .filter(Boolean)
    .join('\n\n')
    .concat('\n');
}
