import type { AllMiddlewareArgs, SlackActionMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { asActor, type TicketContext } from '../../../tickets/index.js';
import { parseTicketActionsBlockId } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import { explainRefusal } from '../../explain.js';

export const cardClickSchema = z.object({
  user: z.object({ id: z.string() }),
  view: z.object({ type: z.string() }).optional(),
  actions: z
    .array(
      z.object({
        action_id: z.string(),
        block_id: z.string(),
        value: z.string().optional(),
        selected_user: z.string().nullish(),
      }),
    )
    .min(1),
});

export type CardClick = z.infer<typeof cardClickSchema>;
export interface CardTarget {
  ticketId: number;
  /** The ticket version the clicked card showed. */
  version: number;
  action: CardClick['actions'][number];
}

/**
 * The shape of every button on a ticket (card or App Home): acknowledge at once, read the
 * ticket and the version it showed from the block, act as the clicking user, and explain a
 * refusal. The card itself is updated by the after-commit hook, whatever made the change.
 */
export function cardAction(
  ctx: SlackContext,
  act: (actor: TicketContext, target: CardTarget, click: CardClick) => Promise<unknown>,
) {
  return async ({ ack, body }: SlackActionMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const click = cardClickSchema.parse(body);
    const action = click.actions[0]!;
    const where = parseTicketActionsBlockId(action.block_id);
    if (!where) return;
    // After the ack, the click waits its turn with the other background work: under a burst,
    // acks stay fast and the clicks are applied in order a little later.
    void ctx.background.run(
      'card action',
      async () => {
        try {
          await act(asActor(ctx.services, click.user.id), { ...where, action }, click);
        } catch (error) {
          // Redraw the card too: a refused pick in its user select must not stay on screen.
          void ctx.publisher.refreshCard(where.ticketId);
          await explainRefusal(ctx, body, error);
        } finally {
          // Likewise the App Home the click came from, refused or not.
          if (click.view?.type === 'home') void ctx.publisher.showHome(click.user.id);
        }
      },
      { ticketId: where.ticketId, action: action.action_id },
    );
  };
}
