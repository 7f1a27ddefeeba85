import { join } from 'node:path';
import { isDigest, type Digest } from '../../core/digest.js';
import type { Listeners } from '../../core/listeners.js';
import type { Logger } from '../../core/logger.js';
import { ImageLastUse } from '../../store/metadata/image-last-use.js';
import type { EventService } from '../events/event-service.js';
import type { ImageService } from '../images/image-service.js';
import type { BudgetSpec } from './budget-marks.js';
import { defaultReclaimers, removedRecordsReclaimer, type BuildCacheView, type RemovedRecordsView } from './budget-reclaimers.js';
import { StorageBudget } from './storage-budget.js';

/** Besides the checks after each pull, load, import, build and commit: a modest background check. */
export const BUDGET_INTERVAL_MS = 60_000;

/** Image events after which the store may have grown past the high mark. */
const GROWING = new Set(['pull', 'load', 'import', 'tag']);

export interface BudgetWiring {
  spec: BudgetSpec;
  dataRoot: string;
  images: ImageService;
  /** Each image stored (the image service emits it). */
  imageAdded: Listeners<[Digest]>;
  builds: () => Promise<BuildCacheView>;
  events: EventService;
  /** Records of removed containers: the last kind the budget frees. */
  removed?: RemovedRecordsView;
  /** The image ID a container runs, by container ID. */
  containerImage(id: string): string | undefined;
  log: Logger;
}

/**
 * The disk budget, started: it keeps each image's last use (stored by a pull, load, import, build
 * or commit; a container created or started from it; tagged), checks the marks after each image
 * stored and each such event, and on a timer, and frees what it may (budget-reclaimers.ts).
 */
export async function startStorageBudget(w: BudgetWiring): Promise<StorageBudget> {
  const lastUse = new ImageLastUse(join(w.dataRoot, 'image', 'last-used.json'));
  await lastUse.init();
  const reclaimers = defaultReclaimers({
    images: w.images,
    builds: w.builds,
    lastUse,
    graceMs: w.spec.graceMs,
    cacheMounts: join(w.dataRoot, 'build', 'cache-mounts'),
    containersDir: join(w.dataRoot, 'containers'),
    publish: w.events.publish,
    log: w.log,
  });
  if (w.removed) reclaimers.push(removedRecordsReclaimer(w.removed));
  const budget = new StorageBudget(w.spec, w.dataRoot, reclaimers, w.log);
  await budget.init();
  const touchImage = async (name: string): Promise<void> => {
    const img = await w.images.catalog.tryResolve(name).catch(() => undefined);
    if (img) lastUse.touch(img.id);
  };
  const unsubscribe = w.events.subscribe({}, (e) => {
    const a = e.Actor.Attributes;
    if (e.Type === 'image' && GROWING.has(e.Action)) {
      void touchImage(e.Actor.ID);
      budget.request(e.Action);
    } else if (e.Type === 'container' && (e.Action === 'create' || e.Action === 'start')) {
      const image = w.containerImage(e.Actor.ID);
      if (image && isDigest(image)) lastUse.touch(image as Digest);
    } else if (e.Type === 'container' && e.Action === 'commit') {
      if (a.imageID) void touchImage(a.imageID);
      budget.request('commit');
    }
  });
  // Every image stored (a pull, load, import, build step or commit) is fresh, and the store grew.
  const added = (id: Digest): void => {
    lastUse.touch(id);
    budget.request('image-added');
  };
  const unhook = w.imageAdded.add(added);
  budget.onStop.push(unsubscribe, unhook, () => lastUse.flush());
  budget.start(BUDGET_INTERVAL_MS);
  return budget;
}
