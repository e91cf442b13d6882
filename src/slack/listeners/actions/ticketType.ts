import type { App } from '@slack/bolt';
import { changeRequestType, ValidationFailed } from '../../../tickets/index.js';
import { ACTION_TYPE } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import { cardAction } from './cardAction.js';

/**
 * The card's type select: a technician or admin changes the ticket's type (the domain refuses
 * anybody else, and the refusal is explained where they clicked). A static_select's pick comes
 * back as `selected_option` (https://docs.slack.dev/reference/interaction-payloads/block_actions-payload).
 */
export function register(app: App, ctx: SlackContext): void {
  app.action(
    ACTION_TYPE,
    cardAction(ctx, ACTION_TYPE, (actor, { ticketId, version, action }) => {
      const requestTypeId = Number(action.selected_option?.value);
      if (!Number.isSafeInteger(requestTypeId) || requestTypeId <= 0)
        throw new ValidationFailed({ requestType: 'Pick a request type' });
      return changeRequestType(actor, { ticketId, requestTypeId, expectedVersion: version });
    }),
  );
}
