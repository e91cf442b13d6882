import type { App } from '@slack/bolt';
import { z } from 'zod';
import { savePreferences } from '../../../notifications/preferences.js';
import { ACTION_EMAIL_PREFERENCES } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import { tellWhereClicked } from '../../explain.js';

// A checkboxes element's block_actions payload carries every box ticked after the click in
// `selected_options` (https://docs.slack.dev/reference/block-kit/block-elements/checkboxes-element).
const clickSchema = z.object({
  user: z.object({ id: z.string() }),
  actions: z
    .array(z.object({ selected_options: z.array(z.object({ value: z.string() })).default([]) }))
    .min(1),
});

/**
 * Someone ticks or unticks a kind of email in their App Home: the whole set is saved (the kinds
 * offered to them that are not ticked are off) and the home redrawn from what was saved.
 */
export function register(app: App, ctx: SlackContext): void {
  app.action(ACTION_EMAIL_PREFERENCES, async ({ ack, body }) => {
    await ack();
    const click = clickSchema.parse(body);
    const userId = click.user.id;
    try {
      const viewer = await ctx.services.db.models.User.findByPk(userId);
      const offered = ctx.publisher.emailKindsFor({ email: viewer?.email ?? null });
      const ticked = new Set(click.actions[0]!.selected_options.map((option) => option.value));
      await savePreferences(ctx.services.db, userId, offered, ticked);
    } catch (error) {
      // Not saved (the database away): the boxes on their screen say otherwise, so they are told.
      ctx.logger.error(
        { err: error, slackUser: userId },
        'email choices not saved: the database did not take them',
      );
      await tellWhereClicked(ctx, body, (t) => t('refused.emailPreferences'));
      return;
    }
    void ctx.publisher.showHome(userId);
  });
}
