/**
 * What the API layer may ask of a client's connection beyond Node's streams: whether the client
 * has read what was sent (drivers/host/socket-queue.ts says why a hijacked stream needs it).
 */
export { peerCaughtUp } from '../../drivers/host/socket-queue.js';
