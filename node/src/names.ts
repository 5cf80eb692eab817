// File names are keys, never filesystem paths (blobs live under their digest), so this is about a clean,
// unambiguous namespace rather than traversal: one spelling per name (NFC), bounded length, no odd segments.
import { z } from 'zod';
import { apiError } from './errors.js';

export const MAX_NAME_BYTES = 1024;

// C0 controls, DEL and C1 controls.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

// One segment: no control character and no '/', and not "." or "..".
const SEGMENT = '(?!\\.\\.?(?:/|$))[^\\u0000-\\u001f\\u007f-\\u009f/]+';

/**
 * The rules above as a JSON-Schema-able pattern, for the API document: checkName is the rule, this is how it is
 * shown (test/unit/names.test.ts checks that the two agree). It cannot state NFC (a name is normalized, not refused)
 * or the byte length (1024 characters of ASCII; fewer of anything wider).
 */
export const nameSchema = z
  .string()
  .min(1)
  .max(MAX_NAME_BYTES)
  .regex(new RegExp(`^${SEGMENT}(?:/${SEGMENT})*$`))
  .meta({ id: 'FileName', description: `UTF-8, NFC, 1-${MAX_NAME_BYTES} bytes, '/'-separated segments, none empty, "." or "..", no control characters` });

/** Returns the canonical (NFC) name, or the reason it is not valid. Pure. */
export function checkName(raw: unknown): { ok: true; name: string } | { ok: false; reason: string } {
  if (typeof raw !== 'string') return { ok: false, reason: 'the name must be a string' };
  const name = raw.normalize('NFC');
  // A lone surrogate (possible in JSON "\ud800") has no UTF-8 form: the round trip replaces it with U+FFFD.
  if (Buffer.from(name, 'utf8').toString('utf8') !== name) return { ok: false, reason: 'the name is not valid UTF-8' };
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes < 1 || bytes > MAX_NAME_BYTES) return { ok: false, reason: `the name must be 1-${MAX_NAME_BYTES} bytes` };
  if (CONTROL.test(name)) return { ok: false, reason: 'the name contains a control character' };
  for (const segment of name.split('/')) {
    if (segment === '') return { ok: false, reason: 'the name has an empty segment (leading, trailing or double "/")' };
    if (segment === '.' || segment === '..') return { ok: false, reason: 'the name has a "." or ".." segment' };
  }
  return { ok: true, name };
}

/** The canonical name, or an `invalid_name` ApiError. */
export function parseName(raw: unknown): string {
  const r = checkName(raw);
  if (!r.ok) throw apiError('invalid_name', `The file name is not valid: ${r.reason}.`);
  return r.name;
}

/** Decodes a URL path tail (percent-encoded) into a name; a malformed escape is an invalid name. */
export function nameFromPath(encoded: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    throw apiError('invalid_name', 'The file name is not valid: malformed percent-encoding.');
  }
  return parseName(decoded);
}

/** The URL path of a file: each segment percent-encoded, '/' kept. */
export function filePath(name: string): string {
  return '/files/' + name.split('/').map(encodeURIComponent).join('/');
}
