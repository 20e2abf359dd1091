// Overview: calls and recommendations per day, credits, latency and store errors, for a period.
import * as api from './api.js';
import { daily } from './charts.js';
import { el, tile, errorBox, periodForm } from './dom.js';

const ms = (v) => (v === null ? '–' : `${v} ms`);

export function overview(main) {
  const body = el('div');
  const period = periodForm((from, to) => draw(from, to));
  main.append(el('h1', { text: 'Overview' }), period.form, body);

  async function draw(from, to) {
    body.replaceChildren(el('p', { class: 'muted', text: 'Loading…' }));
    let o;
    try {
      o = await api.overview(from, to);
    } catch (err) {
      body.replaceChildren(errorBox(err));
      return;
    }
    const t = o.totals;
    const days = o.days.map((d) => d.day);
    const calls = el('div', { class: 'chart', id: 'chart-calls' });
    const recs = el('div', { class: 'chart', id: 'chart-recommendations' });
    const credits = el('div', { class: 'chart', id: 'chart-credits' });
    body.replaceChildren(
      el('div', { class: 'tiles', id: 'overview-totals' },
        tile('Calls started', t.starts), tile('Calls ended', t.ends),
        tile('Reuse', t.reuse, 'recognised, used as is'), tile('Confirm', t.confirm, 'held for confirmation'),
        tile('Ignore', t.ignore, 'not recognised'),
        tile('Credits balance', o.credits.balance, o.credits.billing_enabled ? 'billing on' : 'billing off'),
        tile('Credits spent', t.credits_spent)),
      el('div', { class: 'tiles' },
        tile('Start p50 / p99', `${ms(o.server.start.p50_ms)} / ${ms(o.server.start.p99_ms)}`,
          `${o.server.start.requests} starts on this node`),
        tile('End p50 / p99', `${ms(o.server.end.p50_ms)} / ${ms(o.server.end.p99_ms)}`,
          `${o.server.end.requests} ends on this node`),
        tile('Store errors', o.server.store_errors, '500 and 503 answers since the node started')),
      ...(o.truncated ? [el('p', { class: 'warning', text: 'The period has more calls than the charts count: choose a shorter one.' })] : []),
      calls, recs, credits);
    daily('calls', calls, 'Calls per day', days,
      { starts: o.days.map((d) => d.starts), ends: o.days.map((d) => d.ends) });
    daily('recommendations', recs, 'Recommendations per day', days, {
      reuse: o.days.map((d) => d.reuse), confirm: o.days.map((d) => d.confirm), ignore: o.days.map((d) => d.ignore),
    });
    daily('credits', credits, 'Credits spent per day', days, { credits: o.days.map((d) => d.credits_spent) }, { bars: true });
    main.dataset.ready = 'overview';
  }
  draw(period.from(), period.to());
}
