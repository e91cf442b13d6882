import type { App } from '@slack/bolt';
import { z } from 'zod';
import { TITLE_MAX } from '../../../tickets/index.js';
import { SHORTCUT_CREATE_TICKET } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import {
  cardChannelFor,
  explainNoHelpdeskChannel,
  openNewTicketModal,
  readableMessage,
} from '../../newTicketFlow.js';
import { truncate } from '../../text.js';

const shortcutSchema = z.object({
  trigger_id: z.string(),
  user: z.object({ id: z.string() }),
  channel: z.object({ id: z.string() }),
  message_ts: z.string().optional(),
  message: z.object({ ts: z.string(), text: z.string().default('') }),
});

/** "Create ticket" on a message: the modal prefilled from it; the ticket links back to the message. */
export function register(app: App, ctx: SlackContext): void {
  app.shortcut(SHORTCUT_CREATE_TICKET, async ({ ack, body }) => {
    await ack();
    const shortcut = shortcutSchema.parse(body);
    if (!cardChannelFor(ctx, shortcut.channel.id)) {
      // A message in a DM, with no helpdesk channel set: the card would have nowhere to go.
      await explainNoHelpdeskChannel(ctx, { triggerId: shortcut.trigger_id, userId: shortcut.user.id });
      return;
    }
    const text = (await readableMessage(ctx, shortcut.message.text)).trim();
    const firstLine = text.split('\n', 1)[0] ?? '';
    await openNewTicketModal(ctx, {
      triggerId: shortcut.trigger_id,
      userId: shortcut.user.id,
      prefill: { title: truncate(firstLine, TITLE_MAX), description: text },
      metadata: {
        channelId: shortcut.channel.id,
        source: { channelId: shortcut.channel.id, messageTs: shortcut.message_ts ?? shortcut.message.ts },
      },
    });
  });
}
