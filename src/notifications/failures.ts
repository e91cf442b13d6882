import type { NodemailerError } from 'nodemailer';

export interface RetryPolicy {
  /** First retry after about this long; doubles each attempt. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Claims (send attempts) after which a temporary failure becomes `dead`. */
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseDelayMs: 30_000, maxDelayMs: 60 * 60_000, maxAttempts: 8 };

/** A template could not render this row's data: retrying would fail the same way. */
export class RenderFailed extends Error {
  constructor(cause: unknown) {
    super(`could not render the email: ${(cause as Error).message}`);
    this.name = 'RenderFailed';
  }
}

/**
 * The address of a Slack user could not be looked up (Slack unreachable, rate limited, a refused
 * token): temporary, like an SMTP 4xx. The row keeps its attempts and backoff.
 */
export class AddressUnavailable extends Error {
  constructor(reason: string) {
    super(`could not look the address up in Slack: ${reason}`);
    this.name = 'AddressUnavailable';
  }
}

export interface FailureVerdict {
  permanent: boolean;
  smtpCode: number | null;
  reason: string;
}

/**
 * A reply code says what the server thinks of the message: 5xx is final (except 503, a session
 * in the wrong state, which a fresh connection fixes), 4xx is "try later". Without a code the
 * connection failed (refused, dropped, timed out, TLS, authentication): nothing is wrong with
 * the message, so it waits for the server or the configuration to come back.
 */
export function judgeFailure(error: unknown): FailureVerdict {
  if (error instanceof RenderFailed) return { permanent: true, smtpCode: null, reason: error.message };
  if (error instanceof AddressUnavailable) return { permanent: false, smtpCode: null, reason: error.message };
  const failure = error as NodemailerError;
  const smtpCode = typeof failure.responseCode === 'number' ? failure.responseCode : null;
  const reason =
    [failure.code, failure.response ?? failure.message].filter(Boolean).join(': ') || String(error);
  if (smtpCode === null || failure.code === 'EAUTH') return { permanent: false, smtpCode, reason };
  const permanent = failure.permanent ?? (smtpCode >= 500 && smtpCode < 600 && smtpCode !== 503);
  return { permanent, smtpCode, reason };
}

/**
 * nodemailer's codes for a server that could not be reached or spoken to at all (refused, reset,
 * timed out, no DNS answer): the server is down, not the message. EAUTH (a configuration problem)
 * and reply codes keep the per-row attempts.
 */
const UNREACHABLE_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ECONNREFUSED',
  'ECONNRESET',
]);

/**
 * The SMTP server is unreachable: the email waits for it (its attempt is given back) instead of
 * running out of tries during an outage.
 */
export function serverUnreachable(error: unknown): boolean {
  if (error instanceof RenderFailed || error instanceof AddressUnavailable) return false;
  const failure = error as NodemailerError | undefined;
  if (!failure || typeof failure.responseCode === 'number') return false;
  // Only failures while connecting (nodemailer's command CONN: refused, connect or greeting
  // timeout): a connection dropped later, mid-DATA, may have delivered the message and keeps
  // counting attempts, so a server that always drops cannot make it resent forever.
  const { command, syscall } = failure as { command?: unknown; syscall?: unknown };
  if (command !== 'CONN' || typeof failure.code !== 'string' || !UNREACHABLE_CODES.has(failure.code))
    return false;
  // A refused or unroutable connect (syscall connect), no DNS answer, or a connect/greeting timeout.
  return syscall === 'connect' || failure.code === 'EDNS' || failure.code === 'ETIMEDOUT';
}

/** Exponential backoff with jitter (50–100 % of the step), so retries from many rows spread out. */
export function retryDelayMs(attempts: number, policy: RetryPolicy, random = Math.random): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(step * (0.5 + random() * 0.5));
}
