import type { App } from '@slack/bolt';
import { z } from 'zod';
import { PRIORITIES, type Priority } from '../../../db/models/ticket.js';
import { businessDayMinutes } from '../../../sla/businessTime.js';
import { writeTarget } from '../../../sla/settings.js';
import { requestTypeById } from '../../../tickets/index.js';
import { ACTION_REQUEST_TYPE_EDIT } from '../../blocks/ids.js';
import { requestTypeModal } from '../../blocks/requestTypeModal.js';
import type { SlackContext } from '../../context.js';
import { explainRefusal } from '../../explain.js';

/** Each priority's target as written, the placeholders of the modal's target fields. */
function defaultTargetsOf(ctx: SlackContext): Record<Priority, string> | undefined {
  const policy = ctx.services.sla;
  if (!policy) return undefined;
  const day = businessDayMinutes(policy.calendar);
  return Object.fromEntries(
    PRIORITIES.map((priority) => [priority, writeTarget(policy.targets[priority], day)]),
  ) as Record<Priority, string>;
}

const clickSchema = z.object({
  trigger_id: z.string(),
  user: z.object({ id: z.string() }),
  actions: z.array(z.object({ value: z.string().optional() })).min(1),
});

/**
 * An admin's Edit (or Add a request type) in the App Home opens the request type modal. The
 * trigger_id lasts three seconds, so the modal is drawn from what is at hand: the roster in
 * memory and one read of the type. Saving checks again that the person is an admin.
 */
export function register(app: App, ctx: SlackContext): void {
  app.action(ACTION_REQUEST_TYPE_EDIT, async ({ ack, body }) => {
    await ack();
    const click = clickSchema.parse(body);
    const value = click.actions[0]!.value ?? 'new';
    const type = value === 'new' ? undefined : await requestTypeById(ctx.services.db, Number(value));
    const t = ctx.texts.slack(await ctx.directory.languageNow(click.user.id));
    try {
      await ctx.client.views.open({
        trigger_id: click.trigger_id,
        view: requestTypeModal(type, ctx.roster.current(), t, defaultTargetsOf(ctx)),
      });
    } catch (error) {
      await explainRefusal(ctx, body, error);
    }
  });
}
