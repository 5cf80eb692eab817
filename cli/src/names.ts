// File names to URL paths. Pure. The node classifies a path by its raw suffix, so a name whose last segment is a
// sub-resource ("versions", "revert" under /files; "refresh" under /locks) must travel with the slash before it
// encoded (".../a%2Fversions"), or the node would take it for the sub-resource of "a".
import { CliError, EXIT } from './errors.js';

const FILE_SUB_RESOURCES: ReadonlySet<string> = new Set(['versions', 'revert']);
const LOCK_SUB_RESOURCES: ReadonlySet<string> = new Set(['refresh']);

/**
 * Refuses names a URL cannot carry unchanged: fetch resolves "." and ".." segments (even percent-encoded), and
 * empty segments would name a different file. The node checks the rest (length, control characters).
 */
export function checkName(name: string): string {
  if (name === '') throw new CliError(EXIT.usage, 'The file name is empty.', 'invalid_name');
  for (const segment of name.split('/')) {
    if (segment === '') {
      throw new CliError(EXIT.usage, `"${name}" has an empty segment (leading, trailing or double "/").`, 'invalid_name');
    }
    if (segment === '.' || segment === '..') {
      throw new CliError(EXIT.usage, `"${name}" has a "." or ".." segment.`, 'invalid_name');
    }
  }
  return name;
}

/** The encoded name as it follows a route prefix: each segment percent-encoded, '/' kept except as above. */
export function encodeName(name: string, reserved: ReadonlySet<string> = FILE_SUB_RESOURCES): string {
  const segments = checkName(name).split('/').map(encodeURIComponent);
  const last = segments.at(-1) ?? '';
  if (segments.length > 1 && reserved.has(last)) {
    const head = segments.slice(0, -1).join('/');
    return `${head}%2F${last}`;
  }
  return segments.join('/');
}

export const filePath = (name: string): string => `/files/${encodeName(name)}`;
export const versionsPath = (name: string): string => `${filePath(name)}/versions`;
export const revertPath = (name: string): string => `${filePath(name)}/revert`;
export const lockPath = (name: string): string => `/locks/${encodeName(name, LOCK_SUB_RESOURCES)}`;

/** A query string from the defined values only ("" when none). */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}
