import { z } from 'zod';
import { PRIORITIES } from '../db/models/ticket.js';
import { ValidationFailed } from './errors.js';

export const TITLE_MAX = 150;
export const DESCRIPTION_MAX = 3000;
/**
 * A comment is stored whole. A Slack message holds up to 40,000 characters (Slack truncates text
 * past that: https://api.slack.com/changelog/2018-04-truncating-really-long-messages); written
 * out for reading, links keep their length and up to 20 mentions become names of up to 80
 * characters, so no Slack reply comes near this. It bounds what any other caller may store.
 */
export const COMMENT_MAX = 50_000;

/** Characters as people count them: code points (an emoji is one, though two UTF-16 units). */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}
export const REMARK_MAX = 1000;

export const ticketInputSchema = z.object({
  title: z
    .string()
    .trim()
    .min(1, 'Give the ticket a title')
    .max(TITLE_MAX, `Keep the title to ${TITLE_MAX} characters`),
  description: z
    .string()
    .trim()
    .max(DESCRIPTION_MAX, `Keep the description to ${DESCRIPTION_MAX} characters`)
    .default(''),
  priority: z.enum(PRIORITIES, `Priority is one of ${PRIORITIES.join(', ')}`).default('normal'),
  technicianId: z.string().min(1).nullish(),
});

export type TicketInput = z.input<typeof ticketInputSchema>;

/** A submission's idempotency key (tickets.submission_key, comments.submission_key hold 64). */
export const SUBMISSION_KEY_MAX = 64;
export const submissionKeySchema = z.object({
  submissionKey: z
    .string()
    .min(1, 'A submission key is not empty')
    .max(SUBMISSION_KEY_MAX, `A submission key has up to ${SUBMISSION_KEY_MAX} characters`)
    .nullish(),
});

/** Parses with zod; failures become one ValidationFailed naming each bad field. */
export function parseOrFail<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? 'input');
    fields[field] ??= issue.message;
  }
  throw new ValidationFailed(
    fields,
    result.error.issues.map((issue) => ({
      path: issue.path.filter((part): part is string | number => typeof part !== 'symbol'),
      message: issue.message,
    })),
  );
}
