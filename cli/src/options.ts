// Parsers for option and argument values, for commander: each throws InvalidArgumentError, which commander reports
// as a usage error (exit 1). Pure.
import { InvalidArgumentError, Option } from 'commander';

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

/** Milliseconds as the largest unit that divides them exactly ("30s", "2m", "1500ms"): how help shows defaults. Pure. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * A duration option: the value is parsed to milliseconds, and help shows the default as a duration ("default: 30s"),
 * not as the milliseconds it holds.
 */
export function durationOption(flags: string, description: string, defaultMs?: number): Option {
  const option = new Option(flags, `${description} (1500ms, 30s, 5m, 1h; a bare number is seconds)`).argParser(parseDuration);
  return defaultMs === undefined ? option : option.default(defaultMs, formatDuration(defaultMs));
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
