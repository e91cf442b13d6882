import type { App } from '@slack/bolt';
import { removeTechnician } from '../../../tickets/index.js';
import { ACTION_ROSTER_REMOVE } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import { rosterAction } from './rosterChange.js';

export function register(app: App, ctx: SlackContext): void {
  // A Remove button on a technician's row, or the "Remove a technician" select that reaches those
  // beyond the rows the App Home shows.
  rosterAction(
    app,
    ctx,
    ACTION_ROSTER_REMOVE,
    (action) => action.value ?? action.selected_user,
    removeTechnician,
  );
}
