// The decisions of sync, put -r and get -r, apart from any I/O: which names a directory's files become, what to
// upload, what is unchanged, what to delete, which uploads are duplicates to skip, and where a download may be
// written. Pure.
import path from 'node:path';
import { CliError, EXIT } from '../errors.js';
import { checkName } from '../names.js';

/** A local file, hashed. `rel` uses "/" whatever the platform. */
export interface LocalEntry {
  readonly rel: string;
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

/** A live file under the prefix, as the listing gives it. */
export interface RemoteEntry {
  readonly name: string;
  readonly sha256: string | null;
  readonly size: number;
}

export interface Upload extends LocalEntry {
  readonly name: string;
  readonly reason: 'new' | 'changed';
}

export interface Duplicate extends Upload {
  /** another name (in this run or already stored) with the same content, when known */
  readonly sameAs: string | undefined;
}

export interface UploadPlan {
  readonly upload: readonly Upload[];
  readonly unchanged: readonly string[];
  /** names to give a delete marker (only with --delete) */
  readonly remove: readonly string[];
}

/** "" stays "" (the whole store); anything else names a folder, so "site" and "site/" both mean "site/". */
export function normalizePrefix(prefix: string): string {
  const p = prefix.replace(/^\/+/, '');
  if (p === '') return '';
  const withSlash = p.endsWith('/') ? p : `${p}/`;
  checkName(withSlash.slice(0, -1));
  return withSlash;
}

/**
 * Each local file against the live file of the same name: the same digest is unchanged (no new version), anything
 * else is uploaded. With `remove`, live names under the prefix that are not local (and that the filter keeps) get
 * a delete marker; names the filter leaves out are never touched.
 */
export function planUpload(
  prefix: string,
  local: readonly LocalEntry[],
  remote: readonly RemoteEntry[],
  opts: { readonly remove: boolean; readonly keep: (rel: string) => boolean },
): UploadPlan {
  const heads = new Map(remote.map((r) => [r.name, r.sha256]));
  const upload: Upload[] = [];
  const unchanged: string[] = [];
  for (const entry of local) {
    const name = checkName(prefix + entry.rel);
    const head = heads.get(name);
    if (head === entry.sha256) unchanged.push(name);
    else upload.push({ ...entry, name, reason: head === undefined ? 'new' : 'changed' });
  }
  const here = new Set(local.map((l) => prefix + l.rel));
  const remove = opts.remove
    ? remote.filter((r) => !here.has(r.name) && opts.keep(r.name.slice(prefix.length))).map((r) => r.name)
    : [];
  return { upload, unchanged, remove };
}

/**
 * --on-duplicate=skip: an upload whose content the store already holds (`stored`: digest to a name holding it, or
 * undefined when only the digest is known), or that an earlier upload of this run carries, creates no name. An
 * empty file is never a duplicate (the node's rule too).
 */
export function splitDuplicates(
  uploads: readonly Upload[],
  stored: ReadonlyMap<string, string | undefined>,
): { readonly upload: Upload[]; readonly skip: Duplicate[] } {
  const seen = new Map(stored);
  const upload: Upload[] = [];
  const skip: Duplicate[] = [];
  for (const u of uploads) {
    if (u.size > 0 && seen.has(u.sha256)) skip.push({ ...u, sameAs: seen.get(u.sha256) });
    else {
      upload.push(u);
      if (!seen.has(u.sha256)) seen.set(u.sha256, u.name);
    }
  }
  return { upload, skip };
}

/**
 * Where `name` (under `prefix`) is written inside `dir`. A name whose remainder would leave `dir` (a ".." segment,
 * an absolute path, a backslash or NUL that another tool could read as a separator) is refused: a server, or
 * whoever wrote to it, must never choose where this client writes.
 */
export function localPathFor(dir: string, prefix: string, name: string): string {
  const rel = name.startsWith(prefix) ? name.slice(prefix.length) : undefined;
  const segments = rel?.split('/') ?? [];
  const bad =
    rel === undefined ||
    rel === '' ||
    path.isAbsolute(rel) ||
    /[\\\0]/.test(rel) ||
    segments.some((s) => s === '' || s === '.' || s === '..');
  const root = path.resolve(dir);
  const target = path.resolve(root, ...segments);
  if (bad || !target.startsWith(root + path.sep)) {
    throw new CliError(EXIT.usage, `Refusing "${name}": it would be written outside ${dir}.`, 'unsafe_path');
  }
  return target;
}
