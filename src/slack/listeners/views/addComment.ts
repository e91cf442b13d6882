import type { App } from '@slack/bolt';
import { z } from 'zod';
import { addComment, asActor, isDomainError, ValidationFailed } from '../../../tickets/index.js';
import { COMMENT_FIELD, VIEW_ADD_COMMENT } from '../../blocks/ids.js';
import { LIMITS } from '../../blocks/limits.js';
import type { SlackContext } from '../../context.js';
import { explanationOf } from '../../explain.js';
import { submissionKeyOf } from '../../submissionKey.js';
import { textModalSubmission } from './textModalSubmission.js';

const submissionSchema = textModalSubmission(COMMENT_FIELD, z.object({ ticketId: z.number().int() }));

/**
 * The comment modal submitted: stored as the user, then copied into the card's thread by the hook.
 * Slack keeps a modal's view id when it is submitted again; the comment remembers it (its
 * submission key), so a repeat is acknowledged and changes nothing.
 */
export function register(app: App, ctx: SlackContext): void {
  app.view(VIEW_ADD_COMMENT, async ({ ack, body }) => {
    const submission = submissionSchema.parse(body);
    const t = ctx.texts.slack(await ctx.directory.languageNow(submission.user.id));
    const { text } = submission;
    // The field's max_length keeps Slack from sending more; this is the backstop.
    if (text === '' || text.length > LIMITS.plainTextInput) {
      const message =
        text === '' ? t('errorCommentRequired') : t('errorCommentTooLong', { max: LIMITS.plainTextInput });
      await ack({ response_action: 'errors', errors: { [COMMENT_FIELD.block]: message } });
      return;
    }
    try {
      await addComment(asActor(ctx.services, submission.user.id), {
        ticketId: submission.view.metadata.ticketId,
        body: text,
        // Submitted again (a double click, a slow answer), the same modal adds nothing more.
        submissionKey: submissionKeyOf(submission.view.id),
      });
    } catch (error) {
      // A database failure too is said on the field (nothing was stored; Submit tries again).
      if (!isDomainError(error))
        ctx.logger.error({ err: error, slackUser: submission.user.id }, 'comment not stored');
      const message = error instanceof ValidationFailed ? t('errorCommentRequired') : explanationOf(error, t);
      await ack({ response_action: 'errors', errors: { [COMMENT_FIELD.block]: message } });
      return;
    }
    await ack();
  });
}
