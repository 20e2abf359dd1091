// The console's charts, drawn with uPlot. Each is kept in window.callmemCharts
// by name, so that a test can read what was drawn.
import uPlot from './vendor/uPlot.esm.js';

window.callmemCharts = window.callmemCharts || {};

const colors = ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed'];

function mount(name, target, opts, data) {
  const old = window.callmemCharts[name];
  if (old) old.destroy();
  const width = Math.max(320, Math.min(target.clientWidth || 900, 1100));
  const chart = new uPlot({ width, height: 260, ...opts }, data, target);
  window.callmemCharts[name] = chart;
  return chart;
}

// Series per day: days are "YYYY-MM-DD", series {label: [values]}.
export function daily(name, target, title, days, series, { bars = false, unit = 'per day' } = {}) {
  const xs = days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
  const opts = {
    title,
    scales: { x: { time: true } },
    series: [{}, ...Object.keys(series).map((label, i) => ({
      label, stroke: colors[i % colors.length], width: 2,
      fill: bars ? `${colors[i % colors.length]}33` : undefined,
      paths: bars ? uPlot.paths.bars({ size: [0.8, 40] }) : undefined,
      points: { show: true, size: 5 },
    }))],
    axes: [{}, { label: unit }],
  };
  return mount(name, target, opts, [xs, ...Object.values(series)]);
}

// The reliability diagram: each bin's mean confidence against its share
// confirmed, beside the diagonal of perfect calibration.
export function reliability(name, target, bins) {
  const xs = bins.map((b) => (b.from + b.to) / 2);
  const observed = bins.map((b) => b.share_confirmed);
  const meanConf = bins.map((b) => b.mean_confidence);
  const opts = {
    title: 'Reliability: share confirmed against confidence',
    scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1] } },
    series: [
      { label: 'confidence bin' },
      { label: 'perfect', stroke: '#9ca3af', dash: [6, 4], width: 1, points: { show: false } },
      { label: 'share confirmed', stroke: colors[0], width: 2, points: { show: true, size: 8 }, spanGaps: true },
      { label: 'mean confidence', stroke: colors[2], width: 1, points: { show: true, size: 5 }, spanGaps: true },
    ],
    axes: [{ label: 'confidence' }, { label: 'share confirmed' }],
  };
  return mount(name, target, opts, [xs, xs, observed, meanConf]);
}

export function counts(name, target, title, labels, values) {
  const xs = labels.map((_, i) => i);
  const opts = {
    title,
    scales: { x: { time: false, range: [-0.5, labels.length - 0.5] } },
    series: [{}, { label: 'answers', stroke: colors[1], fill: `${colors[1]}55`,
      paths: uPlot.paths.bars({ size: [0.7, 60] }), points: { show: false } }],
    axes: [{ values: (u, splits) => splits.map((s) => labels[s] ?? '') , splits: () => xs }, {}],
  };
  return mount(name, target, opts, [xs, values]);
}
