import { html, useApi, ErrorLine, Link, ago, nameOf, shortId } from '../lib.js';

export function NetworksPage() {
  const { data, error } = useApi('/networks');
  const { data: containers } = useApi('/containers/json?all=1');
  return html`<section aria-labelledby="h-networks"><h1 id="h-networks">Networks <span class="muted">${data ? data.length : ''}</span></h1>
    <${ErrorLine} error=${error} />
    <div class="table-wrap"><table><thead><tr><th>Name</th><th>ID</th><th>Driver</th><th>Subnets</th><th>Flags</th><th>Containers</th><th>Created</th></tr></thead><tbody>
    ${(data || []).map((n) => html`<tr key=${n.Id}><td>${n.Name}</td><td><code>${shortId(n.Id)}</code></td><td>${n.Driver}</td>
      <td>${((n.IPAM && n.IPAM.Config) || []).map((c) => c.Subnet).filter(Boolean).join(', ') || '–'}</td>
      <td>${[n.Internal && 'internal', n.EnableIPv6 && 'IPv6', n.Attachable && 'attachable'].filter(Boolean).join(', ')}</td>
      <td>${(containers || []).filter((c) => Object.values(c.NetworkSettings?.Networks || {}).some((e) => e.NetworkID === n.Id)).map((c, k) => html`${k ? ', ' : ''}<${Link} href=${`/containers/${c.Id}`}>${nameOf(c)}</${Link}>`)}</td>
      <td>${ago(n.Created)}</td></tr>`)}
    </tbody></table></div></section>`;
}
