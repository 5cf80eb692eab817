// Numbers from a node's /metrics (Prometheus text format), for the tests and the benchmark. Enough for the counters,
// gauges and histogram sums/counts they compare before and after a scenario; not a general parser.

/** Parses `a="x",b="y"` into a record (label values here never contain quotes or commas). Pure. */
export function parseLabels(inside: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of inside.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out[m[1] as string] = m[2] as string;
  return out;
}

/** Sum of the samples named `name` whose labels include every given label (0 when there is none). Pure. */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = parseLabels(m[2] ?? '');
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

/** One counter, gauge or histogram part from a node's /metrics, summed over the series matching `labels`. */
export async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return sampleValue(text, name, labels);
}
