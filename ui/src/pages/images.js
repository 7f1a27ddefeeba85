import { useEffect, useState } from 'preact/hooks';
import { html, api, useApi, ErrorLine, Link, bytes, ago, shortId, nameOf } from '../lib.js';

export function ImagesPage() {
  const { data: images, error } = useApi('/images/json');
  const { data: containers } = useApi('/containers/json?all=1');
  const [layers, setLayers] = useState({});
  useEffect(() => {
    if (!images) return;
    for (const img of images) api(`/images/${img.Id}/json`).then((i) => setLayers((l) => ({ ...l, [img.Id]: i.RootFS?.Layers?.length ?? 0 })), () => undefined);
  }, [images]);
  const [q, setQ] = useState('');
  const shown = (images || []).filter((i) => !q || [...(i.RepoTags || []), i.Id].some((t) => t.toLowerCase().includes(q.toLowerCase())));
  return html`<section aria-labelledby="h-images"><h1 id="h-images">Images <span class="muted">${images ? `${images.length}, ${bytes(images.reduce((n, i) => n + i.Size, 0))}` : ''}</span></h1>
    <div class="toolbar" role="search"><label>Search <input type="search" value=${q} onInput=${(e) => setQ(e.target.value)} /></label></div>
    <${ErrorLine} error=${error} />
    <div class="table-wrap"><table><thead><tr><th>Tags</th><th>ID</th><th class="num">Size</th><th class="num">Layers</th><th>Created</th><th>Used by</th><th>Pinned</th></tr></thead><tbody>
    ${shown.map((i) => {
      const users = (containers || []).filter((c) => c.ImageID === i.Id);
      const pinned = (i.Labels || {})['berth.pin'] === 'true';
      return html`<tr key=${i.Id}><td>${(i.RepoTags && i.RepoTags.length ? i.RepoTags : ['<none>']).join(', ')}</td><td><code>${shortId(i.Id)}</code></td>
        <td class="num">${bytes(i.Size)}</td><td class="num">${layers[i.Id] ?? '…'}</td><td>${ago(i.Created)}</td>
        <td>${users.length ? users.map((c, k) => html`${k ? ', ' : ''}<${Link} href=${`/containers/${c.Id}`}>${nameOf(c)}</${Link}>`) : html`<span class="muted">none</span>`}</td>
        <td>${pinned ? html`<span class="badge pin" title="berth.pin=true: the disk budget never removes it">pinned</span>` : ''}</td></tr>`;
    })}</tbody></table></div></section>`;
}
