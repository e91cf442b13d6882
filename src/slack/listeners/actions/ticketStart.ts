import type { App } from '@slack/bolt';
import { changeStatus } from '../../../tickets/index.js';
import { ACTION_START } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import { cardAction } from './cardAction.js';

export function register(app: App, ctx: SlackContext): void {
  app.action(
    ACTION_START,
    cardAction(ctx, ACTION_START, (actor, { ticketId, version }) =>
      changeStatus(actor, { ticketId, status: 'in_progress', expectedVersion: version }),
    ),
  );
}
