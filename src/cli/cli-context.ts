import { EngineClient, resolveSocketPath } from '../client/engine-client.js';

/** What every command gets: a lazily-made client and the output streams. */
export class CliContext {
  private clientInstance: EngineClient | undefined;

  constructor(
    private readonly host: () => string | undefined,
    readonly stdout: NodeJS.WritableStream = process.stdout,
    readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  get client(): EngineClient {
    this.clientInstance ??= new EngineClient(resolveSocketPath(this.host()), process.env.DOCKER_API_VERSION);
    return this.clientInstance;
  }

  out(text: string): void {
    this.stdout.write(text.endsWith('\n') || text === '' ? text : text + '\n');
  }

  err(text: string): void {
    this.stderr.write(text.endsWith('\n') ? text : text + '\n');
  }
}

/** Ends the CLI with a status code after the message was printed (docker's StatusError). */
export class CliExit extends Error {
  constructor(readonly code: number, message = '') {
    super(message);
    this.name = 'CliExit';
  }
}
