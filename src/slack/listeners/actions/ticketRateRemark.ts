import type { App } from '@slack/bolt';
import { z } from 'zod';
import { ACTION_RATING_REMARK } from '../../blocks/ids.js';
import { ratingRemarkModal } from '../../blocks/ratingPrompt.js';
import type { SlackContext } from '../../context.js';
import { tellWhereClicked } from '../../explain.js';
import { clickedRating, ratingClickSchema } from './ratingClick.js';

const clickSchema = ratingClickSchema.extend({ trigger_id: z.string() });

/**
 * "Add a remark" on the rating thank-you opens the remark modal at once: the click's trigger_id
 * lives 3 s, so nothing is read from the database first, and the rules run on submit. When Slack
 * refuses the trigger (it ran out in a slow moment), the requester is told to click again.
 */
export function register(app: App, ctx: SlackContext): void {
  app.action(ACTION_RATING_REMARK, async ({ ack, body }) => {
    await ack();
    const click = clickSchema.parse(body);
    const { ticketId, resolution, score } = clickedRating(click);
    const t = ctx.texts.slack(ctx.directory.cachedLanguage(click.user.id));
    const target = { ticketId, resolution, score, channel: click.channel.id, ts: click.message.ts };
    try {
      await ctx.client.views.open({ trigger_id: click.trigger_id, view: ratingRemarkModal(target, t) });
    } catch (error) {
      ctx.logger.warn({ err: error, slackUser: click.user.id, ticketId }, 'remark modal not opened');
      await tellWhereClicked(ctx, body, (later) => later('ratingRemarkTooSlow'));
    }
  });
}
