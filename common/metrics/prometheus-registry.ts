// Metrics in the Prometheus text exposition format (version 0.0.4), written here rather than
// taken from prom-client: calle needs counters, gauges and fixed-bucket histograms, and the format
// is small enough to get exactly right in one file. Source: Prometheus "Exposition formats"
// (docs/instrumenting/exposition_formats.md) — HELP escapes `\` and newline; label values escape
// `\`, `"` and newline; a histogram exposes cumulative `_bucket{le=…}` series ending in
// `le="+Inf"`, then `_sum` and `_count`; metric and label names match the regexes below.
// Both the edge and the coordinator serve one Registry each; values are read when scraped
// (collect callbacks), so a scrape costs nothing between scrapes.

export type Labels = Readonly<Record<string, string>>;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The Content-Type a scrape answer carries. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const escapeHelp = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabelValue = (s: string): string =>
  s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Go's strconv formatting as Prometheus expects it: +Inf, -Inf, NaN spelled out. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

const seriesKey = (labels: Labels): string =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

function checkLabels(metric: string, labels: Labels): void {
  for (const k of Object.keys(labels)) {
    if (!LABEL_NAME.test(k) || k.startsWith('__'))
      throw new Error(`metric ${metric}: label name "${k}" is not a valid Prometheus label name`);
    if (k === 'le') throw new Error(`metric ${metric}: label "le" is reserved for histogram buckets`);
  }
}

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  render(out: string[]): void;
}

/** A value that only goes up (resets only when the process restarts). */
export class Counter implements Metric {
  readonly type = 'counter';
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new Error(`metric ${this.name}: a counter cannot go down (inc by ${by})`);
    const key = seriesKey(labels);
    const entry = this.#values.get(key);
    if (entry) entry.value += by;
    else {
      checkLabels(this.name, labels);
      this.#values.set(key, { labels, value: by });
    }
  }

  get(labels: Labels = {}): number {
    return this.#values.get(seriesKey(labels))?.value ?? 0;
  }

  render(out: string[]): void {
    for (const { labels, value } of this.#values.values())
      out.push(`${this.name}${labelText(labels)} ${formatValue(value)}`);
  }
}

/** A sample read when scraped: one value per label set. */
export interface Sample {
  readonly labels?: Labels;
  readonly value: number;
}

/**
 * A value read at scrape time from its owner (outbox depth, edges online). Also used for counters
 * whose truth lives elsewhere (a database total): `type` says which, so the reader applies rate().
 */
export class CollectedMetric implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
    readonly collect: () => readonly Sample[],
  ) {}

  render(out: string[]): void {
    for (const s of this.collect()) {
      const labels = s.labels ?? {};
      checkLabels(this.name, labels);
      out.push(`${this.name}${labelText(labels)} ${formatValue(s.value)}`);
    }
  }
}

/** Observations counted into fixed, cumulative buckets (upper bounds inclusive, `le`). */
export class Histogram implements Metric {
  readonly type = 'histogram';
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    buckets: readonly number[],
  ) {
    if (buckets.length === 0) throw new Error(`metric ${name}: a histogram needs at least one bucket`);
    for (let i = 1; i < buckets.length; i++)
      if (!(buckets[i]! > buckets[i - 1]!))
        throw new Error(`metric ${name}: buckets must increase strictly (${buckets.join(', ')})`);
    this.#bounds = buckets.filter((b) => b !== Infinity);
  }

  observe(value: number, labels: Labels = {}): void {
    const key = seriesKey(labels);
    let s = this.#series.get(key);
    if (!s) {
      checkLabels(this.name, labels);
      s = { labels, counts: this.#bounds.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    // Counts are kept per bucket and made cumulative when rendered.
    const i = this.#bounds.findIndex((b) => value <= b);
    if (i >= 0) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  render(out: string[]): void {
    for (const s of this.#series.values()) {
      let cumulative = 0;
      this.#bounds.forEach((b, i) => {
        cumulative += s.counts[i]!;
        out.push(`${this.name}_bucket${labelText({ ...s.labels, le: formatValue(b) })} ${cumulative}`);
      });
      out.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      out.push(`${this.name}_sum${labelText(s.labels)} ${formatValue(s.sum)}`);
      out.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
  }
}

export class Registry {
  readonly #metrics = new Map<string, Metric>();

  #add<M extends Metric>(m: M): M {
    if (!METRIC_NAME.test(m.name)) throw new Error(`metric "${m.name}": not a valid Prometheus metric name`);
    if (this.#metrics.has(m.name)) throw new Error(`metric ${m.name}: registered twice`);
    this.#metrics.set(m.name, m);
    return m;
  }

  counter(name: string, help: string): Counter {
    return this.#add(new Counter(name, help));
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.#add(new Histogram(name, help, buckets));
  }

  /** A gauge (or externally kept counter) read from `collect` at each scrape. */
  collected(
    name: string,
    help: string,
    type: 'counter' | 'gauge',
    collect: () => readonly Sample[],
  ): CollectedMetric {
    return this.#add(new CollectedMetric(name, help, type, collect));
  }

  /** The whole registry in the text format. A failing collector drops only its own metric. */
  render(onCollectError?: (name: string, err: unknown) => void): string {
    const out: string[] = [];
    for (const m of this.#metrics.values()) {
      const lines: string[] = [];
      try {
        m.render(lines);
      } catch (err) {
        onCollectError?.(m.name, err);
        continue;
      }
      out.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`, ...lines);
    }
    return out.join('\n') + '\n';
  }
}
