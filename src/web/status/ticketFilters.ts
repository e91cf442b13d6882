import { z } from 'zod';
import { PRIORITIES, STATUSES } from '../../db/models/ticket.js';
import { SLACK_USER_ID } from '../../slackIds.js';

// The list's query string, validated: anything unknown or malformed is dropped, never an error,
// so an old bookmark still opens the page.

export const SORTS = ['activity_desc', 'activity_asc', 'created_desc', 'created_asc'] as const;
export type Sort = (typeof SORTS)[number];

const optional = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);
const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .transform((value) => value || undefined);

export const ticketFiltersSchema = z.object({
  status: optional(z.enum(STATUSES)),
  priority: optional(z.enum(PRIORITIES)),
  /** A technician's Slack id, or `none` for unassigned tickets. */
  technician: optional(z.union([z.literal('none'), z.string().regex(SLACK_USER_ID)])),
  /** A requester's Slack id or name. */
  requester: optional(text(100)),
  q: optional(text(100)),
  /** A request type's id, or `none` for tickets without a type. */
  type: optional(z.union([z.literal('none'), z.string().regex(/^[1-9]\d{0,9}$/)])),
  sort: z.enum(SORTS).catch('activity_desc').default('activity_desc'),
  /** Keyset cursors: show the page after / before this row. */
  after: optional(z.string().regex(/^\d{1,15}(\.\d{1,12})?$/)),
  before: optional(z.string().regex(/^\d{1,15}(\.\d{1,12})?$/)),
});

export type TicketFilters = z.infer<typeof ticketFiltersSchema>;

export function parseTicketFilters(query: unknown): TicketFilters {
  const source = typeof query === 'object' && query !== null ? query : {};
  // A repeated parameter (?status=a&status=b) keeps its first value.
  const flat = Object.fromEntries(
    Object.entries(source).map(([key, value]) => [key, Array.isArray(value) ? value[0] : value]),
  );
  return ticketFiltersSchema.parse(flat);
}

/** The query string for these filters with some changed (undefined removes a key). */
export function filtersQuery(
  filters: TicketFilters,
  changes: Partial<Record<keyof TicketFilters, string | undefined>> = {},
) {
  const merged: Record<string, string | undefined> = { ...filters, ...changes };
  const params = new URLSearchParams();
  for (const key of [
    'status',
    'priority',
    'technician',
    'requester',
    'type',
    'q',
    'sort',
    'after',
    'before',
  ] as const) {
    const value = merged[key];
    if (value === undefined || value === '' || (key === 'sort' && value === 'activity_desc')) continue;
    params.set(key, value);
  }
  const query = params.toString();
  return query ? `?${query}` : '?';
}
