import { displayName } from '../db/models/user.js';
import { USER_MENTION } from '../slackIds.js';
import { noticeModal } from './blocks/commentModal.js';
import { type NewTicketMetadata, type NewTicketPrefill, newTicketModal } from './blocks/newTicketModal.js';
import type { SlackContext } from './context.js';

/**
 * Where a new ticket's card goes: the helpdesk channel, else the channel the ticket was asked for
 * in. Never a DM (`D…`) or the App Home (no channel): technicians are not there, the bot could
 * not read the conversation's history to find a card it is unsure of (that takes `im:history`),
 * and replies there would not become comments. Undefined: nowhere, HELPDESK_CHANNEL_ID is needed.
 */
export function cardChannelFor(ctx: SlackContext, askedIn: string | undefined): string | undefined {
  if (ctx.config.helpdeskChannelId) return ctx.config.helpdeskChannelId;
  return askedIn && /^[CG][A-Z0-9]+$/.test(askedIn) ? askedIn : undefined;
}

/**
 * Says, instead of opening the new-ticket modal, that tickets cannot be opened here until a
 * helpdesk channel is set: in a small modal (the trigger_id lives 3 s), else as a DM.
 */
export async function explainNoHelpdeskChannel(
  ctx: SlackContext,
  args: { triggerId: string; userId: string },
): Promise<void> {
  const t = ctx.texts.slack(await ctx.directory.languageNow(args.userId));
  const shown = await ctx.client.views
    .open({ trigger_id: args.triggerId, view: noticeModal(t('needHelpdeskChannel'), t) })
    .then(
      () => true,
      (error: unknown) => {
        ctx.logger.warn({ err: error, slackUser: args.userId }, 'notice modal not opened; sent as a DM');
        return false;
      },
    );
  if (!shown) await ctx.publisher.dm(args.userId, { text: t('needHelpdeskChannel') });
}

/**
 * Opens the new-ticket modal. The trigger_id expires after 3 s, so the modal opens first, from
 * memory only (the roster cache, the language last seen for this user). The directory is asked
 * afterwards; if the user turns out to read another language, the open modal is redrawn in it.
 */
/**
 * Slack did not open the modal: views.open was rate-limited (its 429 is not waited out, since the
 * trigger_id is valid for 3 seconds: "Pass a valid trigger_id within 3 seconds of receiving it",
 * https://docs.slack.dev/tools/bolt-js/concepts/creating-modals), the trigger expired, or Slack
 * failed. The person sees nothing unless told.
 */
export class ModalNotOpened extends Error {
  constructor(cause: unknown) {
    super('Slack did not open the new-ticket modal', { cause });
    this.name = 'ModalNotOpened';
  }
}

export async function openNewTicketModal(
  ctx: SlackContext,
  args: { triggerId: string; userId: string; prefill: NewTicketPrefill; metadata: NewTicketMetadata },
): Promise<void> {
  const guessed = ctx.texts.languageOf(ctx.directory.cachedLanguage(args.userId));
  const opened = await ctx.client.views
    .open({
      trigger_id: args.triggerId,
      view: newTicketModal(
        args.prefill,
        ctx.roster.current(),
        args.metadata,
        ctx.texts.slack(guessed),
        ctx.roster.requestTypes(),
      ),
    })
    .catch((error: unknown) => {
      throw new ModalNotOpened(error);
    });
  const user = await ctx.directory.refresh(args.userId);
  const language = ctx.texts.languageOf(user?.locale);
  if (language !== guessed && opened.view?.id) {
    await ctx.client.views.update({
      view_id: opened.view.id,
      hash: opened.view.hash,
      view: newTicketModal(
        args.prefill,
        ctx.roster.current(),
        args.metadata,
        ctx.texts.slack(language),
        ctx.roster.requestTypes(),
      ),
    });
  }
}

/** How long naming the people a message mentions may take before their ids are used instead. */
const NAMES_WAIT_MS = 1000;

/**
 * Slack sends message text as mrkdwn: `&`, `<`, `>` escaped, and links, mentions and dates as
 * `<…>` tokens. Tickets and comments store what a person reads in Slack, since they are shown
 * escaped everywhere (cards, emails, the status page): `<url|label>` → `label (url)`,
 * `<@U123>` → `@Rita` (from `names`, else `@U123`), `<#C123|general>` → `#general`,
 * `<!here>` → `@here`.
 */
export function readableSlackText(text: string, names: ReadonlyMap<string, string> = new Map()): string {
  const readable = text.replace(/<([^<>]*)>/g, (_, token: string) => {
    const bar = token.indexOf('|');
    const target = bar >= 0 ? token.slice(0, bar) : token;
    const label = bar >= 0 ? token.slice(bar + 1) : '';
    if (target.startsWith('@')) return `@${label || names.get(target.slice(1)) || target.slice(1)}`;
    if (target.startsWith('#')) return label ? `#${label}` : target;
    // <!here>, <!channel>; <!subteam^S123|@team> and <!date^…|fallback> carry their own text.
    if (target.startsWith('!')) return label || `@${target.slice(1).split('^')[0]}`;
    if (target.startsWith('mailto:')) return label || target.slice('mailto:'.length);
    return label && label !== target ? `${label} (${target})` : target;
  });
  return readable.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * readableSlackText with the mentioned people's names from the directory (cached; users.info for
 * someone not seen yet). Naming waits at most a second: past that, or if Slack fails, an id stays.
 */
export async function readableMessage(ctx: SlackContext, text: string): Promise<string> {
  const ids = [...new Set(Array.from(text.matchAll(USER_MENTION), (match) => match[1]!))].slice(0, 20);
  const names = new Map<string, string>();
  if (ids.length > 0) {
    let timer: NodeJS.Timeout | undefined;
    const named = Promise.all(
      ids.map(async (id) => {
        const user = await ctx.directory.profile(id).catch(() => null);
        if (user && (user.name || user.realName)) names.set(id, displayName(user));
      }),
    );
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, NAMES_WAIT_MS);
    });
    await Promise.race([named, waited]).finally(() => clearTimeout(timer));
  }
  return readableSlackText(text, new Map(names));
}
