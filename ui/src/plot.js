// A live time-series plot (uPlot) over the last 15 minutes, sized to its box.
import uPlot from 'uplot';
import { useEffect, useRef } from 'preact/hooks';
import { html } from './lib.js';

export const WINDOW_S = 15 * 60;

const cssVar = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/**
 * `series`: [{label, color (CSS var name), value(point) → number, dash?}]. `points`: the stats
 * points (t in ms). `fmt` formats the axis and legend values.
 */
export function Plot({ title, series, points, fmt, min = 0, id }) {
  const box = useRef(null);
  const plot = useRef(null);
  const data = () => {
    const xs = points.map((p) => p.t / 1000);
    return [xs, ...series.map((s) => points.map((p) => s.value(p)))];
  };
  useEffect(() => {
    const axis = { stroke: cssVar('--muted'), grid: { stroke: cssVar('--grid'), width: 1 }, ticks: { stroke: cssVar('--grid'), width: 1 } };
    const opts = {
      width: Math.max(200, box.current.clientWidth),
      height: 160,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true, range: () => { const now = Date.now() / 1000; return [now - WINDOW_S, now]; } }, y: { range: (u, lo, hi) => [min, Math.max(hi * 1.1, min + 1e-9, 1)] } },
      axes: [{ ...axis }, { ...axis, size: 70, values: (u, vals) => vals.map((v) => fmt(v)) }],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: cssVar(s.color), width: 1.5, dash: s.dash, value: (u, v) => (v === null || v === undefined ? '–' : fmt(v)), points: { show: false } }))],
    };
    plot.current = new uPlot(opts, data(), box.current);
    const ro = new ResizeObserver(() => plot.current && plot.current.setSize({ width: Math.max(200, box.current.clientWidth), height: 160 }));
    ro.observe(box.current);
    return () => {
      ro.disconnect();
      plot.current.destroy();
      plot.current = null;
    };
  }, [series.length]);
  useEffect(() => {
    if (plot.current) plot.current.setData(data());
  }, [points]);
  return html`<figure class="plot" id=${id} data-last=${points.length ? JSON.stringify(series.map((s) => s.value(points[points.length - 1]))) : ''}>
    <figcaption>${title}</figcaption>
    <div ref=${box} role="img" aria-label=${`${title} over the last 15 minutes`}></div>
  </figure>`;
}
