import type { App } from '@slack/bolt';
import { assignTicket } from '../../../tickets/index.js';
import { ACTION_UNASSIGN } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import { cardAction } from './cardAction.js';

// A users_select cannot be cleared once it shows someone, so unassigning is its own button.
export function register(app: App, ctx: SlackContext): void {
  app.action(
    ACTION_UNASSIGN,
    cardAction(ctx, ACTION_UNASSIGN, (actor, { ticketId, version }) =>
      assignTicket(actor, { ticketId, technicianId: null, expectedVersion: version }),
    ),
  );
}
