// Identity quality: the live reliability diagram from the hosts' feedback,
// the expected calibration error and its sample size, merges and unmerges,
// and a warning when the last week's calibration drifts past the threshold.
import * as api from './api.js';
import { counts, daily, reliability } from './charts.js';
import { el, tile, table, errorBox, periodForm } from './dom.js';

const pct = (v) => (v === null ? '–' : `${Math.round(v * 100)} %`);

export function identity(main) {
  const body = el('div');
  const period = periodForm((from, to) => draw(from, to));
  main.append(el('h1', { text: 'Identity quality' }), period.form, body);

  async function draw(from, to) {
    body.replaceChildren(el('p', { class: 'muted', text: 'Loading…' }));
    let q;
    try {
      q = await api.identity(from, to);
    } catch (err) {
      body.replaceChildren(errorBox(err));
      return;
    }
    const d = q.drift;
    const banner = d.warning
      ? el('p', { class: 'warning', id: 'drift', role: 'alert',
        text: `Calibration drift: the last week's ECE is ${d.last_week_ece.toFixed(3)} over ${d.last_week_samples} answers, past the threshold of ${d.threshold}. The confidence callmem gives no longer matches how often hosts confirm it.` })
      : el('p', { class: 'ok', id: 'drift',
        text: d.last_week_samples >= d.min_samples
          ? `Calibrated: the last week's ECE is ${d.last_week_ece.toFixed(3)} (threshold ${d.threshold}).`
          : `Too few answers with feedback in the last week (${d.last_week_samples}, needs ${d.min_samples}) to judge drift.` });
    const diagram = el('div', { class: 'chart', id: 'chart-reliability' });
    const spread = el('div', { class: 'chart', id: 'chart-bins' });
    const weekly = el('div', { class: 'chart', id: 'chart-ece' });
    body.replaceChildren(banner,
      el('div', { class: 'tiles', id: 'identity-totals' },
        tile('ECE', q.ece.toFixed(3), `expected calibration error over ${q.samples} answers`),
        tile('Answers with feedback', q.samples),
        tile('Confirmed', q.feedback.confirmed), tile('Rejected', q.feedback.rejected),
        tile('Corrected', q.feedback.corrected), tile('Merges', q.merges), tile('Unmerges', q.unmerges)),
      el('div', { class: 'row' }, diagram, spread),
      weekly,
      table(['confidence', 'answers', 'confirmed', 'share confirmed', 'mean confidence'],
        q.bins.map((b) => [`${b.from.toFixed(1)}–${b.to.toFixed(1)}`, b.count, b.confirmed, pct(b.share_confirmed),
          pct(b.mean_confidence)])));
    reliability('reliability', diagram, q.bins);
    counts('bins', spread, 'Answers per confidence bin', q.bins.map((b) => b.from.toFixed(1)), q.bins.map((b) => b.count));
    daily('ece', weekly, 'ECE per week (to its last day)', q.weeks.map((w) => w.to),
      { ECE: q.weeks.map((w) => w.ece), threshold: q.weeks.map(() => d.threshold) }, { unit: 'ECE' });
    main.dataset.ready = 'identity';
  }
  draw(period.from(), period.to());
}
