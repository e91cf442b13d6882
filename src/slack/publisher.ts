import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Database } from '../db/index.js';
import { languageOf } from '../i18n.js';
import type { Logger } from '../logger.js';
import { listTechnicians } from '../tickets/index.js';
import {
  loadTicketView,
  type MessageLocation,
  openTicketsOf,
  recordCardLocation,
  type TicketView,
  ticketsAssignedTo,
} from '../tickets/queries.js';
import type { Background } from './background.js';
import { appHome, HOME_LIMITS } from './blocks/appHome.js';
import { LIMITS } from './blocks/limits.js';
import { ticketCard } from './blocks/ticketCard.js';
import type { UserDirectory } from './directory.js';
import { messages } from './messages.js';

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

export class Publisher {
  private readonly dmChannels = new Map<string, string>();
  private readonly homesOpen = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly client: WebClient,
    private readonly directory: UserDirectory,
    private readonly background: Background,
    private readonly logger: Logger,
    /** `https://<workspace>.slack.com/`, as auth.test reports it. */
    private readonly workspaceUrl?: string,
  ) {}

  /** Cards are written in the requester's language: they opened it, their team reads it. */
  private render(view: TicketView) {
    return ticketCard(view, messages(view.requester ? languageOf(view.requester.locale) : 'en'));
  }

  private async cardFor(ticketId: number) {
    const view = await loadTicketView(this.db, ticketId);
    return view ? { view, card: this.render(view) } : undefined;
  }

  /** Posts a new ticket's card and records where it is; throws Slack's error if it cannot. */
  async postCard(view: TicketView, channelId: string): Promise<{ channel: string; ts: string }> {
    const result = await this.client.chat.postMessage({
      channel: channelId,
      ...this.render(view),
      unfurl_links: false,
    });
    const channel = result.channel ?? channelId;
    const ts = result.ts!;
    await recordCardLocation(this.db, view.ticket.id, channel, ts);
    return { channel, ts };
  }

  /** Brings a ticket's card up to date (in the background, one update at a time per ticket). */
  refreshCard(ticketId: number): Promise<void> {
    return this.background.runLatest(
      `card:${ticketId}`,
      'update card',
      async () => {
        const rendered = await this.cardFor(ticketId);
        const { ticket } = rendered?.view ?? {};
        if (!rendered || !ticket?.slackChannelId || !ticket.slackMessageTs) return;
        await this.client.chat.update({
          channel: ticket.slackChannelId,
          ts: ticket.slackMessageTs,
          ...rendered.card,
        });
      },
      { ticketId },
    );
  }

  /** Someone is looking at their App Home (they opened it or clicked in it): draw it now. */
  showHome(userId: string): Promise<void> {
    this.homesOpen.set(userId, Date.now());
    return this.publishHome(userId);
  }

  /** After a change: redraws the App Home of someone who opened it lately; others are drawn when they open it. */
  refreshHome(userId: string): Promise<void> {
    const opened = this.homesOpen.get(userId);
    if (opened === undefined) return Promise.resolve();
    if (Date.now() - opened > HOME_WATCH_MS) {
      this.homesOpen.delete(userId);
      return Promise.resolve();
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
        const [mine, assigned, roster] = await Promise.all([
          openTicketsOf(this.db, userId, HOME_LIMITS.mine),
          viewer.isTechnician ? ticketsAssignedTo(this.db, userId, HOME_LIMITS.assigned) : undefined,
          staff ? listTechnicians(this.db) : undefined,
        ]);
        const view = appHome({ viewer, mine, assigned, roster }, messages(languageOf(viewer.locale)));
        await this.client.views.publish({ user_id: userId, view });
      },
      { slackUser: userId },
    );
  }

  /**
   * A link to a message. Slack's permalinks have the shape
   * `https://<workspace>.slack.com/archives/<channel>/p<ts without the dot>`; with the workspace's
   * address known (auth.test at start) it is made here, else asked of chat.getPermalink.
   */
  async permalink(channel: string, ts: string): Promise<string | undefined> {
    if (this.workspaceUrl && /^[A-Z0-9]+$/.test(channel) && /^\d+\.\d+$/.test(ts)) {
      return new URL(`archives/${channel}/p${ts.replace('.', '')}`, this.workspaceUrl).toString();
    }
    try {
      const result = await this.client.chat.getPermalink({ channel, message_ts: ts });
      return result.permalink;
    } catch (error) {
      this.logger.warn({ err: error, channel }, 'chat.getPermalink failed');
      return undefined;
    }
  }

  async dmChannel(userId: string): Promise<string> {
    const known = this.dmChannels.get(userId);
    if (known) return known;
    const result = await this.client.conversations.open({ users: userId });
    const id = result.channel?.id;
    if (!id) throw new Error('conversations.open returned no channel');
    this.dmChannels.set(userId, id);
    return id;
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
