// kubecdn_http_requests_total and kubecdn_http_request_duration_seconds, kept by hand and exported through the
// prom-client registry like any other metric. Why not prom-client's Counter and Histogram: they validate and hash
// the label object on every call (label children too), ~3.5 us per request measured inside a node under load, about
// a tenth of a whole cache hit. Here a request is one Map lookup and a few additions; the exposition is built at
// scrape time. Series are bounded: routes are ours, methods are the HTTP parser's fixed list, statuses are ours.
import type { Registry } from 'prom-client';

export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60] as const;

interface Series {
  readonly route: string;
  readonly method: string;
  readonly status: number;
  count: number;
  sum: number;
  /** per bucket (not cumulative); the last slot is above the largest bound */
  readonly buckets: number[];
}

/** Pure: index of the first bucket whose bound holds `seconds` (DURATION_BUCKETS.length when none does). */
export function bucketOf(seconds: number): number {
  let i = 0;
  while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
  return i;
}

type Labels = Record<string, string | number>;
interface Value {
  labels: Labels;
  value: number;
  metricName?: string;
  /** the series' own labels, kept apart from `le` the way prom-client's Histogram does (same label order out) */
  sharedLabels?: Labels;
}

export class RequestMetrics {
  private readonly series = new Map<string, Series>();

  record(route: string, method: string, status: number, seconds: number): void {
    const key = `${route} ${method} ${status}`;
    let s = this.series.get(key);
    if (s === undefined) {
      s = { route, method, status, count: 0, sum: 0, buckets: new Array<number>(DURATION_BUCKETS.length + 1).fill(0) };
      this.series.set(key, s);
    }
    s.count++;
    s.sum += seconds;
    s.buckets[bucketOf(seconds)]!++;
  }

  /** Adds both metrics to the registry (exposed in the shape prom-client's own Counter and Histogram have). */
  register(registry: Registry): void {
    const counter = {
      name: 'kubecdn_http_requests_total',
      help: 'HTTP requests by route, method and status',
      type: 'counter',
      aggregator: 'sum',
      get: () => Promise.resolve({ ...meta(counter), values: this.counts() }),
      reset: () => this.series.clear(),
    };
    const histogram = {
      name: 'kubecdn_http_request_duration_seconds',
      help: 'HTTP request duration, from the first byte read to the last byte written',
      type: 'histogram',
      aggregator: 'sum',
      getForPromString: () => Promise.resolve({ ...meta(histogram), values: this.durations(histogram.name) }),
      get: () => Promise.resolve({ ...meta(histogram), values: this.durations(histogram.name).map(splay) }),
      reset: () => this.series.clear(),
    };
    // prom-client's registry takes any object of this shape; its types only name its own classes.
    registry.registerMetric(counter as unknown as Parameters<Registry['registerMetric']>[0]);
    registry.registerMetric(histogram as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  private counts(): Value[] {
    return [...this.series.values()].map((s) => ({ labels: { route: s.route, method: s.method, status: s.status }, value: s.count }));
  }

  /** Statuses merged: the histogram is by route and method. */
  private durations(name: string): Value[] {
    const merged = new Map<string, { labels: Labels; count: number; sum: number; buckets: number[] }>();
    for (const s of this.series.values()) {
      const key = `${s.route} ${s.method}`;
      let m = merged.get(key);
      if (m === undefined) {
        m = { labels: { route: s.route, method: s.method }, count: 0, sum: 0, buckets: new Array<number>(s.buckets.length).fill(0) };
        merged.set(key, m);
      }
      m.count += s.count;
      m.sum += s.sum;
      s.buckets.forEach((n, i) => (m.buckets[i]! += n));
    }
    const out: Value[] = [];
    for (const m of merged.values()) {
      let cumulative = 0;
      DURATION_BUCKETS.forEach((le, i) => {
        cumulative += m.buckets[i]!;
        out.push({ labels: { le }, sharedLabels: m.labels, value: cumulative, metricName: `${name}_bucket` });
      });
      out.push({ labels: { le: '+Inf' }, sharedLabels: m.labels, value: m.count, metricName: `${name}_bucket` });
      out.push({ labels: {}, sharedLabels: m.labels, value: m.sum, metricName: `${name}_sum` });
      out.push({ labels: {}, sharedLabels: m.labels, value: m.count, metricName: `${name}_count` });
    }
    return out;
  }
}

/** One label set, for readers of getMetricsAsJSON (as prom-client's Histogram.get does). */
const splay = ({ sharedLabels, ...v }: Value): Value => ({ ...v, labels: { ...v.labels, ...sharedLabels } });

const meta = (m: { name: string; help: string; type: string; aggregator: string }) => ({
  name: m.name,
  help: m.help,
  type: m.type,
  aggregator: m.aggregator,
});
