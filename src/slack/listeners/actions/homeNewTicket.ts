import type { App } from '@slack/bolt';
import { z } from 'zod';
import { ACTION_HOME_NEW_TICKET } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import { cardChannelFor, explainNoHelpdeskChannel, openNewTicketModal } from '../../newTicketFlow.js';

const clickSchema = z.object({ trigger_id: z.string(), user: z.object({ id: z.string() }) });

/** New ticket from the App Home: it has no channel, so its card needs the helpdesk channel. */
export function register(app: App, ctx: SlackContext): void {
  app.action(ACTION_HOME_NEW_TICKET, async ({ ack, body }) => {
    await ack();
    const click = clickSchema.parse(body);
    const args = { triggerId: click.trigger_id, userId: click.user.id };
    if (!cardChannelFor(ctx, undefined)) {
      await explainNoHelpdeskChannel(ctx, args);
      return;
    }
    await openNewTicketModal(ctx, { ...args, prefill: {}, metadata: {} });
  });
}
