import type { App } from '@slack/bolt';
import { z } from 'zod';
import { NEW_TICKET_FIELDS as F } from '../../blocks/ids.js';
import { newTicketModal } from '../../blocks/newTicketModal.js';
import type { SlackContext } from '../../context.js';
import { slackErrorOf } from '../../slackErrors.js';
import { metadataSchema, prefillFromState, safeJson, stateValue } from '../views/newTicket.js';

/** block_actions from a modal (https://docs.slack.dev/reference/interaction-payloads/block_actions-payload/). */
const switchSchema = z.object({
  user: z.object({ id: z.string() }),
  view: z.object({
    id: z.string(),
    hash: z.string(),
    private_metadata: z.string().default(''),
    state: z.object({ values: z.record(z.string(), z.record(z.string(), stateValue)) }),
  }),
});

/**
 * Another request type picked in the new-ticket modal: the modal is redrawn with that type's
 * description and fields, keeping what was typed. views.update names the view and the hash Slack
 * gave it, so a redraw made from an older state is refused (`hash_conflict`) rather than undoing
 * a newer one (https://docs.slack.dev/reference/methods/views.update/).
 */
export function register(app: App, ctx: SlackContext): void {
  app.action(F.requestType.action, async ({ ack, body }) => {
    await ack();
    const picked = switchSchema.safeParse(body);
    if (!picked.success) return;
    const { view, user } = picked.data;
    const prefill = prefillFromState(view.state.values);
    const metadata = metadataSchema.parse(safeJson(view.private_metadata));
    if (prefill.requestTypeId === metadata.requestTypeId) return;
    const t = ctx.texts.slack(await ctx.directory.languageNow(user.id));
    try {
      await ctx.client.views.update({
        view_id: view.id,
        hash: view.hash,
        view: newTicketModal(prefill, ctx.roster.current(), metadata, t, ctx.roster.requestTypes()),
      });
    } catch (error) {
      // A newer pick redrew it first: that redraw stands.
      if (slackErrorOf(error) === 'hash_conflict') return;
      throw error;
    }
  });
}
