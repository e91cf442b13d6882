import type { App } from '@slack/bolt';
import { removeTechnician } from '../../../tickets/index.js';
import { ACTION_ROSTER_REMOVE } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import { rosterAction } from './rosterChange.js';

export function register(app: App, ctx: SlackContext): void {
  rosterAction(app, ctx, ACTION_ROSTER_REMOVE, (action) => action.value, removeTechnician);
}
