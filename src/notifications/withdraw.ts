import type { Transaction } from 'sequelize';
import type { Database } from '../db/index.js';
import { sqlRead, sqlWrite } from '../db/sql.js';
import type { TicketChange } from '../tickets/index.js';

/**
 * A comment deleted in Slack (a password pasted by mistake, say) takes back the emails about it
 * that are still waiting in the outbox (an SMTP outage, a backoff), in the deletion's own
 * transaction. Emails already handed to a sender (`sending`) or sent cannot be recalled.
 * Returns how many were withdrawn.
 */
export async function withdrawDeletedComment(
  db: Database,
  change: TicketChange,
  transaction: Transaction,
): Promise<number> {
  if (change.event.type !== 'comment_deleted' || !change.comment) return 0;
  const [commented] = await sqlRead<{ id: number }>(
    db,
    transaction,
    "SELECT id FROM ticket_events WHERE ticket_id = ? AND type = 'commented' AND to_value = ?",
    [change.ticket.id, String(change.comment.id)],
  );
  if (!commented) return 0;
  // The outbox keys a change's emails `event:<event id>:<template>:<address>` (enqueue.ts).
  const { affectedRows } = await sqlWrite(
    db,
    transaction,
    "DELETE FROM email_outbox WHERE ticket_id = ? AND status = 'pending' AND idempotency_key LIKE ?",
    [change.ticket.id, `event:${Number(commented.id)}:%`],
  );
  return affectedRows;
}
