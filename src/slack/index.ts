import { App, ExpressReceiver } from '@slack/bolt';
import { ErrorCode } from '@slack/web-api';
import type { Express } from 'express';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { TicketServices } from '../tickets/index.js';
import { Background } from './background.js';
import { boltLogger } from './boltLogger.js';
import type { SlackContext } from './context.js';
import { UserDirectory } from './directory.js';
import { reactToTicketChanges } from './hooks.js';
import { ignoreUnknown } from './ignoreUnknown.js';
import { registerListeners } from './listeners/index.js';
import { catchUpCards } from './newTicketDelivery.js';
import { Publisher } from './publisher.js';
import { RosterCache } from './roster.js';
import { answerSslCheck } from './sslCheck.js';
import { createWebApiFetch } from './webApiFetch.js';

/** How often interrupted card postings are looked for. */
const CARD_CATCH_UP_MS = 60_000;

export interface SlackDeps {
  config: Config;
  /** The Express app Slack's endpoint (POST /slack/events) is mounted on, beside the status page. */
  app: Express;
  services: TicketServices;
  logger: Logger;
  /** CARD_CATCH_UP_MS unless said otherwise; 0 runs catch-ups only through catchUpCards(). */
  cardCatchUpMs?: number;
}

export interface SlackHandle {
  /** Posts the cards whose posting was interrupted now (it also runs every minute). */
  catchUpCards(): Promise<number>;
  /** The workspace the bot is installed in (auth.test): the only one whose people may sign in. */
  teamId: string | undefined;
  stop(): Promise<void>;
}

export const SLACK_EVENTS_PATH = '/slack/events';

const NOT_CONNECTED =
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
    logger.info(NOT_CONNECTED);
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
  const clientOptions = {
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}),
    fetch: webApiFetch.fetch,
    // Rate limits are waited out by the client; a few quick retries for network errors, no more,
    // since a card that misses an update catches up at the next one.
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
    // A call Slack does not answer is given up (then retried): no background task hangs for ever,
    // which the lease on posting a new card relies on (src/slack/newTicketDelivery.ts).
    timeout: 20_000,
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
  // The workspace's address, from which message links are made without a chat.getPermalink call.
  const identity = await bolt.client.auth.test().catch((error: unknown) => {
    logger.warn({ err: error }, 'auth.test gave no workspace URL; links will come from chat.getPermalink');
    return undefined;
  });
  const workspaceUrl = identity?.url;

  const background = new Background(logger);
  const directory = new UserDirectory(services.db, bolt.client, logger);
  const roster = new RosterCache(services.db, logger);
  await roster.start();
  const ctx: SlackContext = {
    config,
    services,
    logger,
    client: bolt.client,
    directory,
    roster,
    publisher: new Publisher(services.db, bolt.client, directory, background, logger, workspaceUrl),
    background,
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
  const hook = reactToTicketChanges(ctx);
  services.hooks.afterCommit.push(hook);

  // Cards whose posting was interrupted (a crash, a Slack outage) are posted by a catch-up that
  // runs every minute in every replica; each card is taken by one of them.
  let catchingUp: Promise<unknown> = Promise.resolve();
  const every = deps.cardCatchUpMs ?? CARD_CATCH_UP_MS;
  const catchUp =
    every > 0
      ? setInterval(() => {
          catchingUp = background.run('card catch-up', () => catchUpCards(ctx));
        }, every)
      : undefined;
  catchUp?.unref();

  if (slack.mode === 'socket') await bolt.start();
  logger.info(
    { mode: slack.mode, path: slack.mode === 'http' ? SLACK_EVENTS_PATH : undefined },
    'Slack connected',
  );

  return {
    catchUpCards: () => catchUpCards(ctx),
    teamId: identity?.team_id,
    async stop() {
      clearInterval(catchUp);
      await catchingUp;
      if (slack.mode === 'socket') await bolt.stop();
      roster.stop();
      await background.idle();
      await webApiFetch.close();
      const index = services.hooks.afterCommit.indexOf(hook);
      if (index >= 0) services.hooks.afterCommit.splice(index, 1);
    },
  };
}
