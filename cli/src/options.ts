// Parsers for option and argument values, for commander: each throws InvalidArgumentError, which commander reports
// as a usage error (exit 1). Pure.
import { InvalidArgumentError } from 'commander';

/** A version number: a whole number of at least 1. */
export function parseVersionArg(raw: string): number {
  if (!/^[1-9]\d{0,14}$/.test(raw)) throw new InvalidArgumentError('a version is a whole number of at least 1.');
  return Number(raw);
}

/** A count (of events, of entries): a whole number of at least 1. */
export function parseCount(raw: string): number {
  if (!/^[1-9]\d{0,8}$/.test(raw)) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return Number(raw);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration such as "1500ms", "30s", "5m", "1h"; a bare number means seconds. Returns milliseconds. */
export function parseDuration(raw: string): number {
  const m = /^(\d{1,9})(ms|s|m|h)?$/.exec(raw.trim());
  if (!m) throw new InvalidArgumentError('expected a duration such as 30s, 5m, 1500ms or 1h.');
  const ms = Number(m[1]) * (UNIT_MS[m[2] ?? 's'] ?? 1000);
  if (ms < 1) throw new InvalidArgumentError('the duration must be more than zero.');
  return ms;
}

/** A Redis Stream id ("1700000000000-0") as /events takes it, or "0" for the whole retained history. */
export function parseEventId(raw: string): string {
  if (raw !== '0' && !/^\d{1,20}-\d{1,20}$/.test(raw)) {
    throw new InvalidArgumentError('an event id looks like 1700000000000-0 (or 0 for the whole retained history).');
  }
  return raw;
}

/** A redis:// or rediss:// URL. */
export function parseRedisUrl(raw: string): string {
  if (!/^rediss?:\/\/./.test(raw) || !URL.canParse(raw)) {
    throw new InvalidArgumentError('expected a redis:// or rediss:// URL.');
  }
  return raw;
}
