import type { App } from '@slack/bolt';
import { reopenTicket } from '../../../tickets/index.js';
import { ACTION_REOPEN } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import { cardAction } from './cardAction.js';

export function register(app: App, ctx: SlackContext): void {
  app.action(
    ACTION_REOPEN,
    cardAction(ctx, ACTION_REOPEN, (actor, { ticketId, version }) =>
      reopenTicket(actor, { ticketId, expectedVersion: version }),
    ),
  );
}
