import type { App } from '@slack/bolt';
import { addTechnician } from '../../../tickets/index.js';
import { ACTION_ROSTER_ADD } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import { rosterAction } from './rosterChange.js';

export function register(app: App, ctx: SlackContext): void {
  rosterAction(app, ctx, ACTION_ROSTER_ADD, (action) => action.selected_user, addTechnician);
}
