// Small DOM and formatting helpers, after the console's (edge/console/public/dom.js). Nothing here
// may be inline under the page's CSP (default-src 'self'): no innerHTML with data, no style
// attributes; charts are SVG built node by node.
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

export function number(value, digits = 1) {
  return new Intl.NumberFormat(currentLang(), { maximumFractionDigits: digits }).format(value);
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

/** A table with a header row; `rows` are arrays of cells (strings or nodes). */
export function table(className, headers, rows) {
  const tbl = el('table', className);
  const head = el('tr');
  for (const h of headers) head.append(el('th', undefined, h));
  tbl.append(el('thead'), el('tbody'));
  tbl.tHead.append(head);
  for (const { cells, attrs } of rows) {
    const tr = el('tr');
    for (const [k, v] of Object.entries(attrs ?? {})) tr.setAttribute(k, v);
    cells.forEach((c, i) => {
      const td = el('td');
      td.dataset.label = headers[i];
      if (c instanceof Node) td.append(c);
      else td.textContent = c;
      tr.append(td);
    });
    tbl.tBodies[0].append(tr);
  }
  return tbl;
}

export function empty(text) {
  return el('p', 'empty', text);
}

const SVG = 'http://www.w3.org/2000/svg';

function svgNode(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/** A small bar chart of values (null: no data, drawn as nothing); scaled to the largest. */
export function bars(values, label, className = 'bars') {
  const w = 240;
  const h = 48;
  const svg = svgNode('svg', {
    viewBox: `0 0 ${w} ${h}`,
    class: `chart ${className}`,
    role: 'img',
    'aria-label': label,
  });
  const max = Math.max(0, ...values.filter((v) => typeof v === 'number'));
  const step = w / Math.max(1, values.length);
  svg.append(svgNode('line', { x1: 0, y1: h - 0.5, x2: w, y2: h - 0.5, class: 'axis' }));
  values.forEach((v, i) => {
    if (typeof v !== 'number' || max <= 0) return;
    const bh = Math.max(1, (v / max) * (h - 2));
    svg.append(svgNode('rect', { x: i * step + 1, y: h - bh, width: Math.max(1, step - 2), height: bh }));
  });
  const title = svgNode('title', {});
  title.textContent = label;
  svg.prepend(title);
  return svg;
}
