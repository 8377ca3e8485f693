/**
 * A mistake in what the user gave us (a bad flag, setting, file or job id).
 * It is printed as one line, without a stack, and the process exits with
 * `exitCode`. Anything else that is thrown is a bug and keeps its stack.
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "UserError";
    this.exitCode = exitCode;
  }
}

/** A command-line usage mistake: unknown command or flag (exit 2). */
export class UsageError extends UserError {
  /**
   * The command it was made in and that command's synopsis, filled in by
   * the CLI so the error is followed by the command's usage rather than
   * the whole program's.
   */
  command?: { name: string; synopsis: string };
  /** Print the message alone: it already says what to do (a typo). */
  oneLine = false;
  constructor(message: string) {
    super(message, 2);
    this.name = "UsageError";
  }
}
