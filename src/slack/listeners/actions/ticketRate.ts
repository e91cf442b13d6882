import type { App } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import { asActor, InvalidTransition, rateTicket } from '../../../tickets/index.js';
import { ratingOf } from '../../../tickets/queries.js';
import { ACTION_RATE } from '../../blocks/ids.js';
import { ratingDone, ratingThanks } from '../../blocks/ratingPrompt.js';
import type { SlackContext } from '../../context.js';
import { explainRefusal } from '../../explain.js';
import { forgetRatingPrompt } from '../../store/ratingPrompts.js';
import { clickedRating, ratingClickSchema } from './ratingClick.js';

/** A score button in the rating DM: stored at once, once per resolution; the prompt becomes a thank-you. */
export function register(app: App, ctx: SlackContext): void {
  app.action(ACTION_RATE, async ({ ack, body }) => {
    await ack();
    const click = ratingClickSchema.parse(body);
    const { ticketId, resolution, score } = clickedRating(click);
    const prompt = { channel: click.channel.id, ts: click.message.ts };
    const replace = async (message: { text: string; blocks: KnownBlock[] }) => {
      await ctx.client.chat.update({ ...prompt, ...message });
      // Answered or void: a later reopen has no prompt to edit.
      await forgetRatingPrompt(ctx.services.db, ticketId, prompt);
    };
    const user = await ctx.directory.refresh(click.user.id);
    const t = ctx.texts.slack(user?.locale);
    try {
      const change = await rateTicket(asActor(ctx.services, click.user.id), { ticketId, score, resolution });
      await replace(ratingThanks(change.rating!, t));
    } catch (error) {
      if (error instanceof InvalidTransition && error.reason === 'already_rated') {
        // A second click (a double click, or the prompt seen before it turned into a thank-you):
        // the thank-you for the score that counts, not a message that the prompt is void.
        const rating = await ratingOf(ctx.services.db, ticketId, resolution);
        await replace(rating ? ratingThanks(rating, t) : ratingDone(t('ratingExpired')));
        return;
      }
      const stale =
        error instanceof InvalidTransition && ['rating_expired', 'rate_not_closed'].includes(error.reason);
      if (stale) await replace(ratingDone(t('ratingExpired')));
      else await explainRefusal(ctx, body, error);
    }
  });
}
