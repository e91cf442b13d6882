import { setTimeout as sleep } from 'node:timers/promises';
import { AlreadySubmitted, type TicketChange, ValidationFailed } from '../tickets/index.js';
import { ticketIdBySubmissionKey } from '../tickets/statements.js';
import type { SlackContext } from './context.js';
import { deliverAfterUnknownCommit, deliverNewTicket } from './newTicketDelivery.js';
import { escapeAndTruncate } from './text.js';

// A modal submission whose COMMIT was under way when Slack's three seconds ran out (the database
// failing over, the writing node killed mid-COMMIT): ticketbot cannot tell the person "stored"
// nor "not stored", and either answer could be wrong. So it takes the submission on: the modal
// says it is being made sure of, and from here ticketbot sees to it that the ticket is stored
// once (the COMMIT's own outcome, else its submission key looked up, else the same submission
// stored again under the same key, which the unique index keeps single), then delivers its card
// and the requester's DM as for any ticket. Only if the database stays away for all of
// SETTLE_FOR_MS is the person sent their text back by DM, saying it was not stored.

/** How long ticketbot keeps trying to store an unsure submission before giving it back. */
export const SETTLE_FOR_MS = 10 * 60_000;

export interface UnsureSubmission {
  userId: string;
  key: string;
  title: string;
  description: string;
  /** What the submission's own attempt came to (resolves or rejects after the answer). */
  attempt: Promise<TicketChange>;
  /** Stores the same submission again (same key, no deadline): for when the first was not stored. */
  again: () => Promise<TicketChange>;
  /** Holds the card lease for a change this process stored, as the modal listener does. */
  hold: (change: TicketChange) => void;
}

export async function settleUnsureSubmission(
  ctx: SlackContext,
  unsure: UnsureSubmission,
  settleForMs: number = SETTLE_FOR_MS,
): Promise<'stored' | 'given back'> {
  const deliver = async (change: TicketChange) => {
    unsure.hold(change);
    await deliverNewTicket(ctx, change);
  };
  try {
    await deliver(await unsure.attempt);
    return 'stored';
  } catch (error) {
    if (error instanceof AlreadySubmitted) {
      await deliverAfterUnknownCommit(ctx, error.ticketId);
      return 'stored';
    }
    ctx.logger.warn(
      { err: error, slackUser: unsure.userId },
      'a submission answered "being made sure of" was not stored by its own attempt: looking it up by its key',
    );
  }
  const until = Date.now() + settleForMs;
  for (let round = 1; ; round++) {
    try {
      const stored = await ticketIdBySubmissionKey(ctx.services.db, unsure.key);
      if (stored !== undefined) {
        // Stored after all (its COMMIT landed though its answer was lost): its card record was
        // stored with it.
        await deliverAfterUnknownCommit(ctx, stored);
        return 'stored';
      }
      await deliver(await unsure.again());
      return 'stored';
    } catch (error) {
      if (error instanceof AlreadySubmitted) {
        await deliverAfterUnknownCommit(ctx, error.ticketId).catch((failure: unknown) =>
          // Its card record is stored: the catch-up posts it.
          ctx.logger.warn({ err: failure, ticketId: error.ticketId }, 'card left to the catch-up'),
        );
        return 'stored';
      }
      if (error instanceof ValidationFailed) {
        // Nothing the person sent changed; what was valid a moment ago (the technician picked,
        // the type) is not any more. Given back with the reason below.
        ctx.logger.warn({ err: error, slackUser: unsure.userId }, 'an unsure submission is no longer valid');
        break;
      }
      if (Date.now() > until) {
        ctx.logger.error(
          { err: error, slackUser: unsure.userId },
          'an unsure submission could not be stored',
        );
        break;
      }
      await sleep(Math.min(30_000, 500 * 2 ** Math.min(round, 6)));
    }
  }
  const t = ctx.texts.slack(await ctx.directory.languageNow(unsure.userId).catch(() => undefined));
  const text = t('submissionGivenBack', {
    title: escapeAndTruncate(unsure.title, 200),
    description: escapeAndTruncate(unsure.description, 2_500),
  });
  await ctx.publisher.dm(unsure.userId, { text });
  return 'given back';
}
