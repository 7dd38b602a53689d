// Charts for the dashboard: uPlot (served by the cloud from node_modules) for the series over days
// and hours, and plain bars for categories. Every chart comes with its figures as a table, which
// screen readers and the keyboard reach (the canvas alone would say nothing).

import { h, table } from './common.js';
import uPlot from './vendor/uPlot.esm.js';

const ACCENT = '#1f6feb';
const MUTED = '#8b949e';

function chartWidth(container) {
  return Math.max(280, Math.min(container.clientWidth || 640, 1100) - 32);
}

/**
 * A bar chart of `values` over `labels` (strings) with uPlot: `x` is the index; the axis shows the
 * labels. `format` turns a value into text (axis and legend).
 */
export function barChart(container, { labels, series, format, label }) {
  const host = h('div', { class: 'chart', role: 'img', 'aria-label': label });
  container.append(host);
  const xs = labels.map((_, i) => i);
  const bars = uPlot.paths.bars({ size: [0.7, 60] });
  const opts = {
    width: chartWidth(container),
    height: 220,
    scales: {
      x: { time: false, range: [-0.5, Math.max(labels.length - 0.5, 0.5)] },
      // Bars start at zero (or below it for a net negative), so their heights compare.
      y: { range: (_, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
    },
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    axes: [
      {
        stroke: MUTED,
        grid: { show: false },
        splits: () => xs,
        values: (_, splits) => {
          const every = Math.ceil(labels.length / 12);
          return splits.map((i) => (i % every === 0 ? (labels[i] ?? '') : ''));
        },
      },
      { stroke: MUTED, size: 70, values: (_, splits) => splits.map((v) => format(v)) },
    ],
    series: [
      { label: 'x', value: (_, i) => (i === null ? '' : (labels[i] ?? '')) },
      ...series.map((s, n) => ({
        label: s.label,
        stroke: n === 0 ? ACCENT : '#d29922',
        fill: n === 0 ? 'rgba(31,111,235,0.35)' : 'rgba(210,153,34,0.35)',
        paths: bars,
        points: { show: false },
        value: (_, v) => (v === null ? '' : format(v)),
      })),
    ],
  };
  const plot = new uPlot(opts, [xs, ...series.map((s) => s.values)], host);
  return plot;
}

/** Horizontal bars (HTML): one row per category, the bar's length proportional to its value. */
export function categoryBars(rows, { label, value, text }) {
  const max = Math.max(1, ...rows.map((r) => Math.abs(value(r))));
  return h(
    'ul',
    { class: 'hbars' },
    rows.map((r) => {
      const bar = h('span', { class: 'hbar-fill' });
      bar.style.width = `${Math.round((Math.abs(value(r)) / max) * 100)}%`;
      return h(
        'li',
        {},
        h('span', { class: 'hbar-label' }, label(r)),
        h('span', { class: 'hbar-track', 'aria-hidden': 'true' }, bar),
        h('span', { class: 'hbar-value' }, text(r)),
      );
    }),
  );
}

/** The figures behind a chart, as a table in a disclosure. */
export function figures(summary, columns, rows) {
  return h(
    'details',
    { class: 'figures' },
    h('summary', {}, summary),
    table(columns, rows, { caption: summary }),
  );
}
