import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'fatal'];

/** Structured JSON logs on stderr (journald and `berthd 2>log` both keep them). */
export function createLogger(level: LogLevel | LevelWithSilent = 'info'): Logger {
  return pino({ level, base: { svc: 'berthd' } }, pino.destination(2));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
