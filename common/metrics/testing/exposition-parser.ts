// A strict parser of the Prometheus text format (0.0.4) for tests: it rejects what a lenient
// scraper would let through (samples before their TYPE, a family split in two, bad escapes,
// duplicate series, non-cumulative buckets, a +Inf bucket that disagrees with _count), so a test
// that parses a scrape proves the exposition is well formed, not just that it contains a string.

export interface ParsedSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface ParsedFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  readonly samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(s: string, line: number): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`line ${line}: bad value "${s}"`);
  return Number(s);
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`line ${line}: label without "="`);
    const name = text.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`line ${line}: bad label name "${name}"`);
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label ${name} value not quoted`);
    let j = eq + 2;
    let value = '';
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const e = text[j + 1];
        if (e === '\\') value += '\\';
        else if (e === '"') value += '"';
        else if (e === 'n') value += '\n';
        else throw new Error(`line ${line}: bad escape "\\${e}" in label ${name}`);
        j += 2;
      } else {
        value += c;
        j++;
      }
    }
    if (name in labels) throw new Error(`line ${line}: label ${name} twice`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (i !== text.length) throw new Error(`line ${line}: expected "," after label ${name}`);
  }
  return labels;
}

function unescapeHelp(s: string, line: number): string {
  return s.replace(/\\(.)/g, (_m, e: string) => {
    if (e === '\\') return '\\';
    if (e === 'n') return '\n';
    throw new Error(`line ${line}: bad escape in HELP`);
  });
}

function familyOf(sample: string, family: ParsedFamily): boolean {
  if (sample === family.name) return family.type !== 'histogram';
  if (family.type === 'histogram')
    return [`${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`].includes(sample);
  return false;
}

export function parseExposition(text: string): Map<string, ParsedFamily> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, ParsedFamily>();
  const seen = new Set<string>();
  let current: ParsedFamily | undefined;
  let pendingHelp: { name: string; help: string } | undefined;
  text
    .slice(0, -1)
    .split('\n')
    .forEach((raw, idx) => {
      const line = idx + 1;
      if (raw === '') throw new Error(`line ${line}: empty line`);
      const help = /^# HELP (\S+) (.*)$/.exec(raw);
      const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(raw);
      if (help) {
        if (families.has(help[1]!)) throw new Error(`line ${line}: family ${help[1]} appears twice`);
        pendingHelp = { name: help[1]!, help: unescapeHelp(help[2]!, line) };
        return;
      }
      if (type) {
        const name = type[1]!;
        if (!NAME.test(name)) throw new Error(`line ${line}: bad metric name ${name}`);
        if (pendingHelp?.name !== name) throw new Error(`line ${line}: TYPE ${name} without its HELP first`);
        if (families.has(name)) throw new Error(`line ${line}: family ${name} appears twice`);
        current = { name, help: pendingHelp.help, type: type[2] as ParsedFamily['type'], samples: [] };
        families.set(name, current);
        pendingHelp = undefined;
        return;
      }
      if (raw.startsWith('#')) throw new Error(`line ${line}: unexpected comment "${raw}"`);
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(raw);
      if (!m) throw new Error(`line ${line}: not a sample: "${raw}"`);
      if (!current || !familyOf(m[1]!, current))
        throw new Error(`line ${line}: sample ${m[1]} outside its family's HELP/TYPE block`);
      const labels = parseLabels(m[2] ?? '', line);
      const key = `${m[1]}${JSON.stringify(Object.entries(labels).sort())}`;
      if (seen.has(key)) throw new Error(`line ${line}: duplicate series ${key}`);
      seen.add(key);
      const value = parseValue(m[3]!, line);
      if (current.type === 'counter' && !(value >= 0)) throw new Error(`line ${line}: negative counter`);
      current.samples.push({ name: m[1]!, labels, value });
    });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: ParsedFamily): void {
  const groups = new Map<string, ParsedSample[]>();
  for (const s of f.samples) {
    const rest: Record<string, string> = { ...s.labels };
    delete rest.le;
    const key = JSON.stringify(Object.entries(rest).sort());
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const samples of groups.values()) {
    const buckets = samples.filter((s) => s.name.endsWith('_bucket'));
    const count = samples.find((s) => s.name.endsWith('_count'));
    if (!count || !samples.some((s) => s.name.endsWith('_sum')))
      throw new Error(`histogram ${f.name}: _sum or _count missing`);
    let lastLe = -Infinity;
    let lastCount = 0;
    for (const b of buckets) {
      const le = parseValue(b.labels.le ?? 'missing', 0);
      if (!(le > lastLe)) throw new Error(`histogram ${f.name}: buckets not in increasing le order`);
      if (b.value < lastCount) throw new Error(`histogram ${f.name}: buckets not cumulative`);
      lastLe = le;
      lastCount = b.value;
    }
    if (lastLe !== Infinity) throw new Error(`histogram ${f.name}: no le="+Inf" bucket`);
    if (lastCount !== count.value) throw new Error(`histogram ${f.name}: +Inf bucket differs from _count`);
  }
}

/** The value of one series, or undefined. */
export function sampleValue(
  families: Map<string, ParsedFamily>,
  family: string,
  labels: Record<string, string> = {},
  name = family,
): number | undefined {
  const f = families.get(family);
  const s = f?.samples.find(
    (x) =>
      x.name === name &&
      Object.keys(labels).length === Object.keys(x.labels).length &&
      Object.entries(labels).every(([k, v]) => x.labels[k] === v),
  );
  return s?.value;
}
