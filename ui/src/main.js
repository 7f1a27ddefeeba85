// The Berth dashboard: a single-page app served by berthd (--ui), bundled by scripts/bundle.mjs.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html, Link } from './lib.js';
import { ContainersPage } from './pages/containers.js';
import { ContainerPage } from './pages/container.js';
import { ImagesPage } from './pages/images.js';
import { VolumesPage } from './pages/volumes.js';
import { NetworksPage } from './pages/networks.js';
import { EventsPage } from './pages/events.js';
import { RemovedOnePage, RemovedPage } from './pages/removed.js';
import { SystemPage } from './pages/system.js';

const NAV = [
  ['/', 'Containers'],
  ['/images', 'Images'],
  ['/volumes', 'Volumes'],
  ['/networks', 'Networks'],
  ['/events', 'Events'],
  ['/removed', 'Removed'],
  ['/system', 'System'],
];

function page(path) {
  let m;
  if ((m = /^\/containers\/([^/]+)$/.exec(path))) return html`<${ContainerPage} key=${m[1]} id=${decodeURIComponent(m[1])} />`;
  if ((m = /^\/removed\/([^/]+)$/.exec(path))) return html`<${RemovedOnePage} key=${m[1]} id=${decodeURIComponent(m[1])} />`;
  switch (path) {
    case '/': return html`<${ContainersPage} />`;
    case '/images': return html`<${ImagesPage} />`;
    case '/volumes': return html`<${VolumesPage} />`;
    case '/networks': return html`<${NetworksPage} />`;
    case '/events': return html`<${EventsPage} />`;
    case '/removed': return html`<${RemovedPage} />`;
    case '/system': return html`<${SystemPage} />`;
    default: return html`<p>No such page. <${Link} href="/">Containers</${Link}></p>`;
  }
}

function section(path) {
  if (path.startsWith('/containers/')) return '/';
  if (path.startsWith('/removed/')) return '/removed';
  return path;
}

function App() {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const on = () => {
      setPath(location.pathname);
      // Focus moves to the new page's content, as a page load would put it.
      requestAnimationFrame(() => document.getElementById('main')?.focus());
    };
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  useEffect(() => {
    const label = NAV.find(([p]) => p === section(path));
    document.title = `${label ? label[1] : 'Berth'} · Berth`;
  }, [path]);
  return html`<header class="top">
      <span class="brand" aria-hidden="true">⚓ Berth</span>
      <nav aria-label="Sections"><ul>${NAV.map(([href, label]) => html`<li><${Link} href=${href} aria-current=${section(path) === href ? 'page' : undefined}>${label}</${Link}></li>`)}</ul></nav>
    </header>
    <main id="main" tabindex="-1">${page(path)}</main>`;
}

render(html`<${App} />`, document.getElementById('app'));
