import type { App } from '@slack/bolt';
import { z } from 'zod';
import { asActor, setAvailability } from '../../../tickets/index.js';
import { ACTION_AVAILABILITY } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import { explainRefusal } from '../../explain.js';

const clickSchema = z.object({
  user: z.object({ id: z.string() }),
  actions: z.array(z.object({ value: z.string().optional() })).min(1),
});

/** A technician sets themselves Away or Available from the App Home, which is redrawn. */
export function register(app: App, ctx: SlackContext): void {
  app.action(ACTION_AVAILABILITY, async ({ ack, body }) => {
    await ack();
    const click = clickSchema.parse(body);
    try {
      await setAvailability(asActor(ctx.services, click.user.id), click.actions[0]!.value === 'away');
      void ctx.publisher.showHome(click.user.id);
    } catch (error) {
      await explainRefusal(ctx, body, error);
    }
  });
}
