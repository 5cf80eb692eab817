// Shapes of Redis replies, read the same way wherever they come back.

/** Pure: a flat [key, value, key, value, ...] reply (HGETALL-like, CONFIG GET, our heartbeat script) as a Map. */
export function pairsOf(flat: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i]!, flat[i + 1]!);
  return map;
}
