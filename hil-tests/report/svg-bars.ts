// A grouped horizontal bar chart as standalone SVG text, for the KPI report's figures. Written
// by hand so that the report needs no plotting package; one chart per table, readable in a
// browser or a markdown viewer that shows linked images.

export interface BarGroup {
  readonly label: string;
  /** One value per series; NaN or undefined leaves the bar out. */
  readonly values: readonly (number | undefined)[];
}

export interface BarChart {
  readonly title: string;
  readonly unit: string;
  readonly series: readonly string[];
  readonly groups: readonly BarGroup[];
  /** A vertical reference line (a target), with its label. */
  readonly reference?: { readonly value: number; readonly label: string };
}

const PALETTE = ['#8c8c8c', '#4c72b0', '#dd8452', '#55a868', '#c44e52', '#8172b3', '#937860'];
const BAR_H = 14;
const GAP = 10;
const PLOT_W = 480;
const RIGHT = 60;
/** About the width of one 11 px sans-serif character, for sizing the label column. */
const CHAR_W = 6.5;

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const fmt = (x: number): string =>
  Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);

/** The chart as an SVG document. Values below zero are drawn as zero-length bars with their label. */
export function barChartSvg(c: BarChart): string {
  const finite = c.groups.flatMap((g) =>
    g.values.filter((v): v is number => v !== undefined && Number.isFinite(v)),
  );
  const max = Math.max(1e-9, ...finite, c.reference?.value ?? 0);
  const left = Math.max(90, 16 + CHAR_W * Math.max(0, ...c.groups.map((g) => g.label.length)));
  const width = Math.max(720, left + PLOT_W + RIGHT);
  const plotW = PLOT_W;
  const x = (v: number): number => left + (Math.max(0, v) / max) * plotW;
  const legendH = 18 * Math.ceil(c.series.length / 4);
  const top = 30 + legendH;
  const groupH = c.series.length * BAR_H + GAP;
  const height = top + c.groups.length * groupH + 30;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${esc(c.title)} (${esc(c.unit)})</text>`,
  ];
  c.series.forEach((s, i) => {
    const lx = 10 + (i % 4) * 175;
    const ly = 26 + 18 * Math.floor(i / 4);
    parts.push(
      `<rect x="${lx}" y="${ly}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/>`,
      `<text x="${lx + 14}" y="${ly + 9}">${esc(s)}</text>`,
    );
  });
  c.groups.forEach((g, gi) => {
    const gy = top + gi * groupH;
    parts.push(
      `<text x="${left - 6}" y="${gy + (c.series.length * BAR_H) / 2 + 4}" text-anchor="end">${esc(g.label)}</text>`,
    );
    g.values.forEach((v, si) => {
      if (v === undefined || !Number.isFinite(v)) return;
      const y = gy + si * BAR_H;
      const w = x(v) - left;
      parts.push(
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H - 2}" fill="${PALETTE[si % PALETTE.length]}"/>`,
        `<text x="${(left + w + 3).toFixed(1)}" y="${y + BAR_H - 4}">${fmt(v)}</text>`,
      );
    });
  });
  if (c.reference) {
    const rx = x(c.reference.value).toFixed(1);
    parts.push(
      `<line x1="${rx}" y1="${top - 4}" x2="${rx}" y2="${height - 24}" stroke="#c00" stroke-dasharray="4 3"/>`,
      `<text x="${rx}" y="${height - 10}" text-anchor="middle" fill="#c00">${esc(c.reference.label)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
