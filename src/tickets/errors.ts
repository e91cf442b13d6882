import type { Ticket } from '../db/models/ticket.js';

// The few ways a ticket action is refused. Each carries a stable `code` and a `reason` the
// Slack layer translates into the user's language and the web layer maps to a status code.

export type DomainErrorCode =
  | 'not_allowed'
  | 'not_found'
  | 'invalid_transition'
  | 'conflict'
  | 'validation_failed';

export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
  constructor(
    message: string,
    /** A catalog key for the user-facing explanation, e.g. `not_technician`. */
    readonly reason: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotAllowed extends DomainError {
  readonly code = 'not_allowed';
}

export class NotFound extends DomainError {
  readonly code = 'not_found';
}

export class InvalidTransition extends DomainError {
  readonly code = 'invalid_transition';
  constructor(
    message: string,
    reason: string,
    readonly ticket: Ticket,
  ) {
    super(message, reason);
  }
}

/** Someone else changed the ticket since the caller last saw it; `ticket` is its state now. */
export class Conflict extends DomainError {
  readonly code = 'conflict';
  constructor(
    message: string,
    readonly ticket: Ticket,
  ) {
    super(message, 'ticket_changed');
  }
}

export class ValidationFailed extends DomainError {
  readonly code = 'validation_failed';
  constructor(
    /** Field name → what is wrong with it. */
    readonly fields: Record<string, string>,
    /** Every problem with its full path (a field of a list: `['fields', 2, 'label']`), when known. */
    readonly issues: Array<{ path: Array<string | number>; message: string }> = [],
  ) {
    super(
      `Invalid input: ${Object.entries(fields)
        .map(([field, problem]) => `${field}: ${problem}`)
        .join('; ')}`,
      'invalid_input',
    );
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
