import type { WebClient } from '@slack/web-api';
import type { Config } from '../config.js';
import type { Texts } from '../i18n/index.js';
import type { Logger } from '../logger.js';
import type { TicketServices } from '../tickets/index.js';
import type { Background } from './background.js';
import type { CardLeases } from './cardLeases.js';
import type { UserDirectory } from './directory.js';
import type { Inbox } from './inbox.js';
import type { SlackOutbox } from './outbox.js';
import type { Publisher } from './publisher.js';
import type { RosterCache } from './roster.js';

/** What every listener gets: the ticket services plus the Slack-side helpers. */
export interface SlackContext {
  config: Config;
  /** Every text, in every language (src/i18n). */
  texts: Texts;
  services: TicketServices;
  logger: Logger;
  client: WebClient;
  directory: UserDirectory;
  roster: RosterCache;
  publisher: Publisher;
  background: Background;
  /** Where acknowledged clicks and events wait to be applied (src/slack/inbox.ts). */
  inbox: Inbox;
  /** The new-ticket deliveries this process holds, renewed by its heartbeat (src/slack/cardLeases.ts). */
  cardLeases: CardLeases;
  /** What ticket changes owe Slack, until Slack has taken it (src/slack/outbox.ts). */
  outbox: SlackOutbox;
  /**
   * How long a submission answered "making sure" is tried before it is given back by DM
   * (src/slack/unsureSubmission.ts; tests shorten it).
   */
  unsureSettleMs?: number;
}
