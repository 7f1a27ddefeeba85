import { useState } from 'preact/hooks';
import { html, useFeed, Link } from '../lib.js';

const TYPES = ['all', 'container', 'image', 'volume', 'network', 'daemon', 'builder'];

export function EventsPage() {
  const [events, setEvents] = useState(undefined);
  const [type, setType] = useState('all');
  const [q, setQ] = useState('');
  useFeed('/sse/events', {
    history: (h) => setEvents(h.slice().reverse()),
    event: (e) => setEvents((old) => [e, ...(old || [])].slice(0, 2000)),
  });
  const needle = q.toLowerCase();
  const shown = (events || []).filter((e) => (type === 'all' || e.Type === type) && (!needle || JSON.stringify(e).toLowerCase().includes(needle)));
  return html`<section aria-labelledby="h-events"><h1 id="h-events">Events <span class="muted">live, the last hour</span></h1>
    <div class="toolbar" role="search">
      <label>Type <select value=${type} onChange=${(e) => setType(e.target.value)}>${TYPES.map((t) => html`<option value=${t}>${t}</option>`)}</select></label>
      <label>Search <input type="search" value=${q} onInput=${(e) => setQ(e.target.value)} placeholder="action, name, attribute" /></label>
    </div>
    <div class="table-wrap"><table class="events"><thead><tr><th>Time</th><th>Type</th><th>Action</th><th>Actor</th><th class="wide">Attributes</th></tr></thead><tbody>
    ${shown.slice(0, 500).map((e, i) => {
      const name = e.Actor.Attributes.name || e.Actor.ID.slice(0, 12);
      return html`<tr key=${`${e.timeNano}-${i}`}><td>${new Date(e.time * 1000).toLocaleTimeString()}</td><td>${e.Type}</td><td>${e.Action}</td>
        <td>${e.Type === 'container' ? html`<${Link} href=${`/containers/${e.Actor.ID}`}>${name}</${Link}>` : name}</td>
        <td class="wide small">${Object.entries(e.Actor.Attributes).filter(([k]) => k !== 'name').map(([k, v]) => `${k}=${v}`).join(' ')}</td></tr>`;
    })}</tbody></table></div>${events && shown.length === 0 ? html`<p class="muted">No events.</p>` : ''}</section>`;
}
