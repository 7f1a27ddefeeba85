// Its own module: the build route tells this failure apart without loading the builder.
/** A RUN step that ended with a non-zero code: docker's message and the code the CLI exits with. */
export class RunFailedError extends Error {
  constructor(
    readonly cmd: string[],
    readonly code: number,
  ) {
    super(`The command '${cmd.join(' ')}' returned a non-zero code: ${code}`);
  }
}
