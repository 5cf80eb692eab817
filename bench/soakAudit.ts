// After the load: each name's history as a node tells it, compared with every version the run had confirmed (a lost
// or rewritten version is wrong bytes too), with the gap-free numbering checked; each node's view of replication;
// and the warnings and errors each node logged.
import { createReadStream } from 'node:fs';
import readline from 'node:readline';
import { encodeName, type SoakNode } from './soakCtx.js';
import type { Fact, Known } from './soakKnown.js';

export interface AuditResult {
  readonly names: number;
  /** versions the run had confirmed and compared with the history */
  readonly compared: number;
  readonly mismatches: number;
  /** names whose history is not numbered count..1 without gap or repeat */
  readonly badNumbering: number;
  readonly examples: string[];
}

interface Page {
  count?: number;
  versions?: { version: number; sha256: string | null; deleted: boolean }[];
  nextCursor?: string | null;
}

const MAX_PAGES = 50;

async function history(node: SoakNode, name: string): Promise<{ count: number; versions: Map<number, Fact>; repeats: number }> {
  const versions = new Map<number, Fact>();
  let repeats = 0;
  let count = 0;
  let cursor: string | null | undefined;
  for (let page = 0; page < MAX_PAGES && cursor !== null; page++) {
    const q = `limit=1000${cursor ? `&cursor=${cursor}` : ''}`;
    const res = await fetch(`${node.url}/files/${encodeName(name)}/versions?${q}`, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`versions of ${name}: ${res.status} ${(await res.text()).slice(0, 200)}`);
    const body = (await res.json()) as Page;
    count = body.count ?? 0;
    for (const v of body.versions ?? []) {
      if (versions.has(v.version)) repeats++;
      versions.set(v.version, v.deleted ? null : v.sha256);
    }
    cursor = body.nextCursor ?? null;
  }
  return { count, versions, repeats };
}

/** Compares every name's history (read from `node`) with what the run confirmed. */
export async function auditHistories(node: SoakNode, known: Known): Promise<AuditResult> {
  let compared = 0;
  let mismatches = 0;
  let badNumbering = 0;
  const examples: string[] = [];
  const note = (s: string): void => void (examples.length < 8 && examples.push(s));
  const names = known.names();
  for (const [name, confirmed] of names) {
    const h = await history(node, name);
    const numbered = h.repeats === 0 && h.versions.size === h.count && [...h.versions.keys()].every((v) => v >= 1 && v <= h.count);
    if (!numbered) {
      badNumbering++;
      note(`${name}: count ${h.count}, ${h.versions.size} versions listed, ${h.repeats} repeated`);
    }
    for (const [version, fact] of confirmed) {
      compared++;
      if (!h.versions.has(version) || h.versions.get(version) !== fact) {
        mismatches++;
        note(`${name} v${version}: confirmed ${String(fact)}, history has ${h.versions.has(version) ? String(h.versions.get(version)) : 'nothing'}`);
      }
    }
  }
  return { names: names.length, compared, mismatches, badNumbering, examples };
}

export interface ClusterView {
  readonly id: string;
  readonly members: number;
  readonly underReplicated: unknown;
  readonly cacheBytes: unknown;
}

export async function clusterViews(nodes: readonly SoakNode[]): Promise<ClusterView[]> {
  return Promise.all(
    nodes.map(async (n) => {
      const c = (await (await fetch(`${n.url}/cluster`, { signal: AbortSignal.timeout(10_000) })).json()) as {
        members?: unknown[];
        underReplicated?: unknown;
        cache?: { bytes?: unknown };
      };
      return { id: n.id, members: c.members?.length ?? 0, underReplicated: c.underReplicated, cacheBytes: c.cache?.bytes };
    }),
  );
}

export interface LogCounts {
  warnings: number;
  errors: number;
  /** distinct messages of level warn and above (digests and the run dir masked), with how often each was logged */
  readonly messages: Record<string, number>;
}

export interface LogFindings {
  readonly id: string;
  /** logged while the load and the audit ran */
  readonly load: LogCounts;
  /** logged once the cluster was told to stop (all nodes at once: hand-offs to peers that are leaving fail) */
  readonly shutdown: LogCounts;
}

const MAX_MESSAGES = 12;
const LEVELS: Record<string, number> = { warn: 40, error: 50, fatal: 60 };

interface LogLine {
  level?: string | number;
  time?: string;
  msg?: string;
  route?: string;
  status?: number;
  err?: string | { message?: string };
}

function describeLine(l: LogLine): string {
  const err = typeof l.err === 'string' ? l.err : l.err?.message;
  const where = l.route ? ` [${l.route} ${l.status ?? ''}]` : '';
  const text = `${l.msg ?? ''}${where}${err ? `: ${err}` : ''}`;
  return text.replace(/[0-9a-f]{64}/g, '<sha256>').replace(/\/[0-9a-f]{2}\/[0-9a-f]{2}\/<sha256>/g, '/…/<sha256>').replace(/\/tmp\/kubecdn-bench-[^/\s']+/g, '<run>').slice(0, 200);
}

function add(c: LogCounts, level: number, l: LogLine): void {
  if (level >= 50) c.errors++;
  else c.warnings++;
  const msg = `${level >= 50 ? 'error' : 'warn'}: ${describeLine(l)}`;
  if (msg in c.messages || Object.keys(c.messages).length < MAX_MESSAGES) c.messages[msg] = (c.messages[msg] ?? 0) + 1;
}

/** Counts a node's log lines at warn and above, by message, before and after `stopAt` (ms since the epoch). */
export async function scanLog(id: string, file: string, stopAt: number): Promise<LogFindings> {
  const load: LogCounts = { warnings: 0, errors: 0, messages: {} };
  const shutdown: LogCounts = { warnings: 0, errors: 0, messages: {} };
  const lines = readline.createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!/"level":("(warn|error|fatal)"|[4-6]\d)/.test(line)) continue;
    let l: LogLine;
    try {
      l = JSON.parse(line) as LogLine;
    } catch {
      l = { msg: line.slice(0, 200) };
    }
    const level = typeof l.level === 'number' ? l.level : (LEVELS[l.level ?? ''] ?? 40);
    add(Date.parse(l.time ?? '') >= stopAt ? shutdown : load, level, l);
  }
  return { id, load, shutdown };
}
