// Which paths of a tree take part in sync, put -r and get -r: --include and --exclude globs, matched with picomatch
// against the path relative to the directory (or to the prefix), always with "/". Pure.
import picomatch from 'picomatch';

/**
 * A path takes part when it matches some --include (or none was given) and no --exclude. A pattern without a "/"
 * also matches the last segment at any depth (`*.log` is every .log file, like .gitignore); `**` crosses "/".
 * Dotfiles are matched like any other file: a sync must not silently leave them behind.
 */
export function pathFilter(include: readonly string[], exclude: readonly string[]): (rel: string) => boolean {
  const inc = include.length === 0 ? (): boolean => true : anyOf(include);
  const exc = exclude.length === 0 ? (): boolean => false : anyOf(exclude);
  return (rel) => inc(rel) && !exc(rel);
}

// picomatch's `basename` option applies to every pattern of a matcher (then "a/**" matches nothing), so the
// patterns without a "/" get a matcher of their own.
function anyOf(patterns: readonly string[]): (rel: string) => boolean {
  const matchers = patterns.map((p) => picomatch(p, { dot: true, basename: !p.includes('/') }));
  return (rel) => matchers.some((m) => m(rel));
}
