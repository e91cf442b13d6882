import { z } from 'zod';
import { PRIORITIES, type Priority } from '../../db/models/ticket.js';
// The web's one door into the ticket rules (docs/architecture.md, test/architecture.test.ts):
// this file, and this function only. The page reads everything else itself.
import { changePriority } from '../../tickets/changePriority.js';
import type { Access } from '../access.js';

/**
 * What the ticket rules need besides who acts: the composition root's ticket services (the
 * database, the hooks every part registered, the service-level policy), handed to the web app.
 */
export type TicketRules = Omit<Parameters<typeof changePriority>[0], 'actorId'>;

/** The ticket page's priority form: one of the four priorities, and the version the page showed. */
export const priorityFormSchema = z.object({
  priority: z.enum(PRIORITIES),
  version: z.coerce.number().int().positive().max(2_147_483_647),
});

/**
 * Who may change a ticket from the page: a technician or admin signed in with Slack as
 * themselves. The rules act as a person (their Slack user id), so the shared identities (the
 * Basic password, a browser on this machine), who are nobody in particular, cannot.
 */
export function changesTickets(access: Access): access is Access & { person: { userId: string } } {
  return access.via === 'slack' && access.person !== undefined && access.role !== 'requester';
}

/** How the rules refused: the stable `code` and `reason` every refusal of theirs carries (src/tickets/errors.ts). */
export interface Refusal {
  code: 'not_allowed' | 'not_found' | 'invalid_transition' | 'conflict' | 'validation_failed';
  reason: string;
}

const REFUSAL_CODES: ReadonlySet<string> = new Set<Refusal['code']>([
  'not_allowed',
  'not_found',
  'invalid_transition',
  'conflict',
  'validation_failed',
]);

/**
 * A refusal of the rules, told by its shape rather than its class: the door is `changePriority`
 * alone, not the rules' error classes. Anything else (the database is down) is no refusal.
 */
export function refusalOf(error: unknown): Refusal | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, reason } = error as Error & { code?: unknown; reason?: unknown };
  if (typeof code !== 'string' || !REFUSAL_CODES.has(code) || typeof reason !== 'string') return undefined;
  return { code: code as Refusal['code'], reason };
}

/** The HTTP status a refusal is answered with. */
export function refusalStatus(refusal: Refusal): number {
  switch (refusal.code) {
    case 'validation_failed':
      return 400;
    case 'not_allowed':
      return 403;
    case 'not_found':
      return 404;
    default:
      // The ticket moved on (closed, changed meanwhile, already at that priority).
      return 409;
  }
}

/** Changes the priority as the signed-in person; the card follows through the hooks or its catch-up. */
export function changePriorityAs(
  rules: TicketRules,
  actorId: string,
  change: { ticketId: number; priority: Priority; expectedVersion: number },
): Promise<unknown> {
  return changePriority({ ...rules, actorId }, change);
}
