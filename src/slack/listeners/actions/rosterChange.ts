import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { User } from '../../../db/models/user.js';
import { asActor, type TicketContext } from '../../../tickets/index.js';
import type { SlackContext } from '../../context.js';
import { explainRefusal } from '../../explain.js';
import { fetchRosterProfiles } from '../../roster.js';

const clickSchema = z.object({
  user: z.object({ id: z.string() }),
  actions: z.array(z.object({ value: z.string().optional(), selected_user: z.string().nullish() })).min(1),
});

/** An admin changes the roster from the App Home; the roster cache and both homes follow. */
export function rosterAction(
  app: App,
  ctx: SlackContext,
  actionId: string,
  pick: (action: z.infer<typeof clickSchema>['actions'][number]) => string | null | undefined,
  change: (actor: TicketContext, userId: string) => Promise<User>,
): void {
  app.action(actionId, async ({ ack, body }) => {
    await ack();
    const click = clickSchema.parse(body);
    const userId = pick(click.actions[0]!);
    if (!userId) return;
    try {
      await change(asActor(ctx.services, click.user.id), userId);
      // Reloads the roster, with the person's name and address fetched from Slack.
      await fetchRosterProfiles(ctx.directory, ctx.roster, [userId], ctx.logger);
      void ctx.publisher.showHome(click.user.id);
      void ctx.publisher.refreshHome(userId);
    } catch (error) {
      await explainRefusal(ctx, body, error);
    }
  });
}
