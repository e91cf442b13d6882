import type { KnownBlock, MessageMetadata } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import type { Database } from '../db/index.js';
import type { Ticket } from '../db/models/ticket.js';
import type { User } from '../db/models/user.js';
import type { Texts } from '../i18n/index.js';
import type { Logger } from '../logger.js';
import { disabledKinds, EMAIL_KINDS, PERSONAL_KINDS } from '../notifications/preferences.js';
import { messagePath } from '../slackIds.js';
import { listRequestTypes, listTechnicians, type RequestTypeView } from '../tickets/index.js';
import {
  loadTicketView,
  type TicketView,
  ticketVersion,
  unclosedTicketsAssignedTo,
  unclosedTicketsRequestedBy,
} from '../tickets/queries.js';
import type { Background } from './background.js';
import { appHome, HOME_LIMITS } from './blocks/appHome.js';
import { CARD_EVENT_TYPE } from './blocks/ids.js';
import { LIMITS } from './blocks/limits.js';
import { ticketCard } from './blocks/ticketCard.js';
import type { UserDirectory } from './directory.js';
import { isConversationRefused, retryAfterOf, slackErrorOf } from './slackErrors.js';
import { cardOf, type MessageLocation, postedCard, recordCardLocation } from './store/cards.js';
import {
  cardsOwedAnUpdate,
  homeOpenedAt,
  recordCardShown,
  recordHomeOpened,
  releaseCardUpdate,
  renewCardUpdate,
  shownVersion,
  takeCardUpdate,
} from './store/cardVersions.js';
import { dmChannelOf, rememberDmChannel } from './store/dmChannels.js';

/**
 * Everything ticketbot shows in Slack that is derived from the database: ticket cards,
 * App Homes, DMs. Cards and homes are re-rendered from the current rows each time, so a
 * failed or reordered update is repaired by the next one.
 */
/**
 * How long after opening their App Home a person's home is kept up to date on every change.
 * Opening the App Home always redraws it, so homes nobody is looking at are left alone: that
 * saves a views.publish (and its queries) per change for everyone else.
 */
const HOME_WATCH_MS = 30 * 60 * 1000;
/** How often one person's opening of their App Home is written down for the other replicas. */
const HOME_RECORD_EVERY_MS = 60 * 1000;
/**
 * How long a process holds a card's update without renewing it (it renews every third of that
 * while the call is under way): when it dies, another process may update the card after this.
 */
const CARD_UPDATE_HOLD_MS = 30 * 1000;

/**
 * A rate-limited card post is tried again after Slack's Retry-After when that is this short, a
 * few times; a longer wait gives the card back to the catch-up instead of holding its lease.
 */
const CARD_RATE_LIMIT_WAIT_MAX_S = 10;
const CARD_RATE_LIMIT_TRIES = 3;

/**
 * How far back before a ticket's creation its card is looked for: Slack's message timestamps come
 * from Slack's clock, the ticket's from ours.
 */
const CLOCK_MARGIN_MS = 5 * 60 * 1000;
/** conversations.history pages read when looking for a card (100 messages each). */
const HISTORY_PAGES = 5;
const HISTORY_PAGE_SIZE = 100;

/**
 * What Slack returns for each message of conversations.history with include_all_metadata
 * (https://docs.slack.dev/reference/methods/conversations.history,
 * https://docs.slack.dev/messaging/message-metadata/): only what finding a card needs.
 */
const historySchema = z.object({
  messages: z
    .array(
      z.object({
        ts: z.string(),
        bot_id: z.string().optional(),
        metadata: z
          .object({ event_type: z.string(), event_payload: z.record(z.string(), z.unknown()).optional() })
          .optional(),
      }),
    )
    .default([]),
  has_more: z.boolean().optional(),
  response_metadata: z.object({ next_cursor: z.string().optional() }).optional(),
});

export interface PublisherOptions {
  db: Database;
  client: WebClient;
  /**
   * The client for the calls that must not be repeated blindly: a new card's post (a retry of a
   * post whose answer was lost would post a second card) and the history read that looks for it.
   * No retries, and rate limits answered at once rather than waited out by the client.
   */
  cardClient: WebClient;
  directory: UserDirectory;
  background: Background;
  logger: Logger;
  /** The texts cards and App Homes are written in. */
  texts: Texts;
  /** `https://<workspace>.slack.com/`, as auth.test reports it. */
  workspaceUrl?: string;
  /** The bot's bot_id (auth.test): a card found in a channel's history must be ours. */
  botId?: string;
  /** The request types a card offers to change to (the roster's copy); none: no select. */
  requestTypes?: () => RequestTypeView[];
  /** MANAGER_EMAILS: a Slack user with one of these addresses is also offered the digest in the App Home. */
  managerEmails?: string[];
}

/**
 * A message that must reach Slack once: `key` goes with it as message metadata; `unsure` says an
 * earlier attempt may have posted it (its answer lost), so it is looked for first.
 */
export interface Once {
  key: string;
  unsure: boolean;
  /** When the work was owed: what an earlier attempt posted cannot be older. */
  since: Date;
}

/** The metadata event type of ticketbot's messages that are sent once (DMs, comment copies). */
export const ONCE_EVENT_TYPE = 'ticketbot_once';

function onceMetadata(key: string): MessageMetadata {
  return { event_type: ONCE_EVENT_TYPE, event_payload: { key } };
}

function isOnce(
  message: z.infer<typeof historySchema>['messages'][number],
  key: string,
  botId: string | undefined,
): boolean {
  return (
    message.metadata?.event_type === ONCE_EVENT_TYPE &&
    message.metadata.event_payload?.key === key &&
    (botId === undefined || message.bot_id === botId)
  );
}

/** Card posted (where it is) or refused by Slack for its channel. */
export type CardPosting = { posted: MessageLocation } | { refused: string };

export class Publisher {
  private readonly dmChannels = new Map<string, Promise<string>>();
  private readonly homesOpen = new Map<string, number>();
  private readonly db: Database;
  private readonly client: WebClient;
  private readonly cardClient: WebClient;
  private readonly directory: UserDirectory;
  private readonly background: Background;
  private readonly logger: Logger;
  private readonly texts: Texts;
  private readonly workspaceUrl?: string;
  private readonly botId?: string;
  private readonly requestTypes: () => RequestTypeView[];
  private readonly managerEmails: Set<string>;

  constructor(options: PublisherOptions) {
    this.db = options.db;
    this.client = options.client;
    this.cardClient = options.cardClient;
    this.directory = options.directory;
    this.background = options.background;
    this.logger = options.logger;
    this.texts = options.texts;
    this.workspaceUrl = options.workspaceUrl;
    this.botId = options.botId;
    this.requestTypes = options.requestTypes ?? (() => []);
    this.managerEmails = new Set((options.managerEmails ?? []).map((email) => email.toLowerCase()));
  }

  /** The kinds of email `viewer` chooses among in the App Home: all of them, the digest for managers. */
  emailKindsFor(viewer: Pick<User, 'email'>): readonly string[] {
    const manager = Boolean(viewer.email && this.managerEmails.has(viewer.email.toLowerCase()));
    return manager ? EMAIL_KINDS : PERSONAL_KINDS;
  }

  /**
   * Cards are written in the requester's language: they opened it, their team reads it. Each card
   * carries the ticket's id as message metadata, so it can be found in its channel's history.
   */
  private render(view: TicketView) {
    const metadata: MessageMetadata = {
      event_type: CARD_EVENT_TYPE,
      event_payload: { ticket_id: view.ticket.id },
    };
    const card = ticketCard(view, this.texts.slack(view.requester?.locale), this.requestTypes());
    return { ...card, metadata };
  }

  private async cardFor(ticketId: number) {
    const view = await loadTicketView(this.db, ticketId);
    return view ? { view, card: this.render(view) } : undefined;
  }

  /**
   * Posts a new ticket's card in `channelId` once and records where it is. A refusal of the
   * channel is returned; anything else is thrown (the card may or may not have landed: the
   * catch-up looks for it with findCard before posting again). A short rate limit is waited out.
   */
  async postCard(view: TicketView, channelId: string): Promise<CardPosting> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const result = await this.cardClient.chat.postMessage({
          channel: channelId,
          ...this.render(view),
          unfurl_links: false,
        });
        const posted = { channel: result.channel ?? channelId, ts: result.ts! };
        await recordCardLocation(this.db, view.ticket.id, posted.channel, posted.ts);
        await recordCardShown(this.db, view.ticket.id, view.ticket.version);
        return { posted };
      } catch (error) {
        if (isConversationRefused(error)) return { refused: channelId };
        // Slack answers 429 before doing anything: the same post again is safe.
        const wait = retryAfterOf(error);
        if (wait === undefined || wait > CARD_RATE_LIMIT_WAIT_MAX_S || attempt >= CARD_RATE_LIMIT_TRIES)
          throw error;
        await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      }
    }
  }

  /**
   * Looks in `channelId`'s recent history for the ticket's card (a post whose answer was lost, or
   * whose address could not be recorded) and records it when found. conversations.history needs
   * `channels:history` / `groups:history` and the bot in the channel, as posting does; a channel
   * Slack refuses has no card to find.
   */
  async findCard(channelId: string, ticket: Ticket): Promise<MessageLocation | undefined> {
    const oldest = ((ticket.createdAt.getTime() - CLOCK_MARGIN_MS) / 1000).toFixed(6);
    let cursor: string | undefined;
    for (let page = 0; page < HISTORY_PAGES; page += 1) {
      let answer: unknown;
      try {
        answer = await this.cardClient.conversations.history({
          channel: channelId,
          oldest,
          inclusive: true,
          limit: HISTORY_PAGE_SIZE,
          include_all_metadata: true,
          ...(cursor ? { cursor } : {}),
        });
      } catch (error) {
        if (isConversationRefused(error)) return undefined;
        throw error;
      }
      const history = historySchema.parse(answer);
      const card = history.messages.find(
        (message) =>
          message.metadata?.event_type === CARD_EVENT_TYPE &&
          Number(message.metadata.event_payload?.ticket_id) === ticket.id &&
          (this.botId === undefined || message.bot_id === this.botId),
      );
      if (card) {
        await recordCardLocation(this.db, ticket.id, channelId, card.ts);
        return { channel: channelId, ts: card.ts };
      }
      cursor = history.response_metadata?.next_cursor || undefined;
      if (!history.has_more || !cursor) return undefined;
    }
    this.logger.warn(
      { ticketId: ticket.id, channel: channelId },
      'card not found in the channel history read; posting it',
    );
    return undefined;
  }

  /**
   * Brings a ticket's card up to date (in the background, coalesced per ticket in this process).
   * Across processes one holds the card's update at a time (slack_card_versions), and sends only
   * a version newer than the card shows: a card never goes back in time, whichever replica
   * renders it. A process that finds the update held leaves it to the holder, which looks at the
   * ticket again after letting it go.
   */
  refreshCard(ticketId: number): Promise<void> {
    return this.background.runLatest(`card:${ticketId}`, 'update card', () => this.updateCard(ticketId), {
      ticketId,
    });
  }

  private async updateCard(ticketId: number): Promise<void> {
    for (;;) {
      const card = postedCard(await cardOf(this.db, ticketId));
      if (!card) return;
      if (!(await takeCardUpdate(this.db, ticketId, CARD_UPDATE_HOLD_MS))) return;
      let sent: number;
      try {
        sent = await this.sendCardUpdate(ticketId, card);
      } catch (error) {
        // Slack failed it (or the database): the catch-up brings the card up to date later.
        await releaseCardUpdate(this.db, ticketId, true).catch(() => undefined);
        throw error;
      }
      // Let go first, then look again: a change committed meanwhile either finds the update free
      // or is seen here.
      const current = await ticketVersion(this.db, ticketId);
      if (current === null || current <= sent) return;
    }
  }

  /** Sends the card as the ticket is now, unless it shows that already; the version it shows. */
  private async sendCardUpdate(ticketId: number, card: MessageLocation): Promise<number> {
    const renew = setInterval(() => {
      renewCardUpdate(this.db, ticketId, CARD_UPDATE_HOLD_MS).catch((error: unknown) =>
        this.logger.warn({ err: error, ticketId }, 'could not keep holding the card update'),
      );
    }, CARD_UPDATE_HOLD_MS / 3);
    renew.unref();
    try {
      const [rendered, shown] = await Promise.all([this.cardFor(ticketId), shownVersion(this.db, ticketId)]);
      if (!rendered) {
        await releaseCardUpdate(this.db, ticketId, false);
        return Number.POSITIVE_INFINITY;
      }
      const version = rendered.view.ticket.version;
      if (shown === null || shown < version)
        await this.client.chat.update({ channel: card.channel, ts: card.ts, ...rendered.card });
      await recordCardShown(this.db, ticketId, version);
      return Math.max(version, shown ?? 0);
    } finally {
      clearInterval(renew);
    }
  }

  /** Cards whose update was left unfinished (Slack failed it, its process died): brought up to date. */
  async catchUpCardUpdates(limit = 20): Promise<number> {
    const owed = await cardsOwedAnUpdate(this.db, limit);
    await Promise.all(owed.map((ticketId) => this.refreshCard(ticketId)));
    return owed.length;
  }

  /** Someone is looking at their App Home (they opened it or clicked in it): draw it now. */
  showHome(userId: string): Promise<void> {
    const now = Date.now();
    const recorded = this.homesOpen.get(userId);
    this.homesOpen.set(userId, now);
    // Every replica redraws it on a change; written at most once a minute per person.
    if (recorded === undefined || now - recorded > HOME_RECORD_EVERY_MS) {
      void this.background.run(
        'record app home opened',
        () => recordHomeOpened(this.db, userId, new Date(now)),
        {
          slackUser: userId,
        },
      );
    }
    return this.publishHome(userId);
  }

  /**
   * After a change: redraws the App Home of someone who opened it lately, through whichever
   * replica (slack_home_views); others are drawn when they open it.
   */
  async refreshHome(userId: string): Promise<void> {
    const known = this.homesOpen.get(userId);
    let opened = known;
    if (known === undefined || Date.now() - known > HOME_WATCH_MS) {
      try {
        opened = (await homeOpenedAt(this.db, userId))?.getTime();
      } catch (error) {
        // The database did not answer (no connection free in time, or it is away). Callers fire
        // this and forget it, so a throw here would end the process (an unhandled rejection, seen
        // under load in bench:soak): this redraw is skipped and said so; the home is drawn again
        // at the person's next change or when they open it.
        this.logger.warn(
          { err: error, slackUser: userId },
          'could not tell whether an App Home is open; not redrawn',
        );
        return;
      }
    }
    if (opened === undefined || Date.now() - opened > HOME_WATCH_MS) {
      this.homesOpen.delete(userId);
      return;
    }
    return this.publishHome(userId);
  }

  /** Publishes a user's App Home (in the background, coalesced per user). */
  private publishHome(userId: string): Promise<void> {
    return this.background.runLatest(
      `home:${userId}`,
      'publish app home',
      async () => {
        const viewer = await this.directory.refresh(userId);
        if (!viewer || viewer.isBot) return;
        const staff = viewer.isTechnician || viewer.isAdmin;
        const offered = this.emailKindsFor(viewer);
        const [mine, assigned, roster, requestTypes, off] = await Promise.all([
          unclosedTicketsRequestedBy(this.db, userId, HOME_LIMITS.mine),
          viewer.isTechnician ? unclosedTicketsAssignedTo(this.db, userId, HOME_LIMITS.assigned) : undefined,
          staff ? listTechnicians(this.db) : undefined,
          viewer.isAdmin ? listRequestTypes(this.db, { includeArchived: true }) : undefined,
          disabledKinds(this.db, [userId]),
        ]);
        const turnedOff = off.get(userId) ?? new Set<string>();
        const emails = { offered, on: new Set(offered.filter((kind) => !turnedOff.has(kind))) };
        const view = appHome(
          { viewer, mine, assigned, roster, requestTypes, emails },
          this.texts.slack(viewer.locale),
        );
        await this.client.views.publish({ user_id: userId, view });
      },
      { slackUser: userId },
    );
  }

  /**
   * A link to a message made without asking Slack, from the workspace's address (auth.test at
   * start): Slack's permalinks have the shape
   * `https://<workspace>.slack.com/archives/<channel>/p<ts without the dot>`. Undefined when the
   * address is unknown. For what must answer Slack at once (before an ack).
   */
  linkTo(channel: string, ts: string): string | undefined {
    const path = messagePath(channel, ts);
    return this.workspaceUrl && path ? new URL(path, this.workspaceUrl).toString() : undefined;
  }

  /** A link to a message: linkTo, else asked of chat.getPermalink (undefined if that fails). */
  async permalink(channel: string, ts: string): Promise<string | undefined> {
    const made = this.linkTo(channel, ts);
    if (made) return made;
    try {
      const result = await this.client.chat.getPermalink({ channel, message_ts: ts });
      return result.permalink;
    } catch (error) {
      this.logger.warn({ err: error, channel }, 'chat.getPermalink failed');
      return undefined;
    }
  }

  /**
   * A person's DM channel: from memory, else from the database (slack_dm_channels), else opened
   * with conversations.open once and remembered there for every replica. Concurrent asks for the
   * same person in this process share one call.
   */
  dmChannel(userId: string): Promise<string> {
    const known = this.dmChannels.get(userId);
    if (known) return known;
    const opening = this.openDmChannel(userId);
    this.dmChannels.set(userId, opening);
    opening.catch(() => {
      if (this.dmChannels.get(userId) === opening) this.dmChannels.delete(userId);
    });
    return opening;
  }

  private async openDmChannel(userId: string): Promise<string> {
    const stored = await dmChannelOf(this.db, userId);
    if (stored) return stored;
    const result = await this.client.conversations.open({ users: userId });
    const id = result.channel?.id;
    if (!id) throw new Error('conversations.open returned no channel');
    await rememberDmChannel(this.db, userId, id);
    return id;
  }

  /**
   * Posts a message that must not be posted twice (through the client without retries: a post
   * whose answer was lost may have landed, and the caller looks for it by its metadata before
   * trying again). Says where it landed.
   */
  async postOnce(message: {
    channel: string;
    threadTs?: string;
    text: string;
    metadata: MessageMetadata;
  }): Promise<MessageLocation> {
    const result = await this.cardClient.chat.postMessage({
      channel: message.channel,
      ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
      text: message.text.slice(0, LIMITS.notificationText),
      metadata: message.metadata,
      unfurl_links: false,
    });
    return { channel: result.channel ?? message.channel, ts: result.ts! };
  }

  /**
   * Sends a DM once and says where it is. Its key goes with it as message metadata; when an
   * earlier attempt may have posted it (a timeout, a dropped connection, a process that died
   * waiting for Slack's answer), the DM's recent history is read first (conversations.history,
   * `im:history`, with include_all_metadata: https://docs.slack.dev/reference/methods/conversations.history,
   * https://docs.slack.dev/messaging/message-metadata/) and the DM found there is the answer.
   * Posted with the client that never retries blindly.
   */
  async dmOnce(
    userId: string,
    message: { text: string; blocks?: KnownBlock[] },
    once: Once,
  ): Promise<MessageLocation> {
    const channel = await this.dmChannel(userId);
    if (once.unsure) {
      const found = await this.findOnce(channel, once);
      if (found) return found;
    }
    const result = await this.cardClient.chat.postMessage({
      channel,
      text: message.text.slice(0, LIMITS.notificationText),
      blocks: message.blocks,
      metadata: onceMetadata(once.key),
    });
    return { channel: result.channel ?? channel, ts: result.ts! };
  }

  /**
   * Posts a reply in a card's thread once (as dmOnce does), looking for it among the thread's
   * replies first when an earlier attempt may have posted it (conversations.replies with
   * include_all_metadata: https://api.slack.com/methods/conversations.replies#arg_include_all_metadata).
   */
  async threadReplyOnce(thread: MessageLocation, text: string, once: Once): Promise<MessageLocation> {
    if (once.unsure) {
      let cursor: string | undefined;
      for (let page = 0; page < HISTORY_PAGES; page += 1) {
        const answer = await this.cardClient.conversations.replies({
          channel: thread.channel,
          ts: thread.ts,
          limit: 200,
          include_all_metadata: true,
          ...(cursor ? { cursor } : {}),
        });
        const replies = historySchema.parse(answer);
        const found = replies.messages.find((reply) => isOnce(reply, once.key, this.botId));
        if (found) return { channel: thread.channel, ts: found.ts };
        cursor = replies.response_metadata?.next_cursor || undefined;
        if (!replies.has_more || !cursor) break;
      }
    }
    const result = await this.cardClient.chat.postMessage({
      channel: thread.channel,
      thread_ts: thread.ts,
      text,
      metadata: onceMetadata(once.key),
    });
    return { channel: result.channel ?? thread.channel, ts: result.ts! };
  }

  /**
   * Edits a message once: the edit carries its key as metadata, and when an earlier attempt may
   * have made it, the message is read first (conversations.history with `latest` its ts,
   * `inclusive`, `limit` 1) and left alone if it carries the key already.
   */
  async editOnce(
    location: MessageLocation,
    message: { text: string; blocks?: KnownBlock[] },
    once: Once,
  ): Promise<void> {
    if (once.unsure) {
      const answer = await this.readForOnce(
        () =>
          this.cardClient.conversations.history({
            channel: location.channel,
            latest: location.ts,
            oldest: location.ts,
            inclusive: true,
            limit: 1,
            include_all_metadata: true,
          }),
        once.key,
      );
      const [current] = answer === undefined ? [] : historySchema.parse(answer).messages;
      if (current?.ts === location.ts && isOnce(current, once.key, this.botId)) return;
    }
    // Not retried by the client either: each call that reached Slack is an edit made.
    await this.cardClient.chat.update({
      channel: location.channel,
      ts: location.ts,
      ...message,
      metadata: onceMetadata(once.key),
    });
  }

  /**
   * Reads what Slack has, to find a message sent once. An app installed before `im:history` was
   * in its manifest gets `missing_scope` (https://docs.slack.dev/reference/methods/conversations.history,
   * Errors): then the message is sent without looking, rather than never (logged).
   */
  private async readForOnce<T>(read: () => Promise<T>, key: string): Promise<T | undefined> {
    try {
      return await read();
    } catch (error) {
      if (slackErrorOf(error) !== 'missing_scope') throw error;
      this.logger.warn(
        { key },
        'cannot read the history to look for a message (reinstall the app with im:history); sending it',
      );
      return undefined;
    }
  }

  /** The message sent once with `once.key` in `channel`'s recent history, if there is one. */
  private async findOnce(channel: string, once: Once): Promise<MessageLocation | undefined> {
    const oldest = ((once.since.getTime() - CLOCK_MARGIN_MS) / 1000).toFixed(6);
    let cursor: string | undefined;
    for (let page = 0; page < HISTORY_PAGES; page += 1) {
      const answer = await this.readForOnce(
        () =>
          this.cardClient.conversations.history({
            channel,
            oldest,
            inclusive: true,
            limit: HISTORY_PAGE_SIZE,
            include_all_metadata: true,
            ...(cursor ? { cursor } : {}),
          }),
        once.key,
      );
      if (answer === undefined) return undefined;
      const history = historySchema.parse(answer);
      const found = history.messages.find((message) => isOnce(message, once.key, this.botId));
      if (found) return { channel, ts: found.ts };
      cursor = history.response_metadata?.next_cursor || undefined;
      if (!history.has_more || !cursor) return undefined;
    }
    this.logger.warn({ channel, key: once.key }, 'message not found in the history read; posting it');
    return undefined;
  }

  /** Sends a DM and says where it landed (to edit it later). */
  async dm(userId: string, message: { text: string; blocks?: KnownBlock[] }): Promise<MessageLocation> {
    const channel = await this.dmChannel(userId);
    const result = await this.client.chat.postMessage({
      channel,
      text: message.text.slice(0, LIMITS.notificationText),
      blocks: message.blocks,
    });
    return { channel: result.channel ?? channel, ts: result.ts! };
  }
}
