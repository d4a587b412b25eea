// The CLI's exit codes and the two errors that carry them. Anything else that escapes a
// command (an AWS or network error) exits with `failed`.

export const exitCodes = {
  /** Promoted (SUCCEEDED), or the command did what it was asked. */
  ok: 0,
  /** Rolled back: FAILED with CanaryRolledBack, or aborted with the route back at its snapshot. */
  rolledBack: 1,
  /** Bad arguments or a bad input file: nothing was started or changed. */
  usage: 2,
  /**
   * Anything else: RollbackFailed, a drift halt, a deployment the machine refused before any change
   * (InvalidInput, DeploymentInProgress, ..., BaselineUnhealthy, HealthCheckMisconfigured at the
   * baseline), ABORTED without restore, TIMED_OUT, AWS or network errors, a refusal.
   */
  failed: 3,
  /** Ctrl-C while watching: the deployment goes on. */
  interrupted: 130,
} as const;

/** Bad command line or input file. Exit 2; the message says what to fix. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode = exitCodes.usage;
}

/** A command that ran but could not do what was asked (refused, not found, restore failed). */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
  readonly exitCode: number;
  constructor(message: string, exitCode: number = exitCodes.failed) {
    super(message);
    this.exitCode = exitCode;
  }
}
