import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { Rating } from '../../../db/models/rating.js';
import type { SlackTranslate } from '../../../i18n/index.js';
import {
  addRatingRemark,
  asActor,
  InvalidTransition,
  isDomainError,
  ValidationFailed,
} from '../../../tickets/index.js';
import { ratingOf } from '../../../tickets/queries.js';
import { REMARK_MAX } from '../../../tickets/validation.js';
import { RATING_REMARK, VIEW_RATING_REMARK } from '../../blocks/ids.js';
import { ratingThanks } from '../../blocks/ratingPrompt.js';
import type { SlackContext } from '../../context.js';
import { explanationOf } from '../../explain.js';
import { textModalSubmission } from './textModalSubmission.js';

const targetSchema = z.object({
  ticketId: z.number().int(),
  resolution: z.number().int(),
  score: z.number().int(),
  channel: z.string(),
  ts: z.string(),
});

const submissionSchema = textModalSubmission(RATING_REMARK, targetSchema);

/**
 * The remark modal submitted: stored on the requester's rating (once; the same modal submitted
 * twice stores it once), then the thank-you DM shows it instead of the "Add a remark" button.
 */
export function register(app: App, ctx: SlackContext): void {
  app.view(VIEW_RATING_REMARK, async ({ ack, body }) => {
    const submission = submissionSchema.parse(body);
    const target = submission.view.metadata;
    const t = ctx.texts.slack(await ctx.directory.language(submission.user.id));
    const remark = submission.text;
    const fieldError = (message: string) =>
      ack({ response_action: 'errors', errors: { [RATING_REMARK.block]: message } });
    let rating: Rating;
    try {
      ({ rating } = await addRatingRemark(asActor(ctx.services, submission.user.id), {
        ticketId: target.ticketId,
        resolution: target.resolution,
        remark,
      }));
    } catch (error) {
      if (!isDomainError(error)) throw error;
      if (error instanceof ValidationFailed) {
        await fieldError(
          remark.length > REMARK_MAX
            ? t('ratingRemarkTooLong', { max: REMARK_MAX })
            : t('ratingRemarkRequired'),
        );
        return;
      }
      await fieldError(explanationOf(error, t));
      // Remarked already (from an older copy of the modal): the thank-you may still offer to add one.
      if (error instanceof InvalidTransition && error.reason === 'remark_already_added') {
        const stored = await ratingOf(ctx.services.db, target.ticketId, target.resolution);
        if (stored) showRemark(ctx, target, stored, t);
      }
      return;
    }
    await ack();
    showRemark(ctx, target, rating, t);
  });
}

/** The thank-you DM shows the remark in place of its "Add a remark" button; a failure is logged. */
function showRemark(
  ctx: SlackContext,
  target: z.infer<typeof targetSchema>,
  rating: Rating,
  t: SlackTranslate,
) {
  void ctx.background.run(
    'show rating remark',
    () => ctx.client.chat.update({ channel: target.channel, ts: target.ts, ...ratingThanks(rating, t) }),
    { ticketId: target.ticketId },
  );
}
