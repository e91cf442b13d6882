import type { AllMiddlewareArgs, SlackActionMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { asActor, type InTransactionHook, type TicketContext } from '../../../tickets/index.js';
import { parseTicketActionsBlockId } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import { beforeDeadline, DATABASE_ANSWER_MS } from '../../deadline.js';
import { explainRefusal, tellWhereClicked } from '../../explain.js';
import { AlreadyApplied, isDatabaseUnavailable } from '../../inbox.js';

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
        selected_option: z.object({ value: z.string() }).nullish(),
        action_ts: z.string().optional(),
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
 * What the inbox keeps of a click (https://docs.slack.dev/reference/interaction-payloads/block_actions-payload):
 * who, which button, and where it was, for the explanation of a refusal. Not the card's blocks.
 */
const storedClickSchema = cardClickSchema.extend({
  trigger_id: z.string().optional(),
  channel: z.object({ id: z.string() }).optional(),
  container: z.object({ type: z.string(), thread_ts: z.string().optional() }).optional(),
  message: z.object({ ts: z.string(), thread_ts: z.string().optional() }).optional(),
});
type StoredClick = z.infer<typeof storedClickSchema>;

function storedClick(body: unknown): StoredClick {
  const click = storedClickSchema.parse(body);
  return {
    user: { id: click.user.id },
    ...(click.view ? { view: { type: click.view.type } } : {}),
    actions: click.actions.slice(0, 1),
    ...(click.trigger_id ? { trigger_id: click.trigger_id } : {}),
    ...(click.channel ? { channel: { id: click.channel.id } } : {}),
    ...(click.container ? { container: click.container } : {}),
    ...(click.message ? { message: { ts: click.message.ts, thread_ts: click.message.thread_ts } } : {}),
  };
}

/** The actor, whose ticket change also marks the click applied in its own transaction. */
function actingOnce(ctx: SlackContext, userId: string, applied: InTransactionHook): TicketContext {
  const actor = asActor(ctx.services, userId);
  return {
    ...actor,
    hooks: { inTransaction: [...actor.hooks.inTransaction, applied], afterCommit: actor.hooks.afterCommit },
  };
}

/**
 * The shape of every button on a ticket (card or App Home): record the click, acknowledge it,
 * then apply it from the inbox (src/slack/inbox.ts): read the ticket and the version it showed
 * from the block, act as the clicking user, and explain a refusal. The change and the click's
 * "applied" mark commit together, so a click is applied once even when a crash makes another
 * process apply it again. The card itself is updated by the after-commit hook.
 */
export function cardAction(
  ctx: SlackContext,
  actionId: string,
  act: (actor: TicketContext, target: CardTarget, click: CardClick) => Promise<unknown>,
) {
  const kind = `card:${actionId}`;
  ctx.inbox.on(kind, async (payload, applied, entry) => {
    const click = storedClickSchema.parse(payload);
    const action = click.actions[0]!;
    const where = parseTicketActionsBlockId(action.block_id);
    if (!where) return;
    try {
      await act(actingOnce(ctx, click.user.id, applied), { ...where, action }, click);
    } catch (error) {
      // Applied elsewhere already, or the database is away (the inbox tries again): nothing to say.
      if (error instanceof AlreadyApplied || isDatabaseUnavailable(error)) throw error;
      if (await entry.appliedElsewhere()) return;
      // Redraw the card too: a refused pick in its user select must not stay on screen.
      void ctx.publisher.refreshCard(where.ticketId);
      await explainRefusal(ctx, click, error);
    } finally {
      // Likewise the App Home the click came from, refused or not.
      if (click.view?.type === 'home') void ctx.publisher.showHome(click.user.id);
    }
  });
  return async ({ ack, body }: SlackActionMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const receivedAt = Date.now();
    const click = storedClick(body);
    const action = click.actions[0]!;
    const where = parseTicketActionsBlockId(action.block_id);
    if (!where) {
      await ack();
      return;
    }
    // Recorded before the ack: once Slack has it, nothing sends the click again.
    // An interaction has no id of its own; its trigger_id is unique to it.
    const key = `action:${click.trigger_id ?? `${click.user.id}:${action.action_ts ?? Date.now()}`}`;
    let id: number | null;
    try {
      // A database that does not answer in time is given up: the person hears to try again, and
      // a record that lands after that is withdrawn, so the click they were told was lost is not
      // applied behind their back.
      id = await beforeDeadline(
        ctx.inbox.record(kind, key, where.ticketId, click),
        receivedAt + DATABASE_ANSWER_MS,
        'recording a click',
        (late) => {
          if (late !== null)
            void ctx.inbox.withdraw(late, 'recorded after its click was answered "try again"');
        },
      );
    } catch (error) {
      await ack();
      ctx.logger.error({ err: error, action: actionId }, 'click not recorded: the database did not take it');
      await tellWhereClicked(ctx, body, (t) => t('refused.tryAgain'));
      return;
    }
    await ack();
    // Null: Slack delivered this click before, and it is applied (or being applied) already.
    // After the ack, the click waits its turn with the other background work: under a burst,
    // acks stay fast and the clicks are applied in order a little later.
    if (id !== null) void ctx.inbox.apply(id, kind, click);
  };
}
