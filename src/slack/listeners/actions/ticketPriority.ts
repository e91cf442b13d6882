import type { App } from '@slack/bolt';
import { PRIORITIES, type Priority } from '../../../db/models/ticket.js';
import { changePriority, ValidationFailed } from '../../../tickets/index.js';
import { ACTION_PRIORITY } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import { cardAction } from './cardAction.js';

/**
 * The card's priority select: a technician or admin changes the ticket's priority, and its
 * service-level due times follow (the domain refuses anybody else, and the refusal is explained
 * where they clicked). A static_select's pick comes back as `selected_option`
 * (https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element,
 * https://docs.slack.dev/reference/interaction-payloads/block_actions-payload).
 */
export function register(app: App, ctx: SlackContext): void {
  app.action(
    ACTION_PRIORITY,
    cardAction(ctx, ACTION_PRIORITY, (actor, { ticketId, version, action }) => {
      const priority = action.selected_option?.value;
      if (!PRIORITIES.includes(priority as Priority))
        throw new ValidationFailed({ priority: 'Pick a priority' });
      return changePriority(actor, { ticketId, priority: priority as Priority, expectedVersion: version });
    }),
  );
}
