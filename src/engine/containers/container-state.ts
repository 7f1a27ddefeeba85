import { ConflictError, NotModifiedError } from '../../core/errors.js';
import type { ContainerRecord } from './container-types.js';

/**
 * What may happen to a container in which state, in one place (youki's status checks): each
 * operation's guard refuses the states docker refuses it in, with docker's status (409, or 304
 * for nothing to do) and words, which clients match on. `ref` is the name the user gave, where
 * docker's message repeats it. A guard that passes returns nothing; the operation may still find
 * more to refuse of its own (a kill's signal, an exec's command).
 */
export type ContainerOp = 'start' | 'stop' | 'kill' | 'pause' | 'unpause' | 'attach' | 'resize' | 'exec' | 'exec-start' | 'top' | 'stats';

type State = ContainerRecord['State'];
type Rule = (s: State, id: string, ref: string) => Error | undefined;

const notRunning = (s: State, id: string): Error | undefined => (s.Running ? undefined : new ConflictError(`container ${id} is not running`));
const restarting = (s: State, id: string): Error | undefined => (s.Restarting ? new ConflictError(`Container ${id} is restarting, wait until the container is running`) : undefined);

const RULES: Record<ContainerOp, Rule[]> = {
  start: [
    (s) => (s.Running && !s.Restarting && s.Paused ? new ConflictError('cannot start a paused container, try unpause instead') : undefined),
    (s) => (s.Running && !s.Restarting ? new NotModifiedError('container already started') : undefined),
    (s, id) => (s.Status === 'removing' || s.Dead ? new ConflictError(`container ${id} is marked for removal and cannot be started`) : undefined),
  ],
  stop: [(s) => (s.Running ? undefined : new NotModifiedError('container already stopped'))],
  kill: [(s, id) => (s.Running ? undefined : new ConflictError(`cannot kill container: ${id}: container ${id} is not running`))],
  pause: [notRunning, restarting, (s, id) => (s.Paused ? new ConflictError(`container ${id} is already paused`) : undefined)],
  unpause: [notRunning, restarting, (s, id) => (s.Paused ? undefined : new ConflictError(`container ${id} is not paused`))],
  attach: [
    (s, _id, ref) => (s.Paused ? new ConflictError(`container ${ref} is paused, unpause the container before attach`) : undefined),
    (s, _id, ref) => (s.Restarting ? new ConflictError(`container ${ref} is restarting, wait until the container is running`) : undefined),
  ],
  resize: [(s, id) => (s.Running ? undefined : new ConflictError(`cannot resize container ${id}: container is not running`))],
  exec: [notRunning, restarting, (s, id) => (s.Paused ? new ConflictError(`container ${id} is paused, unpause the container before exec`) : undefined)],
  'exec-start': [notRunning],
  top: [notRunning],
  stats: [notRunning],
};

/** Throws docker's error when `op` may not happen to `r` in its state. */
export function assertCan(r: Pick<ContainerRecord, 'Id' | 'State'>, op: ContainerOp, ref: string = r.Id): void {
  for (const rule of RULES[op]) {
    const err = rule(r.State, r.Id, ref);
    if (err) throw err;
  }
}
