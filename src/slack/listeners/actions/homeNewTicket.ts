import type { App } from '@slack/bolt';
import { z } from 'zod';
import { ACTION_HOME_NEW_TICKET } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import { openNewTicketModal } from '../../newTicketFlow.js';

const clickSchema = z.object({ trigger_id: z.string(), user: z.object({ id: z.string() }) });

export function register(app: App, ctx: SlackContext): void {
  app.action(ACTION_HOME_NEW_TICKET, async ({ ack, body }) => {
    await ack();
    const click = clickSchema.parse(body);
    await openNewTicketModal(ctx, {
      triggerId: click.trigger_id,
      userId: click.user.id,
      prefill: {},
      metadata: {},
    });
  });
}
