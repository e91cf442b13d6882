import { z } from 'zod';
import { PRIORITIES } from '../db/models/ticket.js';
import { ValidationFailed } from './errors.js';

export const TITLE_MAX = 150;
export const DESCRIPTION_MAX = 3000;
export const COMMENT_MAX = 3000;
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

/** Parses with zod; failures become one ValidationFailed naming each bad field. */
export function parseOrFail<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? 'input');
    fields[field] ??= issue.message;
  }
  throw new ValidationFailed(fields);
}
