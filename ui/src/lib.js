// Shared pieces of the dashboard: the API and feed clients, formatting, the confirm dialog.
import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';

export const html = htm.bind(h);

/** Counts SSE messages (the browser tests read it to see that a shown tab gets no backlog burst). */
window.__berth = { sseMessages: 0 };

/** An Engine API call through the dashboard (same routes as the socket); throws the API's message. */
export async function api(path, opts = {}) {
  const res = await fetch(`/api${path}`, { ...opts, credentials: 'same-origin', headers: { 'X-Berth-UI': '1', ...(opts.headers || {}) } });
  if (res.status === 401) {
    location.reload();
    throw new Error('not logged in');
  }
  if (!res.ok) {
    let msg = `${res.status} ${res.statusText}`;
    try {
      msg = (await res.json()).message || msg;
    } catch {
      /* not JSON */
    }
    throw new Error(msg);
  }
  const type = res.headers.get('content-type') || '';
  if (res.status === 204 || res.status === 304) return null;
  if (opts.as === 'text') return res.text();
  if (opts.as === 'buffer') return res.arrayBuffer();
  return type.includes('json') ? res.json() : res.arrayBuffer();
}

/** Loads `path` (again when `deps` change); `reload()` fetches it anew. */
export function useApi(path, deps = [], opts = {}) {
  const [state, setState] = useState({ data: undefined, error: undefined, loading: true });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    if (!path) return undefined;
    api(path, opts).then(
      (data) => live && setState({ data, error: undefined, loading: false }),
      (error) => live && setState({ data: undefined, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [path, n, ...deps]);
  return { ...state, reload: () => setN((x) => x + 1) };
}

/** True while the page is visible (Page Visibility API). */
export function useVisible() {
  const [visible, setVisible] = useState(!document.hidden);
  useEffect(() => {
    const on = () => setVisible(!document.hidden);
    document.addEventListener('visibilitychange', on);
    return () => document.removeEventListener('visibilitychange', on);
  }, []);
  return visible;
}

/**
 * An SSE feed open while the tab is visible: hidden, it is closed (the server stops sampling for
 * it); shown again, it is opened anew and starts with the current state, never a backlog.
 */
export function useFeed(path, handlers, deps = []) {
  const visible = useVisible();
  const ref = useRef(handlers);
  ref.current = handlers;
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (!visible || !path) return undefined;
    const es = new EventSource(path);
    for (const name of Object.keys(ref.current)) {
      es.addEventListener(name, (e) => {
        window.__berth.sseMessages++;
        ref.current[name]?.(JSON.parse(e.data));
      });
    }
    es.onopen = () => setOpen(true);
    es.onerror = () => setOpen(false);
    return () => {
      es.close();
      setOpen(false);
    };
  }, [visible, path, ...deps]);
  return open;
}

export function bytes(n) {
  if (n === undefined || n === null || Number.isNaN(n)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = Number(n);
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}

export function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

export function ago(time) {
  const t = typeof time === 'number' ? time * 1000 : Date.parse(time);
  if (!t || t < 0 || String(time).startsWith('0001')) return '–';
  return `${duration(Date.now() - t)} ago`;
}

export const shortId = (id) => String(id || '').replace(/^sha256:/, '').slice(0, 12);
export const nameOf = (c) => String((c.Names && c.Names[0]) || c.Name || '').replace(/^\//, '');

export function portsText(ports) {
  return (ports || [])
    .map((p) => (p.PublicPort ? `${p.IP && p.IP !== '0.0.0.0' ? `${p.IP.includes(':') ? `[${p.IP}]` : p.IP}:` : ''}${p.PublicPort}→${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`))
    .filter((v, i, a) => a.indexOf(v) === i)
    .join(', ');
}

/** Demultiplexes docker's log framing (8-byte headers) into [stream, line] pairs; raw text for a TTY. */
export function logLines(buf, tty) {
  const bytes8 = new Uint8Array(buf);
  const dec = new TextDecoder();
  const out = [];
  const push = (stream, text) => {
    for (const line of text.split('\n')) if (line !== '') out.push([stream, line]);
  };
  if (tty) {
    push('stdout', dec.decode(bytes8));
    return out;
  }
  let i = 0;
  while (i + 8 <= bytes8.length) {
    const size = (bytes8[i + 4] << 24) | (bytes8[i + 5] << 16) | (bytes8[i + 6] << 8) | bytes8[i + 7];
    push(bytes8[i] === 2 ? 'stderr' : 'stdout', dec.decode(bytes8.subarray(i + 8, i + 8 + size)));
    i += 8 + size;
  }
  return out;
}

/** Navigation inside the single-page app. */
export function go(path) {
  history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function Link({ href, children, ...rest }) {
  const click = (e) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    go(href);
  };
  return html`<a href=${href} onClick=${click} ...${rest}>${children}</a>`;
}

/** Asks before an action; a modal <dialog> traps focus and Escape cancels. */
export function confirmAction(text) {
  return new Promise((resolve) => {
    const d = document.createElement('dialog');
    d.className = 'confirm';
    d.setAttribute('aria-label', 'Confirm');
    const p = document.createElement('p');
    p.textContent = text;
    const row = document.createElement('div');
    row.className = 'row';
    const cancel = document.createElement('button');
    cancel.textContent = 'Cancel';
    const ok = document.createElement('button');
    ok.textContent = 'Confirm';
    ok.className = 'danger';
    ok.dataset.confirm = '';
    row.append(cancel, ok);
    d.append(p, row);
    document.body.append(d);
    const done = (v) => {
      d.close();
      d.remove();
      resolve(v);
    };
    cancel.onclick = () => done(false);
    ok.onclick = () => done(true);
    d.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(false);
    });
    d.showModal();
    cancel.focus();
  });
}

/** Start, stop, restart or remove a container, after asking. Returns an error message or ''. */
export async function containerAction(action, id, name) {
  const what = { start: 'Start', stop: 'Stop', restart: 'Restart', remove: 'Remove' }[action];
  if (!(await confirmAction(`${what} container ${name}?${action === 'remove' ? ' It must be stopped; its record is kept under Removed.' : ''}`))) return '';
  try {
    if (action === 'remove') await api(`/containers/${id}`, { method: 'DELETE' });
    else await api(`/containers/${id}/${action}`, { method: 'POST' });
    return '';
  } catch (err) {
    return err.message;
  }
}

export function Actions({ c, onError }) {
  const running = c.State === 'running' || c.State === 'paused' || c.State === 'restarting';
  const name = nameOf(c);
  const act = (a) => async () => onError(await containerAction(a, c.Id, name));
  return html`<span class="actions">
    ${running
      ? html`<button onClick=${act('stop')} aria-label=${`Stop ${name}`}>Stop</button><button onClick=${act('restart')} aria-label=${`Restart ${name}`}>Restart</button>`
      : html`<button onClick=${act('start')} aria-label=${`Start ${name}`}>Start</button><button class="danger" onClick=${act('remove')} aria-label=${`Remove ${name}`}>Remove</button>`}
  </span>`;
}

export function StateBadge({ state, health }) {
  return html`<span class=${`badge s-${state}`}>${state}</span>${health ? html` <span class=${`badge h-${health}`}>${health}</span>` : ''}`;
}

export function ErrorLine({ error }) {
  return error ? html`<p class="error" role="alert">${String(error.message || error)}</p>` : '';
}

/** An object as a tree of <details>, keyboard-open like any disclosure. */
export function Tree({ value, name, open = false }) {
  if (value === null || typeof value !== 'object') {
    return html`<div class="leaf">${name !== undefined ? html`<span class="key">${name}: </span>` : ''}<span class=${`v-${value === null ? 'null' : typeof value}`}>${JSON.stringify(value)}</span></div>`;
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  const label = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  return html`<details open=${open}><summary><span class="key">${name ?? ''}</span> <span class="muted">${label}</span></summary>
    <div class="children">${entries.map(([k, v]) => html`<${Tree} key=${k} name=${k} value=${v} />`)}</div></details>`;
}

/** Re-renders every `ms`, for "up 5m" and "2m ago" texts that must not freeze at the first render. */
export function useTick(ms) {
  const [, setN] = useState(0);
  useEffect(() => {
    const t = setInterval(() => !document.hidden && setN((n) => n + 1), ms);
    return () => clearInterval(t);
  }, [ms]);
}
