import type { App } from '@slack/bolt';
import type { SlackContext } from '../../context.js';

/** Opening the App Home draws it afresh for that person. */
export function register(app: App, ctx: SlackContext): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    await ctx.publisher.showHome(event.user);
  });
}
