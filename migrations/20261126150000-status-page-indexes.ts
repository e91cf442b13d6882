import type { QueryInterface } from 'sequelize';
import { addFulltextIndexIfSupported, hasIndex, TITLE_FULLTEXT_INDEX } from '../src/db/fulltext.js';

// Indexes the status page needs to stay fast at 100k tickets: every list variant is an
// ordered range over one index (newest activity first, keyset pagination), and the summary
// reads only the last 30/90 days instead of counting every closed ticket.

export async function up(qi: QueryInterface): Promise<void> {
  await qi.addIndex('tickets', ['status', 'last_activity_at', 'id'], { name: 'tickets_status_activity' });
  await qi.addIndex('tickets', ['technician_id', 'last_activity_at', 'id'], {
    name: 'tickets_technician_activity',
  });
  await qi.addIndex('tickets', ['requester_id', 'last_activity_at', 'id'], {
    name: 'tickets_requester_activity',
  });
  // "Closed in the last 30 days" per technician, read from the index alone.
  await qi.addIndex('tickets', ['closed_at', 'technician_id'], { name: 'tickets_closed_technician' });
  // Average rating per technician over recent ratings, read from the index alone.
  await qi.addIndex('ratings', ['created_at', 'technician_id', 'score'], { name: 'ratings_recent_scores' });
  // Word search on titles, where the server can make it (src/db/fulltext.ts); SQLite, and a server
  // without FULLTEXT, fall back to LIKE (SQLite has no FULLTEXT outside FTS tables).
  await addFulltextIndexIfSupported(qi, 'tickets', TITLE_FULLTEXT_INDEX, 'title');
}

export async function down(qi: QueryInterface): Promise<void> {
  if (await hasIndex(qi, 'tickets', TITLE_FULLTEXT_INDEX))
    await qi.removeIndex('tickets', TITLE_FULLTEXT_INDEX);
  await qi.removeIndex('ratings', 'ratings_recent_scores');
  await qi.removeIndex('tickets', 'tickets_closed_technician');
  await qi.removeIndex('tickets', 'tickets_requester_activity');
  await qi.removeIndex('tickets', 'tickets_technician_activity');
  await qi.removeIndex('tickets', 'tickets_status_activity');
}
