import type { Route } from './route.js';
import { Router } from './router.js';
import type { Lazy } from '../core/lazy.js';
import { imageRoutes } from './routes/images.js';
import { systemRoutes } from './routes/system.js';
import type { ImageService } from '../engine/images/image-service.js';
import type { ImageArchives } from '../engine/images/image-archives.js';
import type { SystemService } from '../engine/system/system-service.js';

import { volumeRoutes } from './routes/volumes.js';
import { pluginRoutes } from './routes/plugins.js';
import { distributionRoutes } from './routes/distribution.js';
import type { DistributionService } from '../engine/images/distribution/distribution-service.js';
import type { VolumeService } from '../engine/volumes/volume-service.js';
import { containerRoutes } from './routes/containers.js';
import { execRoutes } from './routes/exec.js';
import { containerFileRoutes } from './routes/container-files.js';
import type { ContainerChanges } from '../engine/rootfs/container-changes.js';
import type { ExecService } from '../engine/containers/exec-service.js';
import type { ContainerService } from '../engine/containers/container-service.js';
import type { EventService } from '../engine/events/event-service.js';
import { eventRoutes } from './routes/events.js';
import { networkRoutes } from './routes/networks.js';
import type { NetworkApi } from '../engine/networks/network-api.js';
import { buildRoutes as buildImageRoutes } from './routes/build.js';
import type { BuildService } from '../engine/build/build-service.js';
import type { PluginService } from '../engine/plugins/plugin-service.js';
import { buildkitRoutes } from './routes/buildkit.js';
import type { BuildkitEndpoint } from './buildkit/endpoint.js';
import { berthRoutes } from './routes/berth.js';
import type { RemovedContainers } from '../engine/removed/removed-containers.js';
import type { ProcessOwners } from '../engine/system/process-owners.js';
import type { StorageBudget } from '../engine/system/storage-budget.js';
import { dashboardAccessRoutes, type DashboardAccess } from './dashboard/access-route.js';

export interface ApiServices {
  containers: ContainerService;
  execs: ExecService;
  changes: Lazy<ContainerChanges>;
  system: SystemService;
  images: ImageService;
  archives: Lazy<ImageArchives>;
  volumes: VolumeService;
  events: EventService;
  networks: NetworkApi;
  distribution: Lazy<DistributionService>;
  builds: Lazy<BuildService>;
  plugins: Lazy<PluginService>;
  /** BuildKit's /grpc and /session; undefined when this build lacks the protocol definitions. */
  buildkit: Lazy<BuildkitEndpoint> | undefined;
  processes: ProcessOwners;
  /** The disk budget; undefined when none is configured. */
  budget?: StorageBudget | undefined;
  removed: RemovedContainers;
  /** The dashboard's URL and token for `berth ui`; undefined or answering undefined when it is off. */
  dashboard?: DashboardAccess | undefined;
}

/** Every route of the API, in one list: the server serves it, the coverage generator reads it. */
export function buildRoutes(s: ApiServices): Route[] {
  return [...systemRoutes(s.system, s.buildkit !== undefined), ...imageRoutes(s.images, s.archives, s.distribution), ...distributionRoutes(s.distribution), ...containerRoutes(s.containers), ...execRoutes(s.execs), ...containerFileRoutes(s.changes), ...volumeRoutes(s.volumes), ...eventRoutes(s.events), ...networkRoutes(s.networks), ...buildImageRoutes(s.builds, s.buildkit), ...pluginRoutes(s.plugins), ...buildkitRoutes(s.buildkit), ...berthRoutes(s.processes, s.removed, s.budget, s.images), ...dashboardAccessRoutes(s.dashboard)];
}

/** The route table without services, for tools that only read paths and coverage notes. */
export function allRouteDefinitions(): Route[] {
  return buildRoutes({ system: undefined as never, images: undefined as never, archives: undefined as never, containers: undefined as never, execs: undefined as never, changes: undefined as never, volumes: undefined as never, events: undefined as never, networks: undefined as never, distribution: undefined as never, builds: undefined as never, plugins: undefined as never, buildkit: undefined, processes: undefined as never, removed: undefined as never });
}

/** The router of a route table: every GET also answers HEAD, as docker's does. */
export function routerOf(routes: Route[]): Router<Route> {
  const router = new Router<Route>();
  for (const route of routes) {
    router.add(route.method, route.path, route);
    if (route.method === 'GET') router.add('HEAD', route.path, route);
  }
  return router;
}
