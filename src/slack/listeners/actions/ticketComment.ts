import type { App } from '@slack/bolt';
import { z } from 'zod';
import { commentModal } from '../../blocks/commentModal.js';
import { ACTION_COMMENT, parseTicketActionsBlockId } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';

const clickSchema = z.object({
  trigger_id: z.string(),
  user: z.object({ id: z.string() }),
  actions: z.array(z.object({ block_id: z.string() })).min(1),
});

/** "Add comment" opens the comment modal at once (trigger_id lives 3 s); the rules run on submit. */
export function register(app: App, ctx: SlackContext): void {
  app.action(ACTION_COMMENT, async ({ ack, body }) => {
    await ack();
    const click = clickSchema.parse(body);
    const target = parseTicketActionsBlockId(click.actions[0]!.block_id);
    if (!target) return;
    const t = ctx.texts.slack(ctx.directory.cachedLanguage(click.user.id));
    await ctx.client.views.open({ trigger_id: click.trigger_id, view: commentModal(target.ticketId, t) });
  });
}
