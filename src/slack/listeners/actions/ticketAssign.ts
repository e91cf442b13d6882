import type { App } from '@slack/bolt';
import { assignTicket } from '../../../tickets/index.js';
import { ACTION_ASSIGN } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import { cardAction } from './cardAction.js';

export function register(app: App, ctx: SlackContext): void {
  app.action(
    ACTION_ASSIGN,
    cardAction(ctx, ACTION_ASSIGN, (actor, { ticketId, version, action }) =>
      assignTicket(actor, { ticketId, technicianId: action.selected_user ?? null, expectedVersion: version }),
    ),
  );
}
