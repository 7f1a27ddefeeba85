/**
 * Structured JSON logs on stderr, one object a line (journald and `berthd 2>log` both keep
 * them), in pino's shape: `{"level":30,"time":<ms>,"svc":"berthd",…fields,"msg":"…"}`.
 *
 * Written here rather than taken from pino: berthd uses five levels and one destination, and
 * pino with its dependencies (worker threads for transports, redaction, its own serializers)
 * was 18 % of the daemon's code and about 2 MiB of its idle memory (bench/container-run).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export type LevelName = 'trace' | LogLevel | 'silent';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'fatal'];

const LEVEL_VALUES: Record<LevelName, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

type LogFn = (objOrMsg: object | string, msg?: string) => void;

export interface Logger {
  /** The lowest level written; setting it to a name that is not a level throws. */
  level: string;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
}

function levelValue(name: string): number {
  const value = (LEVEL_VALUES as Record<string, number | undefined>)[name];
  if (value === undefined) throw new Error(`unknown log level "${name}": use one of ${LOG_LEVELS.join(', ')}`);
  return value;
}

/** What pino's err serializer keeps of an error: its class, message, stack, own fields and cause. */
function errorFields(err: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { type: err.constructor.name, message: err.message, stack: err.stack };
  for (const [k, v] of Object.entries(err)) if (!(k in out)) out[k] = v;
  if (err.cause !== undefined) out.cause = err.cause;
  return out;
}

function plainReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return errorFields(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** A log call must never throw: a cycle in its fields becomes "[Circular]". */
function stringify(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record, plainReplacer);
  } catch {
    const seen = new WeakSet<object>();
    return JSON.stringify(record, (key, value: unknown) => {
      const v = plainReplacer(key, value);
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
      }
      return v;
    });
  }
}

class JsonLogger implements Logger {
  private threshold: number;
  private name: string;

  constructor(
    level: string,
    private readonly svc: string | undefined,
    private readonly write: (line: string) => void,
  ) {
    this.threshold = levelValue(level);
    this.name = level;
  }

  get level(): string {
    return this.name;
  }

  set level(name: string) {
    this.threshold = levelValue(name);
    this.name = name;
  }

  readonly debug: LogFn = (o, m) => this.log(20, o, m);
  readonly info: LogFn = (o, m) => this.log(30, o, m);
  readonly warn: LogFn = (o, m) => this.log(40, o, m);
  readonly error: LogFn = (o, m) => this.log(50, o, m);
  readonly fatal: LogFn = (o, m) => this.log(60, o, m);

  private log(level: number, objOrMsg: object | string, msg: string | undefined): void {
    if (level < this.threshold) return;
    const record: Record<string, unknown> = { level, time: Date.now() };
    if (this.svc) record.svc = this.svc;
    if (typeof objOrMsg === 'string') record.msg = objOrMsg;
    else {
      // A bare error is logged as pino does it: under "err", with its message as the message.
      if (objOrMsg instanceof Error) record.err = objOrMsg;
      else Object.assign(record, objOrMsg);
      const text = msg ?? (objOrMsg instanceof Error ? objOrMsg.message : undefined);
      if (text !== undefined) record.msg = text;
    }
    this.write(`${stringify(record)}\n`);
  }
}

/**
 * Writes to stderr synchronously (as pino.destination(2) did): a line logged just before a crash
 * is not lost. On Linux, process.stderr writes to files, pipes and terminals synchronously.
 */
export function createLogger(level: string = 'info', svc = 'berthd'): Logger {
  // A daemon whose log reader went away (EPIPE) keeps running; its lines are lost, as they must be.
  if (process.stderr.listenerCount('error') === 0) process.stderr.on('error', () => undefined);
  return new JsonLogger(level, svc, (line) => process.stderr.write(line));
}

/** Writes each line to `write`: for tests that look at what was logged. */
export function loggerTo(write: (line: string) => void, level: string = 'info', svc?: string): Logger {
  return new JsonLogger(level, svc, write);
}

export function silentLogger(): Logger {
  return new JsonLogger('silent', undefined, () => undefined);
}
