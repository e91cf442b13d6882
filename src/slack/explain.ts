import { z } from 'zod';
import type { SlackTranslate } from '../i18n/index.js';
import { isDomainError, ValidationFailed } from '../tickets/index.js';
import { noticeModal } from './blocks/commentModal.js';
import type { SlackContext } from './context.js';
import { beforeDeadline } from './deadline.js';

/** How long an explanation waits for its reader's profile (for the language) before going without. */
const PROFILE_WAIT_MS = 1_000;

/** Where a refused click came from, read from a block_actions payload. */
const whereSchema = z.object({
  user: z.object({ id: z.string() }),
  trigger_id: z.string().optional(),
  channel: z.object({ id: z.string() }).optional(),
  container: z.object({ type: z.string(), thread_ts: z.string().optional() }).optional(),
  message: z.object({ ts: z.string(), thread_ts: z.string().optional() }).optional(),
});

export function explanationOf(error: unknown, t: SlackTranslate): string {
  if (error instanceof ValidationFailed && error.fields.technicianId) return t('rosterNotTechnician');
  if (isDomainError(error)) return refusal(t, error.reason);
  return t('refused.unexpected');
}

/** The explanation for a refused action, by the domain error's reason. */
export function refusal(t: SlackTranslate, reason: string): string {
  const key = `refused.${reason}`;
  return t.has(key) ? t(key) : t('refused.unexpected');
}

/**
 * Tells the person who clicked why nothing happened: an ephemeral message where they clicked,
 * or a small modal from the App Home (which has no channel). The modal needs the click's
 * trigger_id, which Slack honours for 3 s only; when it has run out (a busy moment), the
 * explanation comes as a DM instead. Unknown errors are logged.
 */
export async function explainRefusal(ctx: SlackContext, body: unknown, error: unknown): Promise<void> {
  const where = whereSchema.parse(body);
  if (!isDomainError(error))
    ctx.logger.error({ err: error, slackUser: where.user.id }, 'Slack action failed');
  await tellWhereClicked(ctx, body, (t) => explanationOf(error, t));
}

/**
 * Says something to the person who clicked, in their language, where they clicked: as an
 * ephemeral message in a channel or DM (chat.postEphemeral takes "Channel, private group, or IM
 * channel", https://docs.slack.dev/reference/methods/chat.postEphemeral), else as a small modal
 * or, once the click's trigger_id has run out, a DM.
 */
export async function tellWhereClicked(
  ctx: SlackContext,
  body: unknown,
  say: (t: SlackTranslate) => string,
): Promise<void> {
  const where = whereSchema.parse(body);
  // The profile only says the language: with the database away (a "try again"), the answer is
  // not held up for it, and comes in the default language while the trigger_id is still good.
  const user = await beforeDeadline(
    ctx.directory.profile(where.user.id),
    Date.now() + PROFILE_WAIT_MS,
    'reading a profile for its language',
  ).catch(() => null);
  const t = ctx.texts.slack(user?.locale);
  const text = say(t);
  if (where.channel && where.container?.type === 'message') {
    await ctx.client.chat.postEphemeral({
      channel: where.channel.id,
      user: where.user.id,
      text,
      thread_ts: where.container.thread_ts ?? where.message?.thread_ts,
    });
  } else {
    const shown =
      where.trigger_id !== undefined &&
      (await ctx.client.views.open({ trigger_id: where.trigger_id, view: noticeModal(text, t) }).then(
        () => true,
        (failure: unknown) => {
          ctx.logger.warn(
            { err: failure, slackUser: where.user.id },
            'explanation modal not opened; sent as a DM',
          );
          return false;
        },
      ));
    if (!shown) await ctx.publisher.dm(where.user.id, { text });
  }
}
