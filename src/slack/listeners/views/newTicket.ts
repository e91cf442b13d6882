import type { App } from '@slack/bolt';
import { z } from 'zod';
import { PRIORITIES, type Priority } from '../../../db/models/ticket.js';
import type { SlackTranslate } from '../../../i18n/index.js';
import {
  AlreadySubmitted,
  asActor,
  createTicket,
  DESCRIPTION_MAX,
  TITLE_MAX,
  type TicketChange,
  ValidationFailed,
} from '../../../tickets/index.js';
import {
  fieldKey,
  LONG_VALUE_MAX,
  type RequestTypeView,
  SHORT_VALUE_MAX,
} from '../../../tickets/requestTypes.js';
import { noticeModal } from '../../blocks/commentModal.js';
import { NEW_TICKET_FIELDS as F, REQUEST_FIELD_ACTION, VIEW_NEW_TICKET } from '../../blocks/ids.js';
import type { NewTicketPrefill } from '../../blocks/newTicketModal.js';
import type { SlackContext } from '../../context.js';
import { beforeDeadline, DATABASE_ANSWER_MS, TooSlow } from '../../deadline.js';
import { deliverAfterUnknownCommit, deliverNewTicket } from '../../newTicketDelivery.js';
import { cardChannelFor } from '../../newTicketFlow.js';
import { insertCard } from '../../store/cards.js';
import { submissionKeyOf } from '../../submissionKey.js';
import { settleUnsureSubmission, type UnsureSubmission } from '../../unsureSubmission.js';

/** The language is looked up only this long before the default one is used. */
const LANGUAGE_WAIT_MS = 1_000;
/** The ticket's transaction commits only with this much left of the answer's time. */
const COMMIT_ALLOWANCE_MS = 300;

export const stateValue = z.object({
  value: z.string().nullish(),
  selected_option: z.object({ value: z.string() }).nullish(),
});
const submissionSchema = z.object({
  user: z.object({ id: z.string() }),
  view: z.object({
    id: z.string().optional(),
    private_metadata: z.string().default(''),
    state: z.object({ values: z.record(z.string(), z.record(z.string(), stateValue)) }),
  }),
});
/** What the modal carried from where it was opened; anything unreadable counts as nothing. */
export const metadataSchema = z
  .object({
    channelId: z.string().optional(),
    source: z.object({ channelId: z.string(), messageTs: z.string() }).optional(),
    requestTypeId: z.number().int().optional(),
  })
  .catch({});

type StateValues = Record<string, Record<string, z.infer<typeof stateValue>>>;

/** What the person has typed and picked so far, to draw the modal again (another request type). */
export function prefillFromState(values: StateValues): NewTicketPrefill {
  const read = (block: string, action: string) => {
    const state = values[block]?.[action];
    return state?.selected_option?.value ?? state?.value ?? undefined;
  };
  const fields: Record<string, string> = {};
  for (const [block, actions] of Object.entries(values)) {
    if (!block.startsWith('field_')) continue;
    const state = actions[REQUEST_FIELD_ACTION];
    const value = state?.selected_option?.value ?? state?.value;
    if (value) fields[block.slice('field_'.length)] = value;
  }
  const priority = read(F.priority.block, F.priority.action);
  const requestTypeId = Number(read(F.requestType.block, F.requestType.action));
  return {
    title: read(F.title.block, F.title.action),
    description: read(F.description.block, F.description.action),
    priority: (PRIORITIES as readonly string[]).includes(priority ?? '') ? (priority as Priority) : undefined,
    technicianId: read(F.technician.block, F.technician.action) ?? null,
    requestTypeId: Number.isInteger(requestTypeId) && requestTypeId > 0 ? requestTypeId : undefined,
    fields,
  };
}

/** The answers to `type`'s fields checked as the domain will check them, with texts in the person's language. */
function typeFieldErrors(
  type: RequestTypeView,
  answers: Record<string, string>,
  t: SlackTranslate,
): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const field of type.fields) {
    const value = (answers[field.id] ?? '').trim();
    const max = field.kind === 'long' ? LONG_VALUE_MAX : SHORT_VALUE_MAX;
    if (!value) {
      if (field.required) errors[fieldKey(field.id)] = t('errorFieldRequired');
    } else if (field.kind === 'choice' && !(field.options ?? []).includes(value)) {
      errors[fieldKey(field.id)] = t('errorFieldChoice');
    } else if (field.kind !== 'choice' && value.length > max) {
      errors[fieldKey(field.id)] = t('errorFieldTooLong', { max });
    }
  }
  return errors;
}

/** One schema per language, built once: building a zod schema costs far more than using it. */
const formSchemas = new WeakMap<SlackTranslate, ReturnType<typeof buildFormSchema>>();

function formSchema(t: SlackTranslate) {
  let schema = formSchemas.get(t);
  if (!schema) {
    schema = buildFormSchema(t);
    formSchemas.set(t, schema);
  }
  return schema;
}

function buildFormSchema(t: SlackTranslate) {
  return z.object({
    [F.title.block]: z
      .string()
      .trim()
      .min(1, t('errorTitleRequired'))
      .max(TITLE_MAX, t('errorTitleTooLong', { max: TITLE_MAX })),
    [F.description.block]: z
      .string()
      .max(DESCRIPTION_MAX, t('errorDescriptionTooLong', { max: DESCRIPTION_MAX })),
    [F.priority.block]: z.enum(PRIORITIES, t('errorPriority')),
    [F.technician.block]: z.string().nullable(),
  });
}

/** Domain field names → the modal blocks that show their errors. */
const BLOCK_OF_FIELD: Record<string, string> = {
  title: F.title.block,
  description: F.description.block,
  priority: F.priority.block,
  technicianId: F.technician.block,
};

function fieldErrors(error: ValidationFailed, t: SlackTranslate): Record<string, string> {
  const generic: Record<string, string> = {
    [F.title.block]: t('errorTitleRequired'),
    [F.description.block]: t('errorDescriptionTooLong', { max: DESCRIPTION_MAX }),
    [F.priority.block]: t('errorPriority'),
    [F.technician.block]: t('errorTechnician'),
  };
  const errors: Record<string, string> = {};
  for (const field of Object.keys(error.fields)) {
    if (field.startsWith('field_')) {
      errors[field] = t('errorFieldRequired');
      continue;
    }
    if (field === 'requestType') {
      errors[F.requestType.block] = t('errorRequestType');
      continue;
    }
    const block = BLOCK_OF_FIELD[field] ?? F.title.block;
    errors[block] = generic[block]!;
  }
  return errors;
}

/**
 * The new-ticket modal submitted: errors shown on their fields, or the ticket created, then its
 * card posted. Nothing before the ack waits on Slack's Web API: the language is the one known
 * already, and the link to a source message is made from the workspace's address (or looked up
 * after the ack, src/slack/newTicketDelivery.ts).
 */
export function register(app: App, ctx: SlackContext): void {
  app.view(VIEW_NEW_TICKET, async ({ ack, body }) => {
    // Slack shows its own error after three seconds: the database gets DATABASE_ANSWER_MS of them.
    const answerBy = Date.now() + DATABASE_ANSWER_MS;
    const submission = submissionSchema.parse(body);
    const userId = submission.user.id;
    // The person's language, if the database answers at once; else the default one.
    const language = await beforeDeadline(
      ctx.directory.languageNow(userId),
      Date.now() + LANGUAGE_WAIT_MS,
      'the language of the person',
    ).catch(() => undefined);
    const t = ctx.texts.slack(language);
    const values = submission.view.state.values;
    const read = (field: { block: string; action: string }) => {
      const state = values[field.block]?.[field.action];
      return state?.selected_option?.value ?? state?.value ?? null;
    };
    const form = formSchema(t).safeParse({
      [F.title.block]: read(F.title) ?? '',
      [F.description.block]: read(F.description) ?? '',
      [F.priority.block]: read(F.priority) ?? 'normal',
      [F.technician.block]: read(F.technician),
    });
    const metadata = metadataSchema.parse(safeJson(submission.view.private_metadata));
    // With request types defined, the modal shows one type's fields (metadata.requestTypeId).
    const types = ctx.roster.requestTypes();
    const prefill = prefillFromState(values);
    const type = types.length > 0 ? types.find((each) => each.id === prefill.requestTypeId) : undefined;
    if (types.length > 0 && !type) {
      await ack({ response_action: 'errors', errors: { [F.requestType.block]: t('errorRequestType') } });
      return;
    }
    if (type && type.id !== metadata.requestTypeId) {
      // Another type picked, and its fields not drawn yet (the redraw is on its way).
      await ack({ response_action: 'errors', errors: { [F.requestType.block]: t('errorTypeRedrawn') } });
      return;
    }
    const errors: Record<string, string> = type ? typeFieldErrors(type, prefill.fields ?? {}, t) : {};
    if (!form.success) {
      for (const issue of form.error.issues) errors[String(issue.path[0])] ??= issue.message;
    }
    if (!form.success || Object.keys(errors).length > 0) {
      await ack({ response_action: 'errors', errors });
      return;
    }
    const source = metadata.source
      ? {
          ...metadata.source,
          permalink: ctx.publisher.linkTo(metadata.source.channelId, metadata.source.messageTs) ?? null,
        }
      : undefined;
    // A type's own channel first (a private type's cards stay in its private channel).
    const cardChannelId = type?.channelId ?? cardChannelFor(ctx, metadata.channelId);
    if (!cardChannelId) {
      // A modal opened where there was a channel to use, submitted after that changed.
      await ack({ response_action: 'errors', errors: { [F.title.block]: t('needHelpdeskChannel') } });
      return;
    }
    let change: TicketChange;
    const leaseUntil = ctx.cardLeases.leaseEnd();
    const submissionKey = submission.view.id ? submissionKeyOf(submission.view.id) : undefined;
    // Set once this attempt's statements are done and its COMMIT is about to be sent; from then
    // until the COMMIT answers, whether the ticket is stored is not known here.
    let committing = false;
    const ticketProps = {
      title: form.data[F.title.block] as string,
      description: form.data[F.description.block] as string,
      priority: form.data[F.priority.block] as (typeof PRIORITIES)[number],
      technicianId: form.data[F.technician.block] as string | null,
      requestTypeId: type?.id ?? null,
      fields: prefill.fields,
      source,
      submissionKey,
    };
    const storeCard = (ticketId: number, transaction: Parameters<typeof insertCard>[1]) =>
      insertCard(ctx.services.db, transaction, {
        ticketId,
        channelId: cardChannelId,
        leaseUntil,
        leaseOwner: ctx.cardLeases.owner,
      });
    const tooLate = () => Date.now() > answerBy - COMMIT_ALLOWANCE_MS;
    try {
      const creating = createTicket(asActor(ctx.services, userId), {
        ...ticketProps,
        // The card it is owed, stored with the ticket: the delivery below, or a catch-up, posts it.
        inTransaction: async ({ ticket }, transaction) => {
          committing = false;
          // Too late to commit and still answer in time: rolled back, and the person told to try
          // again. Checked again once the statements are done, right before COMMIT is sent.
          if (tooLate()) throw new TooSlow('creating a ticket');
          await storeCard(ticket.id, transaction);
          if (tooLate()) throw new TooSlow('creating a ticket');
          committing = true;
        },
      });
      // 'unsure': the deadline came while the ticket's COMMIT was under way.
      const answer: TicketChange | 'unsure' = await beforeDeadline(
        creating,
        answerBy,
        'creating a ticket',
      ).catch((error: unknown): 'unsure' => {
        if (error instanceof TooSlow && committing && submissionKey) return 'unsure';
        throw error;
      });
      if (answer === 'unsure') {
        // The deadline came while COMMIT was under way: neither "stored" nor "try again" can be
        // said truthfully, so ticketbot takes the submission on and makes sure it is stored once.
        ctx.logger.warn(
          { slackUser: userId },
          "a new ticket's COMMIT had not answered in time: the submission is taken on and made sure of",
        );
        await ack({ response_action: 'update', view: noticeModal(t('submissionBeingMadeSure'), t) });
        const unsure: UnsureSubmission = {
          userId,
          key: submissionKey!,
          title: ticketProps.title,
          description: ticketProps.description,
          attempt: creating,
          again: () =>
            createTicket(asActor(ctx.services, userId), {
              ...ticketProps,
              inTransaction: ({ ticket }, transaction) => storeCard(ticket.id, transaction),
            }),
          hold: (stored) => ctx.cardLeases.hold(stored.ticket.id, leaseUntil),
        };
        void ctx.background.run('make sure of a submission', () =>
          settleUnsureSubmission(ctx, unsure, ctx.unsureSettleMs),
        );
        return;
      }
      change = answer;
    } catch (error) {
      if (error instanceof AlreadySubmitted) {
        // The same modal submitted again (the first answer was slow, or Slack showed an error):
        // its ticket exists and its card is on its way. Close the modal; nothing more to do.
        // Or this submission stored it, but the answer to its COMMIT was lost (the database
        // failed over): stored, so acknowledged, and its card is posted from its stored record.
        await ack();
        if (error.afterUnknownCommit)
          void ctx.background.run(
            'deliver new ticket',
            () => deliverAfterUnknownCommit(ctx, error.ticketId),
            {
              ticketId: error.ticketId,
            },
          );
        return;
      }
      if (!(error instanceof ValidationFailed)) {
        // The database is away or too slow (or anything else went wrong): the modal stays open
        // with the person's text in it, and says to submit again. A ticket whose commit's outcome
        // is unknown is found by its submission key when they do.
        ctx.logger.error(
          { err: error, slackUser: userId },
          'new ticket not stored: the person is asked to try again',
        );
        await ack({ response_action: 'errors', errors: { [F.title.block]: t('errorTryAgain') } });
        return;
      }
      await ack({ response_action: 'errors', errors: fieldErrors(error, t) });
      return;
    }
    // Held from now: the heartbeat keeps the lease while the delivery waits its turn.
    ctx.cardLeases.hold(change.ticket.id, leaseUntil);
    await ack();
    void ctx.background.run('deliver new ticket', () => deliverNewTicket(ctx, change), {
      ticketId: change.ticket.id,
    });
  });
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}
