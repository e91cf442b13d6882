import type { Express } from 'express';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { TicketServices } from '../tickets/index.js';

export interface SlackDeps {
  config: Config;
  /** The Express app Slack's endpoint (POST /slack/events) is mounted on, beside the status page. */
  app: Express;
  services: TicketServices;
  logger: Logger;
}

export interface SlackHandle {
  stop(): Promise<void>;
}

/** Connects ticketbot to Slack when it is configured. */
export async function startSlack(deps: SlackDeps): Promise<SlackHandle | undefined> {
  if (!deps.config.slack) {
    deps.logger.info(
      'Slack is not connected: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP mode) and optionally SLACK_APP_TOKEN (Socket Mode); see "Connect Slack" in README.md',
    );
    return undefined;
  }
  deps.logger.warn('Slack is configured but the Slack app is not built yet (issue #3)');
  return undefined;
}
