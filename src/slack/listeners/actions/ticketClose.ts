import type { App } from '@slack/bolt';
import { changeStatus } from '../../../tickets/index.js';
import { ACTION_CLOSE } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import { cardAction } from './cardAction.js';

export function register(app: App, ctx: SlackContext): void {
  app.action(
    ACTION_CLOSE,
    cardAction(ctx, ACTION_CLOSE, (actor, { ticketId, version }) =>
      changeStatus(actor, { ticketId, status: 'closed', expectedVersion: version }),
    ),
  );
}
