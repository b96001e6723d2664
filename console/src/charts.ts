// Charts as small hand-written SVG, each in a figure with its figures in a table beside it
// (the table is what screen readers and copying use; the SVG is `role="img"` with a title
// and a description). No chart library: the four kinds the reports need (bars, a trend with
// an interval band, intervals per row, a funnel of bars) come to less than a library's
// smallest build, and SVG attributes (not `style`) keep within the console's CSP.
//
// Every number shown goes through `num`, `pct` or `signed`, which write a dash for a value
// that is missing or not finite, so no chart or table ever shows NaN or Infinity.

import { h, uid } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
type SvgAttributes = Record<string, string | number | undefined>;

/** An SVG element with attributes and children (text children become text nodes). */
export function svg(tag: string, attributes: SvgAttributes = {}, ...children: (Node | string | null)[]): SVGElement {
  const element = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) element.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child !== null) element.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return element;
}

const finite = (value: number | null | undefined): value is number => typeof value === 'number' && Number.isFinite(value);

/** A number with `digits` decimals, or a dash. */
export function num(value: number | null | undefined, digits = 0): string {
  return finite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—';
}

/** A rate (0–1) as a percentage, or a dash. */
export function pct(rate: number | null | undefined, digits = 1): string {
  return finite(rate) ? `${num(rate * 100, digits)}%` : '—';
}

/** A number with its sign, or a dash. */
export function signed(value: number | null | undefined, digits = 0, unit = ''): string {
  if (!finite(value)) return '—';
  const text = `${num(Math.abs(value), digits)}${unit}`;
  return value > 0 ? `+${text}` : value < 0 ? `−${text}` : text;
}

/** The chart's palette: each colour has at least 3:1 contrast on white. */
export const COLOURS = { accent: '#2f4fc7', band: '#c7d0f2', good: '#1d6b3a', neutral: '#6b7280', bad: '#b3261e', grid: '#d5d9e3', ink: '#1b1f2a' };

const WIDTH = 360;
const FONT = 11;

/** A table of figures: the first column heads each row. */
export function dataTable(caption: string, headers: string[], rows: string[][]): HTMLElement {
  // Focusable, so that a table wider than a phone can be scrolled from the keyboard.
  return h('div', { class: 'table', tabindex: '0', role: 'region', 'aria-label': caption }, h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...headers.map((text) => h('th', { scope: 'col' }, text)))),
    h('tbody', {}, ...rows.map(([first, ...rest]) => h('tr', {}, h('th', { scope: 'row' }, first ?? ''), ...rest.map((cell) => h('td', {}, cell)))))));
}

/** Columns past which a table does not fit beside its chart and goes under it. */
const BESIDE_COLUMNS = 4;

/** A chart beside its table (under it when the table has many columns), under one caption. */
export function figure(caption: string, chart: SVGElement, table: HTMLElement): HTMLElement {
  const wide = table.querySelectorAll('thead th').length > BESIDE_COLUMNS;
  return h('figure', { class: wide ? 'chart wide' : 'chart' }, h('figcaption', {}, caption), h('div', { class: 'chart-body' }, h('div', { class: 'chart-svg' }, chart), table));
}

function frame(height: number, title: string, description: string): SVGElement {
  const titleId = uid('chart-title');
  const descId = uid('chart-desc');
  return svg('svg', { viewBox: `0 0 ${WIDTH} ${height}`, role: 'img', 'aria-labelledby': `${titleId} ${descId}`, 'font-size': FONT, 'font-family': 'system-ui, sans-serif' },
    svg('title', { id: titleId }, title),
    svg('desc', { id: descId }, description));
}

/** Shortens a label for the chart (the table has it whole). */
function clip(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

export interface Bar { label: string; value: number; text: string; colour?: string }

/** Horizontal bars, one a row, with the label on the left and the figure on the right. */
export function bars(title: string, description: string, items: Bar[]): SVGElement {
  const row = 22;
  // The label and figure columns as wide as their longest text (about 6.2 units a character
  // at this font size), within limits that leave the bars most of the width.
  const chars = (texts: string[]) => Math.max(0, ...texts.map((t) => t.length));
  const labelChars = Math.min(22, chars(items.map((b) => b.label)));
  const left = Math.max(48, Math.ceil(labelChars * 6.2) + 10);
  const right = Math.min(120, Math.max(40, Math.ceil(chars(items.map((b) => b.text)) * 6.2) + 8));
  const chart = frame(items.length * row + 8, title, description);
  const max = Math.max(1, ...items.map((b) => (finite(b.value) ? b.value : 0)));
  const span = WIDTH - left - right;
  items.forEach((bar, i) => {
    const y = 4 + i * row;
    const width = finite(bar.value) && bar.value > 0 ? Math.max(1, (bar.value / max) * span) : 0;
    chart.append(
      svg('text', { x: left - 6, y: y + 14, 'text-anchor': 'end', fill: COLOURS.ink }, clip(bar.label, labelChars)),
      svg('rect', { x: left, y: y + 3, width: span, height: 14, fill: '#eef0f5' }),
      svg('rect', { x: left, y: y + 3, width: width.toFixed(1), height: 14, fill: bar.colour ?? COLOURS.accent }),
      svg('text', { x: left + span + 6, y: y + 14, fill: COLOURS.ink }, bar.text));
  });
  return chart;
}

export interface TrendPoint { label: string; value: number | null; low?: number | null; high?: number | null }
export interface Series { name: string; points: TrendPoint[]; colour?: string }

/**
 * Values over days, a line per series (points where a value exists, gaps where none), with
 * an interval band drawn behind a series whose points have `low` and `high`. `null` when no
 * series has a value: the caller says there is nothing to draw.
 */
export function trend(title: string, description: string, series: Series[], range: { min: number; max: number }, unit = ''): SVGElement | null {
  if (!series.some((s) => s.points.some((p) => finite(p.value)))) return null;
  // Room under the axis for the day labels, and for a legend when there are two series.
  const bottom = series.length > 1 ? 44 : 28;
  const height = 160 + bottom;
  const [left, right, top] = [40, 10, 10];
  const chart = frame(height, title, description);
  const count = Math.max(1, ...series.map((s) => s.points.length));
  const x = (i: number) => left + (count === 1 ? (WIDTH - left - right) / 2 : (i / (count - 1)) * (WIDTH - left - right));
  const y = (v: number) => {
    const clamped = Math.min(range.max, Math.max(range.min, v));
    return top + (1 - (clamped - range.min) / (range.max - range.min || 1)) * (height - top - bottom);
  };
  for (const tick of [range.min, (range.min + range.max) / 2, range.max]) {
    chart.append(
      svg('line', { x1: left, x2: WIDTH - right, y1: y(tick).toFixed(1), y2: y(tick).toFixed(1), stroke: COLOURS.grid }),
      svg('text', { x: left - 4, y: (y(tick) + 4).toFixed(1), 'text-anchor': 'end', fill: COLOURS.ink }, `${num(tick)}${unit}`));
  }
  const labels = series[0]?.points ?? [];
  for (const i of new Set([0, Math.floor((labels.length - 1) / 2), labels.length - 1])) {
    const label = labels[i]?.label;
    if (label !== undefined) chart.append(svg('text', { x: x(i).toFixed(1), y: height - bottom + 16, 'text-anchor': i === 0 ? 'start' : i === labels.length - 1 ? 'end' : 'middle', fill: COLOURS.ink }, label));
  }
  for (const s of series) {
    const colour = s.colour ?? COLOURS.accent;
    // Runs of consecutive points with a value: each is a piece of line (and of band).
    const runs: number[][] = [];
    s.points.forEach((p, i) => {
      if (!finite(p.value)) return;
      const last = runs[runs.length - 1];
      if (last && last[last.length - 1] === i - 1) last.push(i);
      else runs.push([i]);
    });
    for (const run of runs) {
      const banded = run.filter((i) => finite(s.points[i]?.low) && finite(s.points[i]?.high));
      if (banded.length === run.length) {
        const upper = run.map((i) => `${x(i).toFixed(1)},${y(s.points[i]?.high as number).toFixed(1)}`);
        const lower = run.slice().reverse().map((i) => `${x(i).toFixed(1)},${y(s.points[i]?.low as number).toFixed(1)}`);
        if (run.length === 1) {
          const i = run[0] as number;
          chart.append(svg('rect', { x: (x(i) - 3).toFixed(1), y: y(s.points[i]?.high as number).toFixed(1), width: 6, height: Math.max(1, y(s.points[i]?.low as number) - y(s.points[i]?.high as number)).toFixed(1), fill: COLOURS.band }));
        } else {
          chart.append(svg('polygon', { points: [...upper, ...lower].join(' '), fill: COLOURS.band }));
        }
      }
      if (run.length > 1) chart.append(svg('polyline', { points: run.map((i) => `${x(i).toFixed(1)},${y(s.points[i]?.value as number).toFixed(1)}`).join(' '), fill: 'none', stroke: colour, 'stroke-width': 2 }));
      for (const i of run) chart.append(svg('circle', { cx: x(i).toFixed(1), cy: y(s.points[i]?.value as number).toFixed(1), r: 2.5, fill: colour }));
    }
  }
  if (series.length > 1) {
    series.forEach((s, i) => {
      const lx = left + i * 110;
      chart.append(svg('rect', { x: lx, y: height - 11, width: 12, height: 4, fill: s.colour ?? COLOURS.accent }), svg('text', { x: lx + 16, y: height - 5, fill: COLOURS.ink }, s.name));
    });
  }
  return chart;
}

export interface IntervalRow { label: string; value: number | null; low: number | null; high: number | null; colour?: string }

/** A dot for each row's value and a whisker for its interval, on one scale. */
export function intervals(title: string, description: string, rows: IntervalRow[], range: { min: number; max: number }, unit = ''): SVGElement {
  const row = 26;
  const [left, right] = [112, 14];
  const height = rows.length * row + 26;
  const chart = frame(height, title, description);
  const x = (v: number) => left + ((Math.min(range.max, Math.max(range.min, v)) - range.min) / (range.max - range.min || 1)) * (WIDTH - left - right);
  for (const tick of [range.min, (range.min + range.max) / 2, range.max]) {
    chart.append(
      svg('line', { x1: x(tick).toFixed(1), x2: x(tick).toFixed(1), y1: 2, y2: height - 20, stroke: COLOURS.grid }),
      svg('text', { x: x(tick).toFixed(1), y: height - 6, 'text-anchor': 'middle', fill: COLOURS.ink }, `${num(tick)}${unit}`));
  }
  rows.forEach((r, i) => {
    const cy = 4 + i * row + 11;
    chart.append(svg('text', { x: left - 6, y: cy + 4, 'text-anchor': 'end', fill: COLOURS.ink }, clip(r.label, 16)));
    const colour = r.colour ?? COLOURS.accent;
    if (finite(r.low) && finite(r.high)) {
      chart.append(
        svg('line', { x1: x(r.low).toFixed(1), x2: x(r.high).toFixed(1), y1: cy, y2: cy, stroke: colour, 'stroke-width': 2 }),
        svg('line', { x1: x(r.low).toFixed(1), x2: x(r.low).toFixed(1), y1: cy - 5, y2: cy + 5, stroke: colour, 'stroke-width': 2 }),
        svg('line', { x1: x(r.high).toFixed(1), x2: x(r.high).toFixed(1), y1: cy - 5, y2: cy + 5, stroke: colour, 'stroke-width': 2 }));
    }
    if (finite(r.value)) chart.append(svg('circle', { cx: x(r.value).toFixed(1), cy, r: 4, fill: colour }));
  });
  return chart;
}
