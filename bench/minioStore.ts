// The two stores of the kubecdn-vs-MinIO section seen the same way: how a plain HTTP client writes, reads and lists
// versions on each (MinIO through presigned URLs, kubecdn through its own API), and which processes are the store.
// The measuring code (minioLoad.ts, minio.ts) knows nothing else about either. The parsers here are pure.
import { parseLabels } from '../test/helpers/metrics.js';

export const STORES = ['minio', 'kubecdn'] as const;
export type StoreName = (typeof STORES)[number];
/** Who takes the write and the GET rounds: both stores and the node:http control (bench/writeControl.ts). */
export const WRITERS = [...STORES, 'control'] as const;
export type WriterName = (typeof WRITERS)[number];
export const READERS = WRITERS;

/** A request a plain HTTP client sends: the URL and the headers the store needs (the body's own headers aside). */
export interface HttpTarget {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface StoreProcess {
  readonly label: string;
  readonly pid: number;
}

/** What the write rounds need: where a PUT goes, what it answers, and whose CPU and memory it costs. */
export interface PutTarget {
  readonly name: WriterName;
  /** what a successful PUT answers (MinIO 200, kubecdn and the control 201: a new version) */
  readonly putOk: number;
  /** the processes whose memory and CPU are the store's (kubecdn and the control: the server and its Redis) */
  readonly processes: readonly StoreProcess[];
  /** one PUT of `key`: a presigned URL (MinIO) or PUT /files/<key> with the write token (kubecdn) */
  put(key: string): Promise<HttpTarget>;
  stop(): Promise<void>;
}

/** A writer that also serves what it stored (both stores and the control). */
export interface GetTarget extends PutTarget {
  /** a plain GET of the key's latest version, usable by wrk (MinIO: presigned) */
  get(key: string): Promise<string>;
}

export interface Store extends GetTarget {
  readonly name: StoreName;
  /** what an acknowledged write survives, in words */
  readonly durability: string;
  /** the key's versions, newest first, at most `max` (MinIO: ListObjectVersions with the key as prefix) */
  listVersions(key: string, max: number): Promise<string>;
  /** how many versions a listing's body holds */
  countVersions(body: string): number;
}

/** Versions in a ListObjectVersions answer (S3 XML): each is a <Version> element; delete markers are not counted. */
export function countS3Versions(xml: string): number {
  return xml.match(/<Version>/g)?.length ?? 0;
}

/** Versions in a kubecdn `GET /files/{name}/versions` answer; 0 when it is not that JSON. */
export function countKubecdnVersions(json: string): number {
  try {
    const v = (JSON.parse(json) as { versions?: unknown }).versions;
    return Array.isArray(v) ? v.length : 0;
  } catch {
    return 0;
  }
}

/** The mode whose kubecdn_redis_commit_durability sample is 1 in a node's /metrics, if any. */
export function durabilityMode(metricsText: string): string | undefined {
  for (const m of metricsText.matchAll(/^kubecdn_redis_commit_durability\{(.*)\}\s+(\S+)\s*$/gm)) {
    if (Number(m[2]) === 1) return parseLabels(m[1] as string).mode;
  }
  return undefined;
}
