import { App, ExpressReceiver } from '@slack/bolt';
import { ErrorCode, WebClient } from '@slack/web-api';
import type { Express } from 'express';
import type { Config } from '../config.js';
import type { Texts } from '../i18n/index.js';
import type { Logger } from '../logger.js';
import type { AddressBook } from '../notifications/addressBook.js';
import type { TicketServices } from '../tickets/index.js';
import { Background } from './background.js';
import { boltLogger } from './boltLogger.js';
import { CARD_LEASE_MS, CardLeases } from './cardLeases.js';
import type { SlackContext } from './context.js';
import { UserDirectory } from './directory.js';
import { reactToTicketChanges, recordOwedToSlack, registerOwedWork } from './hooks.js';
import { ignoreUnknown } from './ignoreUnknown.js';
import { Inbox } from './inbox.js';
import { recordThreadEvent } from './listeners/events/message.js';
import { registerListeners } from './listeners/index.js';
import { catchUpCards } from './newTicketDelivery.js';
import { type OutboxRetry, SlackOutbox } from './outbox.js';
import { SlackPacer } from './pacing.js';
import { channelPrivacy } from './privateChannels.js';
import { Publisher } from './publisher.js';
import { recordReactionEvent } from './reactionIntake.js';
import { fetchRosterProfiles, RosterCache } from './roster.js';
import { answerSslCheck } from './sslCheck.js';
import { createWebApiFetch } from './webApiFetch.js';

/**
 * How often interrupted card postings (and card updates) are looked for: a quarter of the card
 * lease, so a dead process's deliveries are taken over within CARD_LEASE_MS and this (50 s). Each
 * round is two indexed reads when there is nothing to do.
 */
export const CARD_CATCH_UP_MS = CARD_LEASE_MS / 4;
/** Cards a catch-up round posts; a full round is followed by another at once. */
const CARD_CATCH_UP_BATCH = 20;
/** How long a Web API request may take once sent, before it is given up (and retried). */
const SLACK_REQUEST_TIMEOUT_MS = 20_000;

export interface SlackDeps {
  config: Config;
  texts: Texts;
  /** The Express app Slack's endpoint (POST /slack/events) is mounted on, beside the status page. */
  app: Express;
  services: TicketServices;
  logger: Logger;
  /** CARD_CATCH_UP_MS unless said otherwise; 0 runs catch-ups only through catchUpCards(). */
  cardCatchUpMs?: number;
  /**
   * False: the inbox's and the Slack outbox's heartbeats and catch-ups run only through
   * catchUpInbox() and catchUpOutbox().
   */
  inboxTimer?: boolean;
  /** How long a Web API request may take once sent (SLACK_REQUEST_TIMEOUT_MS unless said). */
  slackRequestTimeoutMs?: number;
  /** The Slack outbox's backoff (tests shorten it). */
  outboxRetry?: OutboxRetry;
  /** How long a submission answered "making sure" is tried (tests shorten it). */
  unsureSettleMs?: number;
}

export interface SlackHandle {
  /** Posts the cards whose posting was interrupted now (it also runs every CARD_CATCH_UP_MS). */
  catchUpCards(): Promise<number>;
  /** Applies the acknowledged clicks and events nobody holds any more (as the heartbeat's round does). */
  catchUpInbox(): Promise<number>;
  /** Brings up to date the cards whose update was left unfinished (as the catch-up's round does). */
  catchUpCardUpdates(): Promise<number>;
  /** Carries out the work owed to Slack that is due and nobody holds (as the heartbeat's round does). */
  catchUpOutbox(): Promise<number>;
  /**
   * Resolves once the work already acknowledged to Slack (listeners still running, the cards,
   * DMs and App Homes they set off) has finished: what shutdown waits for, without stopping.
   */
  settled(): Promise<void>;
  /** The email drain's address book: users.info, cached in `users`. */
  addressBook: AddressBook;
  /** The workspace the bot is installed in (auth.test): the only one whose people may sign in. */
  teamId: string | undefined;
  /** Its name, for the start-up lines. */
  teamName: string | undefined;
  mode: 'http' | 'socket';
  stop(): Promise<void>;
}

export const SLACK_EVENTS_PATH = '/slack/events';

/** What the start-up lines, and a request to the unconfigured endpoint, are told. */
export const NOT_CONNECTED =
  'Slack is not connected: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP mode) and optionally SLACK_APP_TOKEN (Socket Mode); see "Connect Slack" in README.md';

/** Slack's answers to auth.test that mean the bot token itself is wrong. */
const TOKEN_REFUSED = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'not_allowed_token_type',
]);

/** A start-up failure in words a person setting ticketbot up can act on (the token is never shown). */
function explainStartFailure(error: unknown): unknown {
  const code = (error as { code?: string; data?: { error?: string } }).data?.error;
  if ((error as { code?: string }).code === ErrorCode.PlatformError && code && TOKEN_REFUSED.has(code)) {
    return new Error(
      `Slack refused SLACK_BOT_TOKEN (${code}): copy the Bot User OAuth Token (xoxb-…) from the app's Install App page again; see "Connect Slack" in README.md`,
      { cause: error },
    );
  }
  return error;
}

/**
 * Connects ticketbot to Slack when it is configured: HTTP mode mounts Bolt's ExpressReceiver on
 * our Express app (POST /slack/events); Socket Mode (SLACK_APP_TOKEN) opens a WebSocket instead.
 */
export async function startSlack(deps: SlackDeps): Promise<SlackHandle | undefined> {
  const { config, services } = deps;
  const logger = deps.logger.child({ component: 'slack' });
  if (!config.slack) {
    // Slack (or someone testing the request URL) reaching an unconfigured ticketbot gets the
    // reason, not the status page's 404.
    let told = false;
    deps.app.post(SLACK_EVENTS_PATH, (_req, res) => {
      if (!told) logger.warn(`a request reached ${SLACK_EVENTS_PATH}, but ${NOT_CONNECTED}`);
      told = true;
      res.status(503).type('text/plain').send(`ticketbot: ${NOT_CONNECTED}\n`);
    });
    return undefined;
  }
  const slack = config.slack;
  const webApiFetch = createWebApiFetch();
  // Rate limits are waited out by the pacer, one queue per method (and channel), not by the
  // client, which would stop every call on any 429 (src/slack/pacing.ts). views.open's 429 comes
  // back at once: its trigger expires in three seconds.
  const pacer = new SlackPacer({
    passThrough: ['views.open'],
    requestTimeoutMs: deps.slackRequestTimeoutMs ?? SLACK_REQUEST_TIMEOUT_MS,
    onRateLimited: (method, retryAfter, lane) =>
      logger.info({ method, retryAfter, lane }, 'Slack rate limit: waiting Retry-After'),
  });
  const clientOptions = {
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}),
    fetch: pacer.wrap(webApiFetch.fetch),
    // A few quick retries for network errors, no more, since a card that misses an update
    // catches up at the next one. A 429 the pacer hands back is an error, not a pause.
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
    rejectRateLimitedCalls: true,
    // A call Slack does not answer is given up (then retried): no background task hangs for ever.
    // The pacer applies the same timeout to each request once sent; time queued is not counted.
    timeout: 0,
  };
  if (slack.mode === 'http') answerSslCheck(deps.app, SLACK_EVENTS_PATH);
  const common = {
    token: slack.botToken,
    logger: boltLogger(deps.logger),
    clientOptions,
    deferInitialization: true,
    // Bolt's conversation store (state kept per channel between events) is unused here; it would
    // cost a lookup on every request.
    convoStore: false as const,
  };
  const bolt =
    slack.mode === 'socket'
      ? new App({ ...common, appToken: slack.appToken, socketMode: true })
      : new App({
          ...common,
          receiver: new ExpressReceiver({
            signingSecret: slack.signingSecret,
            app: deps.app,
            endpoints: SLACK_EVENTS_PATH,
            logger: boltLogger(deps.logger),
          }),
        });
  // auth.test: a wrong token stops start-up here, with Slack's reason, instead of at the first click.
  await bolt.init().catch((error: unknown) => {
    throw explainStartFailure(error);
  });
  // The workspace's address, from which message links are made without a chat.getPermalink call,
  // and the bot's id, by which its own cards are told apart in a channel's history.
  const identity = await bolt.client.auth.test().catch((error: unknown) => {
    logger.warn({ err: error }, 'auth.test gave no workspace URL; links will come from chat.getPermalink');
    return undefined;
  });
  // A new card's post is never retried by the client: a post whose answer is lost (a timeout, a
  // dropped connection) may have landed, and a blind retry would post a second card. Rate limits
  // are waited out by the pacer (a 429 means Slack did nothing), while the card's lease is kept
  // renewed (src/slack/newTicketDelivery.ts).
  const cardClient = new WebClient(slack.botToken, {
    ...clientOptions,
    logger: boltLogger(deps.logger),
    retryConfig: { retries: 0 },
  });
  if (!config.helpdeskChannelId) {
    logger.warn(
      'HELPDESK_CHANNEL_ID is not set: each ticket card goes to the channel /ticket or the shortcut was used in, and tickets cannot be opened from the App Home or a DM until it is set (see "Connect Slack" in README.md)',
    );
  }

  const background = new Background(logger);
  const inbox = new Inbox(services.db, background, logger, config.claimMs);
  const cardLeases = new CardLeases(services.db, inbox.processId.slice(0, 80), logger);
  cardLeases.start();
  const outbox = new SlackOutbox(services.db, background, logger, config.claimMs, deps.outboxRetry);
  const directory = new UserDirectory(services.db, bolt.client, logger, deps.texts.languageOf);
  const roster = new RosterCache(services.db, logger, (channel) => channelPrivacy(bolt.client, channel));
  await roster.start();
  const ctx: SlackContext = {
    unsureSettleMs: deps.unsureSettleMs,
    config,
    texts: deps.texts,
    services,
    logger,
    client: bolt.client,
    directory,
    roster,
    publisher: new Publisher({
      db: services.db,
      client: bolt.client,
      cardClient,
      directory,
      background,
      logger,
      texts: deps.texts,
      workspaceUrl: identity?.url,
      botId: identity?.bot_id,
      requestTypes: () => roster.requestTypes(),
      managerEmails: config.digest.managerEmails,
    }),
    background,
    inbox,
    cardLeases,
    outbox,
  };
  // Bolt acknowledges an event before any middleware runs (App.processEvent: "Events API requests
  // are acknowledged right away"), so the thread messages that may be comments, and the reactions
  // that open tickets, are recorded before Bolt sees them. When that fails the event is not acknowledged, and Slack delivers it again
  // (https://docs.slack.dev/apis/events-api/#retries).
  const processEvent = bolt.processEvent.bind(bolt);
  bolt.processEvent = async (event) => {
    await recordThreadEvent(ctx, event);
    await recordReactionEvent(ctx, event);
    return processEvent(event);
  };
  // Slack has its acknowledgement before most listeners finish (events are acked on arrival,
  // buttons first thing): once the HTTP server has closed, shutdown still waits for them, or a
  // thread reply would meet a closed database (or an outbox no longer written) and be lost.
  bolt.use(({ next }) => background.track(next()));
  bolt.use(ignoreUnknown);
  registerListeners(bolt, ctx);
  bolt.error(async (error) => {
    logger.error({ err: error }, 'Slack listener failed');
  });
  // What a change owes Slack is written in its own transaction, and carried out after it commits.
  registerOwedWork(ctx);
  const owed = recordOwedToSlack(ctx);
  services.hooks.inTransaction.push(owed);
  const hook = reactToTicketChanges(ctx);
  services.hooks.afterCommit.push(hook);

  // The roster seeded from the environment: profiles fetched now, not at each person's first
  // ticket, and without holding start-up on Slack.
  void background.run('roster profiles', () =>
    fetchRosterProfiles(
      directory,
      roster,
      [...config.roster.technicianIds, ...config.roster.adminIds],
      logger,
    ),
  );

  // Cards whose posting was interrupted (a crash, a Slack outage) are posted by a catch-up that
  // runs every CARD_CATCH_UP_MS in every replica; each card is taken by one of them.
  let catchingUp: Promise<unknown> = Promise.resolve();
  const every = deps.cardCatchUpMs ?? CARD_CATCH_UP_MS;
  const catchUp =
    every > 0
      ? setInterval(() => {
          catchingUp = background.run('card catch-up', async () => {
            // After an outage many cards are owed: rounds follow each other while each one finds a
            // full batch to post, rather than one batch a minute.
            while ((await catchUpCards(ctx, CARD_CATCH_UP_BATCH)) >= CARD_CATCH_UP_BATCH);
            await ctx.publisher.catchUpCardUpdates();
          });
        }, every)
      : undefined;
  catchUp?.unref();
  if (deps.inboxTimer !== false) {
    inbox.start();
    outbox.start();
    // What an earlier process acknowledged and did not get to apply (its claims ran out).
    void background.run('slack inbox catch-up', () => inbox.catchUp());
    // What earlier changes owe Slack and nobody holds (Slack failed it, its process died).
    void background.run('slack outbox catch-up', () => outbox.catchUp());
  }

  if (slack.mode === 'socket') await bolt.start();

  return {
    catchUpCards: () => catchUpCards(ctx),
    catchUpInbox: () => inbox.catchUp(),
    catchUpCardUpdates: () => ctx.publisher.catchUpCardUpdates(),
    catchUpOutbox: () => outbox.catchUp(),
    settled: () => background.idle(),
    addressBook: directory,
    teamId: identity?.team_id,
    teamName: identity?.team,
    mode: slack.mode,
    async stop() {
      clearInterval(catchUp);
      await catchingUp;
      await inbox.stop();
      await outbox.stop();
      if (slack.mode === 'socket') await bolt.stop();
      roster.stop();
      await background.idle();
      await cardLeases.stop();
      await webApiFetch.close();
      const index = services.hooks.afterCommit.indexOf(hook);
      if (index >= 0) services.hooks.afterCommit.splice(index, 1);
      const owedAt = services.hooks.inTransaction.indexOf(owed);
      if (owedAt >= 0) services.hooks.inTransaction.splice(owedAt, 1);
    },
  };
}
