/**
 * A mistake the user can fix (a bad flag, a missing dataset, a corrupt file, a diverging run).
 * The CLI prints `message` and `fix` without a stack trace and exits non-zero.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export function formatUserError(error: UserError): string {
  return error.fix ? `ticketlab: ${error.message}\n  fix: ${error.fix}` : `ticketlab: ${error.message}`;
}
