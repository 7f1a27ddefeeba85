/** docker's events.Message, as `GET /events` sends it (one JSON object per line). */
export type EventType = 'builder' | 'container' | 'image' | 'volume' | 'network' | 'daemon' | 'plugin' | 'node' | 'service' | 'secret' | 'config';

export interface EngineEvent {
  /** Legacy fields, filled for container and image events as moby does. */
  status?: string;
  id?: string;
  from?: string;
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
}

/** What a publisher gives; the service adds the time and the legacy fields. */
export interface EventInput {
  type: EventType;
  action: string;
  id: string;
  attributes?: Record<string, string>;
}

/** The function other services (networks, images, volumes) are handed to publish events. */
export type PublishEvent = (e: EventInput) => void;
