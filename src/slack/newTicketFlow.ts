import { languageOf } from '../i18n.js';
import { type NewTicketMetadata, type NewTicketPrefill, newTicketModal } from './blocks/newTicketModal.js';
import type { SlackContext } from './context.js';
import { messages } from './messages.js';

/**
 * Opens the new-ticket modal. The trigger_id expires after 3 s, so the modal opens first, from
 * memory only (the roster cache, the language last seen for this user). The directory is asked
 * afterwards; if the user turns out to read French, the open modal is redrawn in French.
 */
export async function openNewTicketModal(
  ctx: SlackContext,
  args: { triggerId: string; userId: string; prefill: NewTicketPrefill; metadata: NewTicketMetadata },
): Promise<void> {
  const guessed = ctx.directory.cachedLanguage(args.userId) ?? 'en';
  const opened = await ctx.client.views.open({
    trigger_id: args.triggerId,
    view: newTicketModal(args.prefill, ctx.roster.current(), args.metadata, messages(guessed)),
  });
  const user = await ctx.directory.refresh(args.userId);
  const language = languageOf(user?.locale);
  if (language !== guessed && opened.view?.id) {
    await ctx.client.views.update({
      view_id: opened.view.id,
      hash: opened.view.hash,
      view: newTicketModal(args.prefill, ctx.roster.current(), args.metadata, messages(language)),
    });
  }
}

/**
 * Slack sends message text as mrkdwn: `&`, `<`, `>` escaped, and links, mentions and dates as
 * `<…>` tokens. Tickets and comments store what a person reads in Slack, since they are shown
 * escaped everywhere (cards, emails, the status page): `<url|label>` → `label (url)`,
 * `<@U123|rita>` → `@rita`, `<#C123|general>` → `#general`, `<!here>` → `@here`.
 */
export function readableSlackText(text: string): string {
  const readable = text.replace(/<([^<>]*)>/g, (_, token: string) => {
    const bar = token.indexOf('|');
    const target = bar >= 0 ? token.slice(0, bar) : token;
    const label = bar >= 0 ? token.slice(bar + 1) : '';
    if (target.startsWith('@') || target.startsWith('#')) return label ? `${target[0]}${label}` : target;
    // <!here>, <!channel>; <!subteam^S123|@team> and <!date^…|fallback> carry their own text.
    if (target.startsWith('!')) return label || `@${target.slice(1).split('^')[0]}`;
    if (target.startsWith('mailto:')) return label || target.slice('mailto:'.length);
    return label && label !== target ? `${label} (${target})` : target;
  });
  return readable.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
