import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { type StartOptions, startTicketbot, type Ticketbot } from '../../src/server.js';
import { FakeSlack, type SlackCall } from './slackApi.js';
import { ticketOfCard } from './slackCards.js';
import { postSigned, type SignOptions, type SlackBody } from './slackSigner.js';
import { standIn } from './standIn.js';

// Starts the whole of ticketbot (HTTP mode) against the test Slack, and speaks to it the way
// Slack does: signed requests to POST /slack/events, payloads shaped like test/fixtures/slack/payloads.

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const BOT_TOKEN = 'xoxb-test-0000-token';
export const HELPDESK = 'C0HELPDESK';

export const REQUESTER = 'U0REQUEST1';
export const OTHER_USER = 'U0OTHER001';
export const TECHNICIAN = 'U0TECH0001';
export const SECOND_TECHNICIAN = 'U0TECH0002';
export const ADMIN = 'U0ADMIN001';
export const FRENCH_USER = 'U0FRANCAIS';

/** Block Kit JSON as the test Slack recorded it; tests read into it freely. */
// biome-ignore lint/suspicious/noExplicitAny: recorded JSON, checked by the assertions that read it
export type SlackJson = any;

export interface Card {
  channel: string;
  ts: string;
  blocks: Array<Record<string, unknown>>;
}

export class SlackTestApp {
  private eventCounter = 0;
  /** Tells this app's deliveries from another's (two replicas' test apps share one database). */
  private readonly instance = randomBytes(3).toString('hex').toUpperCase();
  private readonly eventIds = new Map<string, string>();

  constructor(
    readonly bot: Ticketbot,
    readonly slack: FakeSlack,
    /** False when the test Slack is shared with other replicas and outlives this one. */
    private readonly ownsSlack = true,
  ) {}

  get eventsUrl(): string {
    return `${this.bot.url}/slack/events`;
  }

  send(body: SlackBody, options?: SignOptions) {
    return postSigned(this.eventsUrl, SIGNING_SECRET, body, options);
  }

  command(userId: string, text: string, channelId = 'C0GENERAL1', triggerId?: string) {
    return this.send({
      form: {
        token: 'verification-token',
        team_id: this.slack.teamId,
        team_domain: 'ticketbot-test',
        channel_id: channelId,
        channel_name: 'general',
        user_id: userId,
        user_name: userId.toLowerCase(),
        command: '/ticket',
        text,
        api_app_id: 'A0TICKETBOT',
        response_url: `${this.slack.url.replace('/api/', '')}/response/${++this.eventCounter}`,
        trigger_id: triggerId ?? `trigger.${this.instance}.${++this.eventCounter}`,
      },
    });
  }

  /** A trigger_id for one request, unique across instances (Slack's are unique per interaction). */
  newTriggerId(): string {
    return `trigger.${this.instance}.${++this.eventCounter}`;
  }

  /** An interaction of `type` by `userId` in the workspace: what Slack puts in every such payload, and `fields`. */
  private interaction(type: string, userId: string, fields: Record<string, unknown>) {
    return this.send({
      interactive: {
        type,
        team: { id: this.slack.teamId, domain: 'ticketbot-test' },
        user: { id: userId, team_id: this.slack.teamId },
        api_app_id: 'A0TICKETBOT',
        token: 'verification-token',
        ...fields,
      },
    });
  }

  /** Submits a modal the app opened (the recorded views.open call) with these state values. */
  submitView(userId: string, opened: SlackCall, values: Record<string, Record<string, unknown>>) {
    const view = opened.args.view as Record<string, unknown>;
    const response = opened.response.view as Record<string, unknown>;
    return this.interaction('view_submission', userId, {
      trigger_id: `trigger.${this.instance}.${++this.eventCounter}`,
      view: {
        id: response.id,
        team_id: this.slack.teamId,
        type: 'modal',
        callback_id: view.callback_id,
        private_metadata: view.private_metadata ?? '',
        hash: response.hash,
        blocks: view.blocks,
        state: { values },
      },
      response_urls: [],
    });
  }

  /** *Create ticket*, the message shortcut, on `message` in `channel`, as `userId`. */
  messageShortcut(
    userId: string,
    channel: { id: string; name: string },
    message: { user: string; ts: string; text: string },
    triggerId: string,
  ) {
    return this.interaction('message_action', userId, {
      callback_id: 'create_ticket_from_message',
      trigger_id: triggerId,
      channel,
      message_ts: message.ts,
      message: { type: 'message', ...message },
      response_url: `${this.slack.url}../response/${triggerId}`,
      action_ts: '1690000001.000000',
    });
  }

  /**
   * An action in `userId`'s App Home (a view, no channel): `action` is what Slack reports of the
   * element (type, action_id, block_id, value or selected_user…), `blocks` the home shown.
   */
  clickInHome(
    userId: string,
    action: Record<string, unknown>,
    options: { triggerId?: string; blocks?: unknown[] } = {},
  ) {
    return this.send({
      interactive: {
        type: 'block_actions',
        team: { id: this.slack.teamId },
        user: { id: userId, team_id: this.slack.teamId },
        api_app_id: 'A0TICKETBOT',
        trigger_id: options.triggerId ?? `trigger.home.${this.instance}.${++this.eventCounter}`,
        container: { type: 'view', view_id: 'V0HOME' },
        view: { id: 'V0HOME', type: 'home', blocks: options.blocks ?? [], state: { values: {} } },
        actions: [{ action_ts: String(++this.eventCounter), ...action }],
      },
    });
  }

  /** Clicks an element of a message (a card or a DM) as `userId`. */
  click(
    userId: string,
    message: Card,
    actionId: string,
    extra: Record<string, unknown> = {},
    state: Record<string, unknown> = {},
  ) {
    const block = message.blocks.find(
      (b) =>
        Array.isArray(b.elements) &&
        (b.elements as Array<{ action_id?: string }>).some((e) => e.action_id === actionId),
    );
    if (!block) throw new Error(`no element ${actionId} on the message`);
    const element = (block.elements as Array<Record<string, unknown>>).find((e) => e.action_id === actionId)!;
    return this.interaction('block_actions', userId, {
      container: {
        type: 'message',
        message_ts: message.ts,
        channel_id: message.channel,
        is_ephemeral: false,
      },
      trigger_id: `trigger.${this.instance}.${++this.eventCounter}`,
      channel: { id: message.channel, name: 'helpdesk' },
      message: {
        type: 'message',
        ts: message.ts,
        user: this.slack.botUserId,
        bot_id: this.slack.botId,
        blocks: message.blocks,
      },
      state: { values: state },
      response_url: `${this.slack.url.replace('/api/', '')}/response/${++this.eventCounter}`,
      actions: [
        {
          type: element.type,
          action_id: actionId,
          block_id: block.block_id,
          value: element.value,
          action_ts: '1700000000.000001',
          ...extra,
        },
      ],
    });
  }

  /**
   * Sends an event as Slack's Events API does. Each delivery has an event_id unique across the
   * workspace (https://docs.slack.dev/apis/events-api/#callback-field), and a retry (`retryNum`)
   * carries the id of the delivery it repeats.
   */
  event(event: Record<string, unknown>, options?: SignOptions) {
    const same = JSON.stringify(event);
    let eventId = options?.retryNum ? this.eventIds.get(same) : undefined;
    if (!eventId) {
      this.eventCounter += 1;
      eventId = `Ev${this.instance}${String(this.eventCounter).padStart(8, '0')}`;
      this.eventIds.set(same, eventId);
    }
    return this.send(
      {
        json: {
          token: 'verification-token',
          team_id: this.slack.teamId,
          api_app_id: 'A0TICKETBOT',
          event,
          type: 'event_callback',
          event_id: eventId,
          event_time: Math.floor(Date.now() / 1000),
          authorizations: [{ team_id: this.slack.teamId, user_id: this.slack.botUserId, is_bot: true }],
        },
      },
      options,
    );
  }

  /**
   * A `message` event for a reply by `user` in the thread of `card` (the shape of a channel
   * thread reply: https://docs.slack.dev/reference/events/message/ and the payloads in
   * test/fixtures/slack/payloads/SOURCES.md), for `event()`.
   */
  threadReply(card: { channel: string; ts: string }, user: string, ts: string, text: string) {
    return {
      type: 'message',
      channel: card.channel,
      channel_type: 'channel',
      user,
      text,
      ts,
      thread_ts: card.ts,
      parent_user_id: this.slack.botUserId,
      event_ts: ts,
    };
  }

  /** The whole path a requester takes: /ticket → modal → submit; resolves with the posted card. */
  async createTicket(
    userId: string,
    title: string,
    values: Record<string, Record<string, unknown>> = {},
  ): Promise<Card> {
    const opensBefore = this.slack.callsTo('views.open').length;
    const postsBefore = this.slack.callsTo('chat.postMessage').length;
    const res = await this.command(userId, title);
    if (res.status !== 200) throw new Error(`/ticket answered ${res.status}`);
    const opened = await this.slack.waitFor(
      (calls) => calls.filter((c) => c.method === 'views.open')[opensBefore],
      'views.open',
    );
    const submitted = await this.submitView(userId, opened, {
      title: { title: { type: 'plain_text_input', value: title } },
      priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
      ...values,
    });
    if (submitted.text !== '') throw new Error(`submission answered ${submitted.text}`);
    const posted = await this.slack.waitFor(
      (calls) =>
        calls
          .filter((c) => c.method === 'chat.postMessage')
          .slice(postsBefore)
          .find(
            (c) =>
              c.response.ok &&
              Array.isArray(c.args.blocks) &&
              (c.args.blocks as Array<{ type: string }>)[0]?.type === 'header',
          ),
      'the ticket card',
    );
    const ts = posted.response.ts as string;
    // The card's address is stored right after Slack answers; thread replies need it.
    await this.slack.waitFor(() => ticketOfCard(this.bot.db, ts), 'the card recorded');
    return { channel: posted.response.channel as string, ts, blocks: posted.args.blocks as Card['blocks'] };
  }

  /** Waits until Slack accepted an update of the card at `ts` showing the ticket at `version`. */
  cardAtVersion(ts: string, ticketId: number, version: number) {
    return this.slack.waitFor(
      (calls) =>
        calls.find(
          (c) =>
            c.method === 'chat.update' &&
            c.args.ts === ts &&
            c.response.ok === true &&
            JSON.stringify(c.args.blocks).includes(`"ticket_actions:${ticketId}:${version}"`),
        ),
      `the card of #${ticketId} at version ${version}`,
    );
  }

  /** The latest blocks of the card at `ts` (after its chat.update calls). */
  card(channel: string, ts: string): Card {
    const updates = this.slack.calls.filter(
      (call) =>
        (call.method === 'chat.update' && call.args.ts === ts) ||
        (call.method === 'chat.postMessage' && call.response.ts === ts),
    );
    const last = updates.at(-1);
    if (!last) throw new Error(`no card at ${ts}`);
    return { channel, ts, blocks: last.args.blocks as Card['blocks'] };
  }

  async stop(): Promise<void> {
    await this.bot.stop();
    if (this.ownsSlack) await this.slack.stop();
  }
}

export interface SlackTestAppOptions {
  /** Sets the test Slack up before ticketbot first talks to it (a user, a failure at start-up). */
  beforeStart?: (slack: FakeSlack) => void;
  start?: StartOptions;
  /** Another replica's test Slack: both talk to one Slack, as replicas of one app do. */
  slack?: FakeSlack;
}

/** The workspace's people every test Slack knows. */
function addPeople(slack: FakeSlack): void {
  slack.addUser(REQUESTER, { name: 'Rita Requester', email: 'rita@example.com', locale: 'en-US' });
  slack.addUser(TECHNICIAN, { name: 'Tom Tech', locale: 'en-GB' });
  slack.addUser(SECOND_TECHNICIAN, { name: 'Tess Tech', locale: 'en-US' });
  slack.addUser(ADMIN, { name: 'Ada Admin', locale: 'en-US' });
  slack.addUser(FRENCH_USER, { name: 'Françoise', locale: 'fr-FR' });
}

export async function startSlackTestApp(
  databaseUrl: string,
  env: Record<string, string> = {},
  logger: Logger = createLogger('silent'),
  options: SlackTestAppOptions = {},
): Promise<SlackTestApp> {
  const shared = options.slack;
  const slack = shared ?? (await FakeSlack.start());
  if (!shared) addPeople(slack);
  options.beforeStart?.(slack);
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.url,
    HELPDESK_CHANNEL_ID: HELPDESK,
    TECHNICIAN_USER_IDS: `${TECHNICIAN},${SECOND_TECHNICIAN}`,
    ADMIN_USER_IDS: ADMIN,
    ...env,
  });
  try {
    // Catch-ups run when a test asks (catchUpCards()), never from the minute's timer mid-test.
    const bot = await startTicketbot(config, logger, {
      cardCatchUpMs: 0,
      inboxTimer: false,
      // Slack work that failed is due again soon, for the catch-ups a test runs.
      outboxRetry: { firstMs: 50, maxMs: 500 },
      ...options.start,
    });
    return new SlackTestApp(bot, slack, !shared);
  } catch (error) {
    if (!shared) await slack.stop();
    throw error;
  }
}

/**
 * For a describe block: starts ticketbot against a test Slack before its tests (on the suite's
 * database, known by then) and stops it after; after each test, fails if Slack rejected blocks or
 * a view. The returned app stands for the started one and is usable inside tests and hooks.
 * `env` may be a function, read when the app starts (after the block's earlier beforeAll hooks).
 */
export function useSlackTestApp(
  suite: { url: string },
  env: Record<string, string> | (() => Record<string, string>) = {},
  logger?: () => Logger,
  options: SlackTestAppOptions = {},
): SlackTestApp {
  let started: SlackTestApp | undefined;
  beforeAll(async () => {
    started = await startSlackTestApp(
      suite.url,
      typeof env === 'function' ? env() : env,
      logger?.(),
      options,
    );
  });
  afterAll(async () => {
    await started?.stop();
  });
  afterEach(() => {
    expect(started?.slack.rejected ?? [], 'Slack rejected blocks or a view').toEqual([]);
  });
  return standIn(() => started, 'The Slack test app');
}
