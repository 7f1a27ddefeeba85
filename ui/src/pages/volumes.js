import { html, useApi, ErrorLine, Link, bytes, ago, nameOf } from '../lib.js';

export function VolumesPage() {
  const { data, error } = useApi('/volumes');
  const { data: df } = useApi('/system/df');
  const { data: containers } = useApi('/containers/json?all=1');
  const sizes = Object.fromEntries(((df && df.Volumes) || []).map((v) => [v.Name, v.UsageData?.Size]));
  const vols = (data && data.Volumes) || [];
  return html`<section aria-labelledby="h-volumes"><h1 id="h-volumes">Volumes <span class="muted">${vols.length}</span></h1>
    <${ErrorLine} error=${error} />
    <div class="table-wrap"><table><thead><tr><th>Name</th><th>Driver</th><th class="num">Size</th><th>Created</th><th>Used by</th><th class="wide">Mountpoint</th></tr></thead><tbody>
    ${vols.map((v) => {
      const users = (containers || []).filter((c) => (c.Mounts || []).some((m) => m.Name === v.Name));
      return html`<tr key=${v.Name}><td class="ellipsis" title=${v.Name}>${v.Name}</td><td>${v.Driver}</td><td class="num">${sizes[v.Name] >= 0 ? bytes(sizes[v.Name]) : '–'}</td><td>${ago(v.CreatedAt)}</td>
        <td>${users.length ? users.map((c, k) => html`${k ? ', ' : ''}<${Link} href=${`/containers/${c.Id}`}>${nameOf(c)}</${Link}>`) : html`<span class="muted">none</span>`}</td><td class="wide ellipsis"><code>${v.Mountpoint}</code></td></tr>`;
    })}</tbody></table></div>${vols.length === 0 ? html`<p class="muted">No volumes.</p>` : ''}</section>`;
}
