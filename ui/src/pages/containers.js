import { useState } from 'preact/hooks';
import { html, useFeed, useTick, Link, Actions, StateBadge, ErrorLine, bytes, duration, nameOf, portsText, shortId } from '../lib.js';

function uptime(c) {
  if (c.State === 'running' || c.State === 'paused') return `up ${duration(Date.now() - Date.parse(c.StartedAt))}`;
  if (c.State === 'exited') return `exited (${c.ExitCode}) ${duration(Date.now() - Date.parse(c.FinishedAt))} ago`;
  return c.State;
}

export function ContainersPage() {
  useTick(5000);
  const [rows, setRows] = useState(undefined);
  const [stats, setStats] = useState({});
  const [query, setQuery] = useState('');
  const [state, setState] = useState('all');
  const [error, setError] = useState('');
  useFeed('/sse/containers', {
    list: (r) => setRows(r),
    stats: (s) => setStats((old) => ({ ...old, ...s })),
  });
  const q = query.trim().toLowerCase();
  const shown = (rows || []).filter((c) => {
    if (state !== 'all' && (state === 'running' ? c.State !== 'running' : c.State === 'running')) return false;
    if (!q) return true;
    return [nameOf(c), c.Image, c.Id, c.Status, ...Object.entries(c.Labels || {}).map(([k, v]) => `${k}=${v}`)].some((s) => String(s).toLowerCase().includes(q));
  });
  const counts = { all: (rows || []).length, running: (rows || []).filter((c) => c.State === 'running').length };
  return html`<section aria-labelledby="h-containers">
    <h1 id="h-containers">Containers <span class="muted">${counts.running} running of ${counts.all}</span></h1>
    <div class="toolbar" role="search">
      <label>Search <input type="search" value=${query} onInput=${(e) => setQuery(e.target.value)} placeholder="name, image, label, ID" /></label>
      <label>Show <select value=${state} onChange=${(e) => setState(e.target.value)}>
        <option value="all">all</option><option value="running">running</option><option value="stopped">stopped</option>
      </select></label>
    </div>
    <${ErrorLine} error=${error} />
    ${rows === undefined
      ? html`<p class="muted">Loading…</p>`
      : html`<div class="table-wrap"><table class="containers">
      <thead><tr><th>Name</th><th>State</th><th>Image</th><th class="wide">Ports</th><th>Uptime</th><th class="num wide">Restarts</th><th class="num">CPU</th><th class="num">Memory</th><th><span class="sr">Actions</span></th></tr></thead>
      <tbody>${shown.map((c) => {
        const s = stats[c.Id];
        const live = c.State === 'running' && s;
        return html`<tr key=${c.Id} data-id=${c.Id} data-name=${nameOf(c)}>
          <td class="name"><${Link} href=${`/containers/${c.Id}`}>${nameOf(c)}</${Link}><div class="muted small">${shortId(c.Id)}</div></td>
          <td class="state"><${StateBadge} state=${c.State} health=${c.Health} /></td>
          <td class="ellipsis" data-label="Image" title=${c.Image}>${c.Image}</td>
          <td class="wide" data-label="Ports">${portsText(c.Ports)}</td>
          <td data-label="Uptime">${uptime(c)}</td>
          <td class="num wide" data-label="Restarts">${c.RestartCount ?? 0}</td>
          <td class="num cpu" data-label="CPU">${live ? `${s.cpu.toFixed(1)}%` : '–'}</td>
          <td class="num mem" data-label="Memory">${live ? bytes(s.mem) : '–'}</td>
          <td class="act"><${Actions} c=${c} onError=${setError} /></td>
        </tr>`;
      })}</tbody></table></div>
      ${shown.length === 0 ? html`<p class="muted">No containers${q || state !== 'all' ? ' match' : ''}.</p>` : ''}`}
  </section>`;
}
