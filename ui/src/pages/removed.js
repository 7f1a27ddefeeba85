import { html, useApi, ErrorLine, Link, ago, bytes, shortId, logLines } from '../lib.js';
import { DeathRecord, LogView } from './container.js';

export function RemovedPage() {
  const { data, error } = useApi('/berth/v1/removed');
  return html`<section aria-labelledby="h-removed"><h1 id="h-removed">Removed containers <span class="muted">${data ? data.length : ''}</span></h1>
    <${ErrorLine} error=${error} />
    <div class="table-wrap"><table><thead><tr><th>Name</th><th>Image</th><th>Reason</th><th class="num">Exit</th><th>Finished</th><th>Removed</th><th class="wide">By</th></tr></thead><tbody>
    ${(data || []).map((r) => html`<tr key=${r.Id}><td><${Link} href=${`/removed/${r.Id}`}>${r.Name.replace(/^\//, '')}</${Link}><div class="muted small">${shortId(r.Id)}</div></td><td>${r.Image}</td>
      <td><span class=${`badge r-${r.Reason}`}>${r.Reason === 'oom' ? 'OOM' : r.Reason}</span></td><td class="num">${r.ExitCode ?? '–'}</td><td>${ago(r.FinishedAt)}</td><td>${ago(r.RemovedAt)}</td><td class="wide">${r.RemovedBy}</td></tr>`)}
    </tbody></table></div>${data && data.length === 0 ? html`<p class="muted">No records of removed containers.</p>` : ''}</section>`;
}

export function RemovedOnePage({ id }) {
  const { data: r, error } = useApi(`/berth/v1/removed/${id}`);
  const { data: log } = useApi(r ? `/berth/v1/removed/${r.Id}/logs?stdout=1&stderr=1&tail=500` : null, [r], { as: 'buffer' });
  if (error) return html`<${ErrorLine} error=${error} />`;
  if (!r) return html`<p class="muted">Loading…</p>`;
  const exit = { Reason: r.Reason, Message: r.Message, ExitCode: r.ExitCode, Signal: r.Signal, FinishedAt: r.FinishedAt, OOMKilled: r.OOMKilled, PeakMemory: r.PeakMemory };
  return html`<article aria-labelledby="h-rm"><h1 id="h-rm">${r.Name.replace(/^\//, '')} <span class="badge s-removed">removed</span></h1>
    <dl class="facts"><dt>ID</dt><dd>${shortId(r.Id)}</dd><dt>Image</dt><dd>${r.Image}</dd><dt>Command</dt><dd><code>${[r.Path, ...r.Args].join(' ')}</code></dd>
      <dt>Removed</dt><dd>${ago(r.RemovedAt)} by ${r.RemovedBy}</dd><dt>Restarts</dt><dd>${r.RestartCount}</dd><dt>Log kept</dt><dd>${bytes(r.Log.Bytes)}${r.Log.Truncated ? ' (older lines left out)' : ''}</dd></dl>
    <${DeathRecord} exit=${exit} />
    <section aria-labelledby="h-rmlog"><h2 id="h-rmlog">Log</h2><${LogView} lines=${log ? logLines(log, r.Tty) : []} follow=${false} /></section>
  </article>`;
}
