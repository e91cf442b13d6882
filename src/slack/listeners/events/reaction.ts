import type { App } from '@slack/bolt';
import type { SlackContext } from '../../context.js';
import { applyReaction, applyRecordedReaction, INTAKE_KIND } from '../../reactionIntake.js';

/**
 * `reaction_added`: the intake emoji on a person's message opens a ticket from it
 * (src/slack/reactionIntake.ts). Recorded in the inbox before Bolt acknowledged it; applied from
 * there, here or by any replica's catch-up.
 */
export function register(app: App, ctx: SlackContext): void {
  ctx.inbox.on(INTAKE_KIND, (payload) => applyReaction(ctx, payload));
  app.event('reaction_added', async ({ body }) => {
    applyRecordedReaction(ctx, body);
  });
}
