// A live time-series plot (uPlot) over the last 15 minutes, sized to its box.
import uPlot from 'uplot';
import { useEffect, useRef } from 'preact/hooks';
import { html } from './lib.js';

export const WINDOW_S = 15 * 60;
/** Samples come each second; a longer silence is a gap. */
const GAP_MS = 3500;

const cssVar = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/**
 * `series`: [{label, color (CSS var name), value(point) → number, dash?}]. `points`: the stats
 * points (t in ms). `fmt` formats the axis and legend values.
 */
/** Tick steps for byte axes: powers of two of B, KiB, MiB and GiB, so ticks read 64 MiB, not 95.4 MiB. */
const BYTE_STEPS = [0, 1, 2, 3].flatMap((k) => Array.from({ length: 10 }, (_, i) => 2 ** i * 1024 ** k));

const INT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

/** The x range: the data there is (at least a minute, at most 15), ending now. */
function xRange(points) {
  const now = Date.now() / 1000;
  const first = points.length ? points[0].t / 1000 : now;
  return [Math.max(now - WINDOW_S, Math.min(first, now - 60)), now];
}

/**
 * `floor`: the least top of the y axis, so that a flat zero line still gets ticks that read well
 * (1 %, 1 KiB/s, 4 PIDs) instead of repeated rounded labels.
 */
export function Plot({ title, series, points, fmt, floor = 1, bytes = false, ints = false, id }) {
  const box = useRef(null);
  const plot = useRef(null);
  const pointsRef = useRef(points);
  pointsRef.current = points;
  // A gap (nobody watched: the tab was hidden, the page closed) is drawn as a gap, not a line.
  const data = () => {
    const xs = [];
    const ys = series.map(() => []);
    points.forEach((p, i) => {
      if (i > 0 && p.t - points[i - 1].t > GAP_MS) {
        xs.push((points[i - 1].t + 1000) / 1000);
        ys.forEach((y) => y.push(null));
      }
      xs.push(p.t / 1000);
      series.forEach((s, k) => ys[k].push(s.value(p)));
    });
    return [xs, ...ys];
  };
  useEffect(() => {
    const axis = { stroke: cssVar('--muted'), grid: { stroke: cssVar('--grid'), width: 1 }, ticks: { stroke: cssVar('--grid'), width: 1 } };
    const opts = {
      width: Math.max(200, box.current.clientWidth),
      height: 160,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true, range: () => xRange(pointsRef.current) }, y: { range: (u, lo, hi) => [0, Math.max((hi || 0) * 1.1, floor)] } },
      axes: [{ ...axis }, { ...axis, size: 76, ...(bytes ? { incrs: BYTE_STEPS } : ints ? { incrs: INT_STEPS } : {}), values: (u, vals) => vals.map((v) => fmt(v)) }],
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
