// Small DOM and formatting helpers. Nothing here may be inline under the page's CSP
// (default-src 'self'): no innerHTML with data, no style attributes; bars are <meter> elements and
// charts are SVG built node by node.
import { currentLang, t } from './i18n.js';

export function byId(id) {
  return document.getElementById(id);
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function number(value) {
  return new Intl.NumberFormat(currentLang(), { maximumFractionDigits: 1 }).format(value);
}

export function age(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function time(ms) {
  return new Date(ms).toLocaleString(currentLang(), { dateStyle: 'short', timeStyle: 'medium' });
}

export function value(v, unit) {
  if (v === undefined) return '—';
  if (typeof v === 'boolean') return t(v ? 'yes' : 'no');
  if (typeof v === 'number') return unit ? `${number(v)} ${unit}` : number(v);
  return String(v);
}

/** A labelled bar: <meter> carries its own colour bands, with no style attribute. */
export function meter(v, { low = 60, high = 80, optimum = 0 } = {}) {
  const m = el('meter');
  m.min = 0;
  m.max = 100;
  m.low = low;
  m.high = high;
  m.optimum = optimum;
  m.value = typeof v === 'number' ? v : 0;
  return m;
}

// Signal aspects, as words or as one SUMO-style state character (REFERENCE: rRgGyYuoOs).
const ASPECTS = {
  r: 'red',
  R: 'red',
  red: 'red',
  y: 'amber',
  Y: 'amber',
  u: 'amber',
  amber: 'amber',
  yellow: 'amber',
  g: 'green',
  G: 'green',
  green: 'green',
  o: 'off',
  O: 'off',
  s: 'off',
  off: 'off',
  dark: 'off',
  flash: 'flash',
};

export function aspectOf(v) {
  return typeof v === 'string' ? ASPECTS[v] : undefined;
}

export function aspectNode(v) {
  const aspect = aspectOf(v);
  if (!aspect) return document.createTextNode(value(v));
  const span = el('span', `aspect aspect-${aspect}`);
  span.append(el('span', 'dot'), document.createTextNode(` ${t(`aspect.${aspect}`)}`));
  span.title = String(v);
  return span;
}

const SVG = 'http://www.w3.org/2000/svg';

/** A small line chart of [timeMs, value] points on a 0–max scale (default 100). */
export function sparkline(points, label, max = 100) {
  const w = 160;
  const h = 40;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  if (points.length > 1) {
    const t0 = points[0][0];
    const span = Math.max(1, points[points.length - 1][0] - t0);
    const d = points
      .map(
        ([x, y], i) =>
          `${i ? 'L' : 'M'}${((x - t0) / span) * w},${h - (Math.min(100, Math.max(0, y)) / 100) * h}`,
      )
      .join(' ');
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}
