import type { App } from '@slack/bolt';
import { z } from 'zod';
import { unclosedTicketsRequestedBy } from '../../../tickets/queries.js';
import { COMMAND_TICKET } from '../../blocks/ids.js';
import { ticketLine } from '../../blocks/ticketCard.js';
import type { SlackContext } from '../../context.js';
import {
  cardChannelFor,
  ModalNotOpened,
  openNewTicketModal,
  readableSlackText,
} from '../../newTicketFlow.js';

const commandSchema = z.object({
  user_id: z.string(),
  channel_id: z.string(),
  trigger_id: z.string(),
  text: z.string().default(''),
});

const MINE_SHOWN = 20;

/**
 * `/ticket [title]` opens the modal; `/ticket help` and `/ticket mine` answer only the caller,
 * within the acknowledgement: their language is what is known without asking Slack. The English
 * words always work, and each language's own (`aide`, `hilfe`…) too: one of those says that
 * language when nothing is known yet.
 */
export function register(app: App, ctx: SlackContext): void {
  app.command(COMMAND_TICKET, async ({ ack, command, respond }) => {
    const {
      user_id: userId,
      channel_id: channelId,
      trigger_id: triggerId,
      text,
    } = commandSchema.parse(command);
    const word = text.trim().toLowerCase();
    const keyword = commandWord(ctx, word);
    const language = () => ctx.directory.languageNow(userId, keyword?.language);
    if (keyword?.command === 'help') {
      const t = ctx.texts.slack(await language());
      await ack({ response_type: 'ephemeral', text: t('helpText') });
      learnLanguage(ctx, userId);
      return;
    }
    if (keyword?.command === 'mine') {
      const t = ctx.texts.slack(await language());
      const { tickets } = await unclosedTicketsRequestedBy(ctx.services.db, userId, MINE_SHOWN);
      const list = tickets.map((ticket) => `• ${ticketLine(ticket, t)}`).join('\n');
      await ack({
        response_type: 'ephemeral',
        text: tickets.length === 0 ? t('mineNone') : `${t('mineHeader')}\n${list}`,
      });
      learnLanguage(ctx, userId);
      return;
    }
    if (!cardChannelFor(ctx, channelId)) {
      // A DM, with no helpdesk channel set: the card would have nowhere technicians look.
      const t = ctx.texts.slack(await language());
      await ack({ response_type: 'ephemeral', text: t('needHelpdeskChannel') });
      learnLanguage(ctx, userId);
      return;
    }
    await ack();
    try {
      await openNewTicketModal(ctx, {
        triggerId,
        userId,
        // Slack escapes &, <, > in the command's text and wraps links it recognises in <…>.
        prefill: { title: readableSlackText(text).trim() },
        metadata: { channelId },
      });
    } catch (error) {
      if (!(error instanceof ModalNotOpened)) throw error;
      // Never silence: the command's response_url (usable up to 5 times within 30 minutes:
      // https://github.com/slackapi/java-slack-sdk/blob/main/docs/english/guides/interactive-components.md) tells
      // the person to try again; the failure itself is still reported.
      const t = ctx.texts.slack(await language());
      await respond({ response_type: 'ephemeral', text: t('modalNotOpened') });
      throw error;
    }
  });
}

/** `help`, `mine` or a language's word for them (`aide`, `meine`…), with the language it is in. */
function commandWord(
  ctx: SlackContext,
  word: string,
): { command: 'help' | 'mine'; language: string } | undefined {
  for (const language of ctx.texts.languages) {
    const t = ctx.texts.slack(language);
    if (word === t('command.help').toLowerCase()) return { command: 'help', language };
    if (word === t('command.mine').toLowerCase()) return { command: 'mine', language };
  }
  return undefined;
}

/** After answering from what was known: the profile is looked up, so the next answer has its language. */
function learnLanguage(ctx: SlackContext, userId: string): void {
  void ctx.background.run('refresh profile', () => ctx.directory.refresh(userId), { slackUser: userId });
}
