import { useEffect, useMemo, useState } from 'preact/hooks';
import { html, useApi, useFeed, useTick, Actions, StateBadge, ErrorLine, Tree, bytes, ago, shortId, portsText } from '../lib.js';
import { Plot, WINDOW_S } from '../plot.js';

const pct = (v) => `${v.toFixed(v < 10 ? 1 : 0)}%`;
const rate = (v) => `${bytes(v)}/s`;
const count = (v) => String(Math.round(v));

const PLOTS = [
  { id: 'plot-cpu', title: 'CPU', fmt: pct, floor: 1, series: [{ label: 'CPU %', color: '--c1', value: (p) => p.cpu }] },
  { id: 'plot-mem', title: 'Memory', fmt: bytes, bytes: true, floor: 1 << 20, series: [{ label: 'used', color: '--c1', value: (p) => p.mem }, { label: 'limit', color: '--c3', dash: [6, 4], value: (p) => p.memLimit }] },
  { id: 'plot-net', title: 'Network', fmt: rate, bytes: true, floor: 1024, series: [{ label: 'rx', color: '--c1', value: (p) => p.rx }, { label: 'tx', color: '--c2', value: (p) => p.tx }] },
  { id: 'plot-blk', title: 'Block I/O', fmt: rate, bytes: true, floor: 1024, series: [{ label: 'read', color: '--c1', value: (p) => p.blkRead }, { label: 'write', color: '--c2', value: (p) => p.blkWrite }] },
  { id: 'plot-pids', title: 'PIDs', fmt: count, ints: true, floor: 4, series: [{ label: 'PIDs', color: '--c1', value: (p) => p.pids }] },
];

function Resources({ id, onState }) {
  const [points, setPoints] = useState([]);
  useFeed(`/sse/stats/${id}`, {
    history: (h) => {
      setPoints(h.points);
      onState(h.running);
    },
    point: (p) => setPoints((old) => {
      const cut = p.t - WINDOW_S * 1000;
      const keep = old.length > 0 && old[0].t < cut ? old.filter((x) => x.t >= cut) : old;
      return [...keep, p];
    }),
    state: (s) => onState(s.running),
  }, [id]);
  const last = points[points.length - 1];
  return html`<section aria-labelledby="h-res"><h2 id="h-res">Resources <span class="muted small">last 15 minutes${last ? `: CPU ${pct(last.cpu)}, memory ${bytes(last.mem)}${last.memLimit ? ` of ${bytes(last.memLimit)}` : ''}, ${last.pids} PIDs` : ''}</span></h2>
    <div class="plots">${PLOTS.map((p) => html`<${Plot} key=${p.id} ...${p} points=${points} />`)}</div></section>`;
}

export function LogView({ lines, follow }) {
  const [q, setQ] = useState('');
  const shown = useMemo(() => {
    const needle = q.toLowerCase();
    return needle ? lines.filter(([, t]) => t.toLowerCase().includes(needle)) : lines;
  }, [lines, q]);
  const [pre, setPre] = useState(null);
  useEffect(() => {
    if (pre && follow && !q) pre.scrollTop = pre.scrollHeight;
  }, [shown, pre]);
  return html`<div class="logs">
    <label>Search the log <input type="search" value=${q} onInput=${(e) => setQ(e.target.value)} /></label>
    <span class="muted small"> ${shown.length} of ${lines.length} lines${follow ? ', following' : ''}</span>
    <pre class="log" tabindex="0" ref=${setPre} aria-label="Log lines">${shown.map(([s, t], i) => html`<div key=${i} class=${s === 'stderr' ? 'stderr' : ''}>${t}</div>`)}</pre>
  </div>`;
}

function Logs({ id, running }) {
  const [lines, setLines] = useState([]);
  const [following, setFollowing] = useState(false);
  // A new feed (first view, tab shown again, container started) starts over from the tail.
  const [gen, setGen] = useState(0);
  useEffect(() => setGen((g) => g + 1), [running]);
  useFeed(`/sse/logs/${id}?tail=500`, {
    start: (s) => {
      setLines([]);
      setFollowing(s.follow);
    },
    lines: (batch) => setLines((old) => [...old, ...batch].slice(-5000)),
    end: () => setFollowing(false),
  }, [gen]);
  return html`<section aria-labelledby="h-logs"><h2 id="h-logs">Logs</h2><${LogView} lines=${lines} follow=${following} /></section>`;
}

export function DeathRecord({ exit }) {
  if (!exit) return '';
  return html`<section class="death" aria-labelledby="h-death"><h2 id="h-death">Last exit</h2>
    <dl class="facts">
      <dt>Reason</dt><dd class="reason"><span class=${`badge r-${exit.Reason}`}>${exit.Reason === 'oom' ? 'OOM' : exit.Reason}</span> ${exit.Message}</dd>
      <dt>Exit code</dt><dd>${exit.ExitCode ?? '–'}${exit.Signal ? ` (${exit.Signal})` : ''}</dd>
      <dt>Finished</dt><dd>${ago(exit.FinishedAt)} <span class="muted small">${exit.FinishedAt}</span></dd>
      ${exit.PeakMemory ? html`<dt>Peak memory</dt><dd>${bytes(exit.PeakMemory)}</dd>` : ''}
      ${exit.OOMKilled ? html`<dt>OOM killed</dt><dd>yes</dd>` : ''}
    </dl>
    ${exit.LastLogLines && exit.LastLogLines.length ? html`<h3>Its last lines</h3><pre class="log last-lines">${exit.LastLogLines.join('\n')}</pre>` : ''}
  </section>`;
}

function Exits({ id, version }) {
  // Fixed per version: a path that changed every second would fetch every second.
  const until = useMemo(() => Math.floor(Date.now() / 1000), [version]);
  const f = encodeURIComponent(JSON.stringify({ container: [id], event: ['die', 'oom'] }));
  const { data } = useApi(`/events?since=0&until=${until}&filters=${f}`, [version], { as: 'text' });
  const events = data ? data.split('\n').filter(Boolean).map((l) => JSON.parse(l)).reverse() : [];
  if (events.length === 0) return '';
  return html`<section aria-labelledby="h-exits"><h2 id="h-exits">Exits</h2><div class="table-wrap"><table><thead><tr><th>When</th><th>Event</th><th>Exit code</th></tr></thead><tbody>
    ${events.slice(0, 50).map((e, i) => html`<tr key=${i}><td>${ago(e.time)}</td><td>${e.Action}</td><td>${e.Actor.Attributes.exitCode ?? ''}</td></tr>`)}
  </tbody></table></div></section>`;
}

function Top({ id, running }) {
  const [n, setN] = useState(0);
  const { data, error } = useApi(running ? `/containers/${id}/top?ps_args=-o%20pid,user,pcpu,rss,etime,args` : null, [n]);
  if (!running) return '';
  return html`<section aria-labelledby="h-top"><h2 id="h-top">Processes <button onClick=${() => setN(n + 1)}>Refresh</button></h2>
    <${ErrorLine} error=${error} />
    ${data ? html`<div class="table-wrap"><table><thead><tr>${data.Titles.map((t) => html`<th>${t}</th>`)}</tr></thead><tbody>${data.Processes.map((p) => html`<tr>${p.map((v) => html`<td>${v}</td>`)}</tr>`)}</tbody></table></div>` : ''}
  </section>`;
}

export function ContainerPage({ id }) {
  useTick(5000);
  const [version, setVersion] = useState(0);
  const { data: c, error } = useApi(`/containers/${id}/json`, [version]);
  const [running, setRunning] = useState(undefined);
  const [actionError, setActionError] = useState('');
  useEffect(() => {
    if (c && running !== undefined && running !== c.State.Running) setVersion((v) => v + 1);
  }, [running]);
  if (error) return html`<${ErrorLine} error=${error} />`;
  if (!c) return html`<p class="muted">Loading…</p>`;
  const name = c.Name.replace(/^\//, '');
  const state = c.State.Status;
  const summary = { Id: c.Id, State: state, Names: [c.Name] };
  const ports = Object.entries(c.NetworkSettings?.Ports || {}).flatMap(([k, v]) => (v || []).map((b) => ({ PrivatePort: k.split('/')[0], Type: k.split('/')[1], PublicPort: b.HostPort, IP: b.HostIp })));
  return html`<article aria-labelledby="h-container">
    <h1 id="h-container">${name} <${StateBadge} state=${state} health=${c.State.Health?.Status} /></h1>
    <div class="toolbar"><${Actions} c=${summary} onError=${(e) => { setActionError(e); setVersion((v) => v + 1); }} /></div>
    <${ErrorLine} error=${actionError} />
    <dl class="facts">
      <dt>ID</dt><dd>${shortId(c.Id)}</dd><dt>Image</dt><dd>${c.Config.Image}</dd>
      <dt>Command</dt><dd><code>${[c.Path, ...c.Args].join(' ')}</code></dd>
      <dt>${c.State.Running ? 'Started' : 'Created'}</dt><dd>${ago(c.State.Running ? c.State.StartedAt : c.Created)}</dd>
      <dt>Restarts</dt><dd>${c.RestartCount}</dd>
      ${ports.length ? html`<dt>Ports</dt><dd>${portsText(ports)}</dd>` : ''}
      <dt>Memory limit</dt><dd>${c.HostConfig.Memory ? bytes(c.HostConfig.Memory) : 'none'}</dd>
    </dl>
    ${!c.State.Running ? html`<${DeathRecord} exit=${c.BerthLastExit} />` : ''}
    <${Resources} id=${c.Id} onState=${setRunning} />
    <${Logs} id=${c.Id} running=${c.State.Running} />
    <${Top} id=${c.Id} running=${c.State.Running} />
    <${Exits} id=${c.Id} version=${version} />
    <section aria-labelledby="h-inspect"><h2 id="h-inspect">Inspect</h2><div class="tree"><${Tree} value=${c} name=${name} open=${true} /></div></section>
  </article>`;
}
