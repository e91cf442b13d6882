/** The status page's page for a ticket (served by src/web). */
export function statusPageUrl(publicUrl: string, ticketId: number): string {
  return `${publicUrl}/tickets/${ticketId}`;
}

/**
 * A link to the ticket card's thread in Slack. `slack.com/archives/<channel>/p<ts without dot>`
 * is Slack's permalink shape; slack.com sends the reader on to their own workspace.
 */
export function slackThreadUrl(card: {
  slackChannelId: string | null;
  slackMessageTs: string | null;
}): string | null {
  if (!card.slackChannelId || !card.slackMessageTs) return null;
  return `https://slack.com/archives/${card.slackChannelId}/p${card.slackMessageTs.replace('.', '')}`;
}
