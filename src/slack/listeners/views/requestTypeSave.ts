import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { FieldKind } from '../../../db/models/requestType.js';
import {
  archiveRequestType,
  asActor,
  isDomainError,
  type RequestTypeInput,
  saveRequestType,
  ValidationFailed,
} from '../../../tickets/index.js';
import { FIELDS_MAX } from '../../../tickets/requestTypes.js';
import {
  REQUEST_TYPE_BLOCKS as B,
  requestTypeFieldBlocks,
  requestTypeTargetBlock,
  VIEW_REQUEST_TYPE,
} from '../../blocks/ids.js';
import { type RequestTypeModalMetadata, TARGET_PRIORITIES } from '../../blocks/requestTypeModal.js';
import type { SlackContext } from '../../context.js';
import { explanationOf } from '../../explain.js';
import { channelPrivacy } from '../../privateChannels.js';

// view_submission state values (https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload/):
// each element's value by its type.
const elementState = z.object({
  value: z.string().nullish(),
  selected_option: z.object({ value: z.string() }).nullish(),
  selected_options: z.array(z.object({ value: z.string() })).nullish(),
  selected_conversation: z.string().nullish(),
});
const submissionSchema = z.object({
  user: z.object({ id: z.string() }),
  view: z.object({
    private_metadata: z.string().default(''),
    state: z.object({ values: z.record(z.string(), z.record(z.string(), elementState)) }),
  }),
});
const metadataSchema = z
  .object({ id: z.number().int().optional(), version: z.number().int().optional() })
  .catch({});

type Values = z.infer<typeof submissionSchema>['view']['state']['values'];

/** The form read back: the type as the domain takes it, with which field slot each field came from. */
export function readRequestTypeForm(values: Values): {
  input: RequestTypeInput;
  archived: boolean;
  slots: number[];
} {
  const state = (block: string) => values[block]?.[block];
  const text = (block: string) => state(block)?.value ?? '';
  const flags = new Set((state(B.flags)?.selected_options ?? []).map((option) => option.value));
  const isPrivate = flags.has('private');
  const fields: NonNullable<RequestTypeInput['fields']> = [];
  const slots: number[] = [];
  for (let slot = 0; slot < FIELDS_MAX; slot++) {
    const ids = requestTypeFieldBlocks(slot);
    const label = text(ids.label).trim();
    if (!label) continue;
    const [kind, required] = (state(ids.kind)?.selected_option?.value ?? 'short').split(':');
    fields.push({
      label,
      kind: kind as FieldKind,
      required: required === 'required',
      options: text(ids.options)
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean),
    });
    slots.push(slot);
  }
  const slaTargets: NonNullable<RequestTypeInput['slaTargets']> = {};
  for (const priority of TARGET_PRIORITIES) {
    const written = text(requestTypeTargetBlock(priority)).trim();
    if (written) slaTargets[priority] = written;
  }
  return {
    input: {
      name: text(B.name),
      description: text(B.description),
      defaultPriority: (state(B.priority)?.selected_option?.value ??
        'normal') as RequestTypeInput['defaultPriority'],
      technicianIds: (state(B.technicians)?.selected_options ?? []).map((option) => option.value),
      channelId:
        (isPrivate
          ? state(B.privateChannel)?.selected_conversation
          : state(B.channel)?.selected_conversation) ?? null,
      isPrivate,
      isDefault: flags.has('default'),
      assignment: (state(B.assignment)?.selected_option?.value ?? 'none') as RequestTypeInput['assignment'],
      fields,
      slaTargets,
    },
    archived: flags.has('archived'),
    slots,
  };
}

/**
 * The request type modal saved: the type stored (or refused, the reason on its field), the
 * in-memory copy every modal opens from reloaded, and the admin's App Home redrawn. Other
 * replicas see it within their roster reload (five seconds).
 */
export function register(app: App, ctx: SlackContext): void {
  app.view(VIEW_REQUEST_TYPE, async ({ ack, body }) => {
    const submission = submissionSchema.parse(body);
    const userId = submission.user.id;
    const t = ctx.texts.slack(await ctx.directory.languageNow(userId));
    let metadata: RequestTypeModalMetadata;
    try {
      metadata = metadataSchema.parse(JSON.parse(submission.view.private_metadata || '{}'));
    } catch {
      metadata = {};
    }
    const { input, archived, slots } = readRequestTypeForm(submission.view.state.values);
    if (input.isPrivate && !input.channelId) {
      await ack({ response_action: 'errors', errors: { [B.privateChannel]: t('errorTypePrivateChannel') } });
      return;
    }
    if (input.isPrivate && input.channelId) {
      // A private type's cards never go to a public channel: Slack is asked (conversations.info)
      // before the type is saved.
      const privacy = await channelPrivacy(ctx.client, input.channelId).catch((error: unknown) => {
        ctx.logger.warn({ err: error, channel: input.channelId }, 'conversations.info failed');
        return undefined;
      });
      if (privacy !== undefined) ctx.roster.notePrivacy(input.channelId, privacy);
      if (privacy !== 'private') {
        const reason =
          privacy === 'public'
            ? t('errorTypeChannelPublic')
            : privacy === 'not_found'
              ? t('errorTypeChannelNotFound')
              : t('errorTypeChannelUnchecked');
        await ack({ response_action: 'errors', errors: { [B.privateChannel]: reason } });
        return;
      }
    }
    const actor = asActor(ctx.services, userId);
    try {
      const saved = await saveRequestType(actor, {
        ...input,
        id: metadata.id,
        expectedVersion: metadata.version,
      });
      if (saved.archived !== archived) await archiveRequestType(actor, { id: saved.id, archived });
    } catch (error) {
      if (error instanceof ValidationFailed) {
        await ack({ response_action: 'errors', errors: blockErrors(error, slots, t) });
        return;
      }
      if (!isDomainError(error)) throw error;
      await ack({ response_action: 'errors', errors: { [B.name]: explanationOf(error, t) } });
      return;
    }
    await ack();
    await ctx.roster.reload();
    void ctx.publisher.showHome(userId);
  });
}

/**
 * Domain field names (fields.<i> for the i-th field given, slaTargets.<priority>.<problem> for a
 * target) → the modal's blocks. Slack shows each message under the input block whose block_id
 * keys it (`response_action: "errors"`:
 * https://docs.slack.dev/surfaces/modals#displaying_errors,
 * https://docs.slack.dev/tools/bolt-js/reference/interfaces/ViewErrorsResponseAction).
 */
function blockErrors(
  error: ValidationFailed,
  slots: number[],
  t: ReturnType<SlackContext['texts']['slack']>,
): Record<string, string> {
  const errors: Record<string, string> = {};
  const blockOf: Record<string, string> = {
    name: B.name,
    description: B.description,
    defaultPriority: B.priority,
    technicianIds: B.technicians,
    channelId: B.channel,
    assignment: B.assignment,
  };
  for (const issue of error.issues) {
    const [field, priority, problem] = issue.path;
    if (field !== 'slaTargets' || typeof priority !== 'string') continue;
    errors[requestTypeTargetBlock(priority)] ??= t(
      problem === 'order' ? 'errorTypeTargetOrder' : 'errorTypeTargetFormat',
    );
  }
  for (const [field, reason] of Object.entries(error.fields)) {
    if (field === 'slaTargets') continue; // each on its own block, above
    const block = blockOf[field] ?? B.name;
    errors[block] ??= t('errorTypeField', { reason });
  }
  for (const issue of error.issues) {
    if (issue.path[0] !== 'fields' || typeof issue.path[1] !== 'number') continue;
    const slot = slots[issue.path[1]];
    if (slot !== undefined)
      errors[requestTypeFieldBlocks(slot).label] ??= t('errorTypeField', { reason: issue.message });
  }
  return errors;
}
