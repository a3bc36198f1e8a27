/** A mistake the user can fix on the command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A service the command needs is not there (broker, orchestrator): one line, exit code 1. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}
