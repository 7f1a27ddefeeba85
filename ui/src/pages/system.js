import { useEffect, useState } from 'preact/hooks';
import { html, useApi, ErrorLine, bytes, duration } from '../lib.js';

function Bar({ label, value, total, mark }) {
  const pct = total > 0 ? Math.min(100, (value / total) * 100) : 0;
  return html`<div class="bar-row"><span class="bar-label">${label}</span>
    <span class="bar" role="meter" aria-label=${label} aria-valuemin="0" aria-valuemax=${total} aria-valuenow=${value}><span style=${{ width: `${pct}%` }}></span>${mark ? html`<i style=${{ left: `${Math.min(100, (mark / total) * 100)}%` }} title="high mark"></i>` : ''}</span>
    <span class="bar-value">${bytes(value)}</span></div>`;
}

/** A mark as it was set: a percentage of the filesystem with its bytes, or bytes of the data root. */
const markText = (budget, m) => (budget.measure === 'filesystem' ? `${m.mark} (${bytes(m.bytes)})` : bytes(m.bytes));

export function SystemPage() {
  const { data: info, error } = useApi('/info');
  const { data: df } = useApi('/system/df');
  const { data: budget } = useApi('/berth/v1/budget');
  const [daemon, setDaemon] = useState(undefined);
  useEffect(() => {
    const load = () => fetch('/dash/daemon', { credentials: 'same-origin' }).then((r) => r.json()).then(setDaemon, () => undefined);
    load();
    const t = setInterval(() => !document.hidden && load(), 5000);
    return () => clearInterval(t);
  }, []);
  const kinds = df ? [
    ['Images', df.LayersSize || 0],
    ['Containers', (df.Containers || []).reduce((n, c) => n + (c.SizeRw || 0), 0)],
    ['Volumes', (df.Volumes || []).reduce((n, v) => n + Math.max(0, v.UsageData?.Size || 0), 0)],
    ['Build cache', (df.BuildCache || []).reduce((n, b) => n + (b.Size || 0), 0)],
  ] : [];
  const used = kinds.reduce((n, [, v]) => n + v, 0);
  const on = budget && budget.enabled;
  // Against the budget: the filesystem's size for percent marks, else a little past the high mark.
  const total = on ? (budget.measure === 'filesystem' ? budget.filesystemSize : Math.max(budget.high.bytes * 1.1, budget.usage)) : used;
  const mark = on ? budget.high.bytes : 0;
  const rows = on ? [[budget.measure === 'filesystem' ? 'Filesystem in use' : 'Data root in use', budget.usage], ...kinds] : kinds;
  return html`<section aria-labelledby="h-system"><h1 id="h-system">System</h1>
    <${ErrorLine} error=${error} />
    <h2>Disk use by kind</h2>
    <p class="muted small">${on ? `Storage budget: past the high mark ${markText(budget, budget.high)} (the red line) Berth frees down to ${markText(budget, budget.low)}; in use ${bytes(budget.usage)}${budget.measure === 'filesystem' ? ` of a ${bytes(budget.filesystemSize)} filesystem` : ''}.` : 'No storage budget is set (berthd --storage-budget high=80%,low=70%): nothing is removed to free disk.'}</p>
    <div class="bars">${rows.map(([k, v]) => html`<${Bar} key=${k} label=${k} value=${v} total=${Math.max(total, 1)} mark=${mark} />`)}</div>
    ${on && budget.reclaimable ? html`<h3>Reclaimable, in the order the budget frees</h3><ul>${budget.reclaimable.map((r) => html`<li>${r.kind}: ${bytes(r.bytes)}</li>`)}</ul>` : ''}
    <h2>Daemon</h2>
    ${daemon ? html`<dl class="facts"><dt>Resident memory</dt><dd class="daemon-rss">${bytes(daemon.rss)}</dd><dt>JS heap</dt><dd>${bytes(daemon.heapUsed)} of ${bytes(daemon.heapTotal)}</dd><dt>Up</dt><dd>${duration(daemon.uptime * 1000)}</dd><dt>PID</dt><dd>${daemon.pid}</dd><dt>Stats samplers</dt><dd>${daemon.samplers}</dd></dl>` : ''}
    ${info ? html`<h2>Host</h2><dl class="facts">
      <dt>Host name</dt><dd>${info.Name}</dd><dt>Kernel</dt><dd>${info.KernelVersion}</dd><dt>OS</dt><dd>${info.OperatingSystem}</dd>
      <dt>CPUs</dt><dd>${info.NCPU}</dd><dt>Memory</dt><dd>${bytes(info.MemTotal)}</dd><dt>Storage driver</dt><dd>${info.Driver}</dd>
      <dt>Cgroups</dt><dd>${info.CgroupDriver} v${info.CgroupVersion}</dd><dt>Runtime</dt><dd>${info.DefaultRuntime}</dd>
      <dt>Containers</dt><dd>${info.Containers} (${info.ContainersRunning} running, ${info.ContainersStopped} stopped)</dd><dt>Images</dt><dd>${info.Images}</dd>
      <dt>Data root</dt><dd><code>${info.DockerRootDir}</code></dd></dl>
      <h2>Warnings</h2>${(info.Warnings || []).length ? html`<ul class="warnings">${info.Warnings.map((w) => html`<li>${w}</li>`)}</ul>` : html`<p class="muted">None.</p>`}` : ''}
  </section>`;
}
