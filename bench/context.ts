// What every scenario is given: the plan, the run dir, the servers under comparison and the cluster.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCluster } from './cluster.js';
import type { KubecdnDisk } from './kubecdnDisk.js';
import type { Plan } from './plan.js';
import type { Server } from './servers.js';

/** The repository (this file runs as dist/bench/context.js). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Ctx {
  readonly plan: Plan;
  readonly runDir: string;
  /** nginx's document root (Varnish fetches from the same nginx) */
  readonly www: string;
  readonly nginx: Server;
  readonly varnish: Server;
  /** node:http serving the same files from memory: the control for what node:http itself allows (hits only) */
  readonly baseline: Server;
  /** node:http streaming the same files from disk on every GET: what Node reaches without sendfile (hits only) */
  readonly baselineDisk: Server;
  /** a standalone kubecdn node with the large hot tier off: kubecdn's disk path for big files (hits only) */
  readonly kubecdnDisk: KubecdnDisk;
  readonly cluster: BenchCluster;
}

/** Progress goes to stderr so that stdout carries only the report. */
export function say(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}
