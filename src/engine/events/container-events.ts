import type { PublishEvent } from './event-types.js';

interface ContainerLike {
  Id: string;
  Name: string;
  Config: { Image: string; Labels?: Record<string, string> | null };
}

/** A container event with docker's attributes: the labels, `image` and `name`, plus extras. */
export function publishContainerEvent(publish: PublishEvent | undefined, r: ContainerLike, action: string, extra: Record<string, string> = {}): void {
  publish?.({ type: 'container', action, id: r.Id, attributes: { ...(r.Config.Labels ?? {}), image: r.Config.Image, name: r.Name.replace(/^\//, ''), ...extra } });
}
