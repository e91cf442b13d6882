/**
 * The idempotency key a Slack modal's submission reaches the ticket rules with. A view keeps its
 * id for as long as it is open (views.update names it by the view_id views.open returned:
 * https://docs.slack.dev/reference/methods/views.update/), so the same modal submitted again (a
 * double click, or Submit pressed after Slack showed an error) finds what the first one stored.
 */
export function submissionKeyOf(viewId: string): string {
  return `slack-view:${viewId}`;
}
