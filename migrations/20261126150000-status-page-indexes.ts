import type { QueryInterface } from 'sequelize';

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
  if (qi.sequelize.getDialect() !== 'sqlite') {
    // Word search on titles; SQLite falls back to LIKE (it has no FULLTEXT outside FTS tables).
    await qi.sequelize.query('ALTER TABLE tickets ADD FULLTEXT INDEX tickets_title_fulltext (title)');
  }
}

export async function down(qi: QueryInterface): Promise<void> {
  if (qi.sequelize.getDialect() !== 'sqlite') await qi.removeIndex('tickets', 'tickets_title_fulltext');
  await qi.removeIndex('ratings', 'ratings_recent_scores');
  await qi.removeIndex('tickets', 'tickets_closed_technician');
  await qi.removeIndex('tickets', 'tickets_requester_activity');
  await qi.removeIndex('tickets', 'tickets_technician_activity');
  await qi.removeIndex('tickets', 'tickets_status_activity');
}
