import { DataTypes, type QueryInterface } from 'sequelize';

// A new ticket's card is followed by two DMs: the requester gets its link, a technician named at
// creation is told it is theirs. Both are owed as long as the card's lease is (card_lease_until);
// these columns say which of them has gone out, so a delivery taken over by the catch-up (a DM
// failed, the process stopped) sends only what is still owed. Null: not sent (yet).

const COLUMNS = ['requester_told_at', 'technician_told_at'] as const;

export async function up(qi: QueryInterface): Promise<void> {
  for (const column of COLUMNS) {
    await qi.addColumn('tickets', column, { type: DataTypes.DATE, allowNull: true });
  }
}

export async function down(qi: QueryInterface): Promise<void> {
  // ALTER TABLE … DROP COLUMN in place (SQLite ≥ 3.35, MySQL, MariaDB): Sequelize's SQLite
  // removeColumn rebuilds the table and would drop its indexes and, with foreign keys on, rows.
  for (const column of [...COLUMNS].reverse()) {
    await qi.sequelize.query(`ALTER TABLE tickets DROP COLUMN ${column}`);
  }
}
