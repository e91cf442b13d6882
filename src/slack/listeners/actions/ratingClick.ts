import { z } from 'zod';

/**
 * A click on a button of the rating DM (a score, or "Add a remark" on the thank-you): who clicked,
 * where the DM is, and the button's value `<ticket id>:<resolution>:<score>` (blocks/ratingPrompt.ts).
 */
export const ratingClickSchema = z.object({
  user: z.object({ id: z.string() }),
  channel: z.object({ id: z.string() }),
  message: z.object({ ts: z.string() }),
  actions: z.array(z.object({ value: z.string().regex(/^\d+:\d+:[1-5]$/) })).min(1),
});

/** The rating a click names. */
export function clickedRating(click: z.infer<typeof ratingClickSchema>) {
  const [ticketId, resolution, score] = click.actions[0]!.value.split(':').map(Number) as [
    number,
    number,
    number,
  ];
  return { ticketId, resolution, score };
}
