import { z } from 'zod';

/**
 * The view_submission of a textModal (blocks/commentModal.ts): who submitted it, the view's id
 * (Slack keeps it when the same modal is submitted again), its metadata parsed by `metadata`, and
 * the text typed into `field`, trimmed.
 */
export function textModalSubmission<Metadata extends z.ZodType>(
  field: { block: string; action: string },
  metadata: Metadata,
) {
  return z
    .object({
      user: z.object({ id: z.string() }),
      view: z.object({
        id: z.string(),
        private_metadata: z
          .string()
          .transform((text): z.output<Metadata> => metadata.parse(JSON.parse(text))),
        state: z.object({
          values: z.object({
            [field.block]: z.object({ [field.action]: z.object({ value: z.string().nullish() }) }),
          }),
        }),
      }),
    })
    .transform((submission) => ({
      user: submission.user,
      view: { id: submission.view.id, metadata: submission.view.private_metadata },
      text: (submission.view.state.values[field.block]?.[field.action]?.value ?? '').trim(),
    }));
}
