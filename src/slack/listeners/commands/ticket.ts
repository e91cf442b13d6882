import type { App } from '@slack/bolt';
import { z } from 'zod';
import { openTicketsOf } from '../../../tickets/queries.js';
import { COMMAND_TICKET } from '../../blocks/ids.js';
import { ticketLine } from '../../blocks/ticketCard.js';
import type { SlackContext } from '../../context.js';
import { messages } from '../../messages.js';
import { openNewTicketModal, readableSlackText } from '../../newTicketFlow.js';

const commandSchema = z.object({
  user_id: z.string(),
  channel_id: z.string(),
  trigger_id: z.string(),
  text: z.string().default(''),
});

const MINE_SHOWN = 20;

/** `/ticket [title]` opens the modal; `/ticket help` and `/ticket mine` answer only the caller. */
export function register(app: App, ctx: SlackContext): void {
  app.command(COMMAND_TICKET, async ({ ack, command }) => {
    const {
      user_id: userId,
      channel_id: channelId,
      trigger_id: triggerId,
      text,
    } = commandSchema.parse(command);
    const word = text.trim().toLowerCase();
    if (word === 'help' || word === 'aide') {
      const t = messages(await ctx.directory.language(userId));
      await ack({ response_type: 'ephemeral', text: t.helpText });
      return;
    }
    if (word === 'mine' || word === 'mes') {
      const t = messages(await ctx.directory.language(userId));
      const { tickets } = await openTicketsOf(ctx.services.db, userId, MINE_SHOWN);
      const list = tickets.map((ticket) => `• ${ticketLine(ticket, t)}`).join('\n');
      await ack({
        response_type: 'ephemeral',
        text: tickets.length === 0 ? t.mineNone : `${t.mineHeader}\n${list}`,
      });
      return;
    }
    await ack();
    await openNewTicketModal(ctx, {
      triggerId,
      userId,
      // Slack escapes &, <, > in the command's text and wraps links it recognises in <…>.
      prefill: { title: readableSlackText(text).trim() },
      metadata: { channelId },
    });
  });
}
