/** The status page's page for a ticket (served by src/web). */
export function statusPageUrl(publicUrl: string, ticketId: number): string {
  return `${publicUrl}/tickets/${ticketId}`;
}
