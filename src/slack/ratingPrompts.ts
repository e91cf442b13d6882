import { isRated, loadTicketView, type TicketView } from '../tickets/queries.js';
import { person } from './blocks/people.js';
import { ratingDone, ratingPrompt } from './blocks/ratingPrompt.js';
import type { SlackContext } from './context.js';
import type { Once } from './publisher.js';
import type { MessageLocation } from './store/cards.js';
import { forgetRatingPrompt, ratingPromptsOf, recordRatingPrompt } from './store/ratingPrompts.js';
import { escapeAndTruncate } from './text.js';

// The requester's rating DM, from closing to answer. Its address is kept (src/slack/store/) while
// it waits; when the ticket leaves `closed` first, the DM is edited in place so it shows no
// buttons that would only be refused. Each step re-reads the ticket and writes the address
// conditionally, so the tasks of a close and a reopen in quick succession (or on two replicas)
// may run in any order. Each step is work in the Slack outbox (src/slack/outbox.ts), carried out
// once Slack answers, and each message is sent or edited once (`once`, src/slack/publisher.ts).

/** After the ticket was closed at `resolution`: DM the requester a prompt, and keep its address. */
export async function sendRatingPrompt(
  ctx: SlackContext,
  ticketId: number,
  resolution: number,
  once: Once,
): Promise<void> {
  const view = await loadTicketView(ctx.services.db, ticketId);
  if (!view) return;
  const { ticket } = view;
  // Reopened (or closed again) since: that later change's own task looks after the DM.
  if (ticket.status !== 'closed' || ticket.resolution !== resolution) return;
  // Prompts still recorded are from earlier closings: their reopen's edit failed or is not done yet.
  const prompts = await ratingPromptsOf(ctx.services.db, ticketId);
  const earlier = prompts.filter((prompt) => prompt.resolution < resolution);
  // An earlier attempt posted and recorded it, then failed (or died) before it was marked done.
  const sent = prompts.some((prompt) => prompt.resolution === resolution);
  // Only prompts that can be answered: the domain refuses self-rating and tickets nobody worked.
  if (!sent && ticket.technicianId && ticket.technicianId !== ticket.requesterId) {
    const t = await requesterMessages(ctx, view);
    const posted = await ctx.publisher.dmOnce(
      ticket.requesterId,
      ratingPrompt(ticket, person(view.technician, ticket.technicianId), t),
      once,
    );
    const recorded = await recordRatingPrompt(ctx.services.db, ticketId, resolution, posted);
    // Reopened while the DM was on its way: the reopen's task found no address to edit.
    if (!recorded) await replaceWithReopened(ctx, view, posted, once);
  }
  for (const prompt of earlier) await replaceWithReopened(ctx, view, prompt, once);
}

/** After the ticket left `closed`: a prompt still waiting says the ticket was reopened, without buttons. */
export async function retireRatingPrompt(ctx: SlackContext, ticketId: number, once: Once): Promise<void> {
  const view = await loadTicketView(ctx.services.db, ticketId);
  if (!view) return;
  const { ticket } = view;
  // Closed again meanwhile: a prompt may be the new one's; that close's task edits the old ones.
  if (ticket.status === 'closed') return;
  for (const prompt of await ratingPromptsOf(ctx.services.db, ticketId)) {
    // Rated just before the reopen: the thank-you stays (the rating listener forgets the address).
    if (await isRated(ctx.services.db, ticket.id, prompt.resolution)) {
      await forgetRatingPrompt(ctx.services.db, ticket.id, prompt);
    } else {
      await replaceWithReopened(ctx, view, prompt, once);
    }
  }
}

async function replaceWithReopened(ctx: SlackContext, view: TicketView, prompt: MessageLocation, once: Once) {
  const { ticket } = view;
  const t = await requesterMessages(ctx, view);
  // One work may edit several prompts: each edit has its own key.
  await ctx.publisher.editOnce(
    prompt,
    ratingDone(t('ratingReopened', { id: ticket.id, title: escapeAndTruncate(ticket.title, 200) })),
    { ...once, key: `${once.key}:${prompt.ts}` },
  );
  await forgetRatingPrompt(ctx.services.db, ticket.id, prompt);
}

async function requesterMessages(ctx: SlackContext, view: TicketView) {
  const requester = view.requester ?? (await ctx.directory.refresh(view.ticket.requesterId));
  return ctx.texts.slack(requester?.locale);
}
