import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { createDatabase, type Database } from '../../src/db/index.js';
import { migrateDown, migrateUp, migrationStatus } from '../../src/db/migrate.js';
import { createEmptyTestDatabase, databaseKinds, type TestDatabase } from '../support/db.js';

const TABLES = [
  'comments',
  'email_outbox',
  'job_runs',
  'ratings',
  'ticket_events',
  'tickets',
  'users',
  'web_sessions',
];

async function tablesOf(db: Database): Promise<string[]> {
  const names = (await db.sequelize.getQueryInterface().showAllTables()) as Array<
    string | { tableName: string }
  >;
  return names
    .map((name) => (typeof name === 'string' ? name : name.tableName))
    .filter((name) => name !== 'schema_migrations' && name !== 'sqlite_sequence')
    .sort();
}

for (const { kind, skipReason } of databaseKinds()) {
  describe.skipIf(Boolean(skipReason))(
    `migrations [${kind}]${skipReason ? ` (skipped: ${skipReason})` : ''}`,
    () => {
      let empty: TestDatabase;
      let db: Database;
      beforeAll(async () => {
        empty = await createEmptyTestDatabase(kind);
        db = createDatabase(empty.url);
      });
      afterAll(async () => {
        await db?.close();
        await empty?.drop();
      });

      it('creates every table on an empty database, then nothing is pending', async () => {
        expect(await tablesOf(db)).toEqual([]);
        expect(await migrateUp(db)).toEqual(migrations.map((m) => m.name));
        expect(await tablesOf(db)).toEqual(TABLES);
        expect(await migrationStatus(db)).toEqual({ executed: migrations.map((m) => m.name), pending: [] });
        expect(await migrateUp(db)).toEqual([]);
      });

      it('creates the indexes the status page, digest and queue rely on', async () => {
        const qi = db.sequelize.getQueryInterface();
        const indexNames = async (table: string) =>
          ((await qi.showIndex(table)) as Array<{ name: string }>).map((index) => index.name);
        expect(await indexNames('tickets')).toEqual(
          expect.arrayContaining([
            'tickets_status_priority',
            'tickets_technician_status',
            'tickets_slack_card',
          ]),
        );
        expect(await indexNames('email_outbox')).toEqual(
          expect.arrayContaining(['email_outbox_idempotency', 'email_outbox_due']),
        );
        expect(await indexNames('job_runs')).toContain('job_runs_once_per_period');
        expect(await indexNames('comments')).toContain('comments_ticket_slack_ts');
      });

      it('goes down to nothing and up again with data surviving a round trip of the schema', async () => {
        expect(await migrateDown(db, { to: 0 })).toEqual(migrations.map((m) => m.name).reverse());
        expect(await tablesOf(db)).toEqual([]);
        expect((await migrationStatus(db)).pending).toHaveLength(migrations.length);
        await migrateUp(db);
        expect(await tablesOf(db)).toEqual(TABLES);
        await db.models.User.create({ id: 'U0MIGRATE1' });
        const ticket = await db.models.Ticket.create({
          title: 'After a round trip',
          description: '',
          priority: 'low',
          requesterId: 'U0MIGRATE1',
          technicianId: null,
          slackChannelId: null,
          slackMessageTs: null,
          sourceChannelId: null,
          sourceMessageTs: null,
          sourcePermalink: null,
          closedAt: null,
        });
        expect(await db.models.Ticket.findByPk(ticket.id)).toMatchObject({ status: 'open', version: 1 });
      });

      it('takes the later columns off in place: the comments of a ticket and its other indexes stay', async () => {
        const qi = db.sequelize.getQueryInterface();
        const indexNames = async () =>
          ((await qi.showIndex('tickets')) as Array<{ name: string }>).map((index) => index.name).sort();
        const ticket = (await db.models.Ticket.findOne())!;
        await db.models.Ticket.update(
          { ratingPromptChannelId: 'D0MIGRATE1', ratingPromptTs: '1700000000.000001' },
          { where: { id: ticket.id } },
        );
        await db.models.Comment.create({
          ticketId: ticket.id,
          authorId: 'U0MIGRATE1',
          body: 'Still here',
          slackTs: null,
          editedAt: null,
          deletedAt: null,
        });
        await db.models.Ticket.update({ slackViewId: 'V0MIGRATE1' }, { where: { id: ticket.id } });
        const indexes = await indexNames();
        expect(indexes).toContain('tickets_slack_view');

        const submission = '20261128000000-ticket-submission';
        // Migrations added since go down first, newest first.
        const names = migrations.map((m) => m.name);
        const later = names.slice(names.indexOf(submission) + 1).reverse();
        expect(await migrateDown(db, { to: submission })).toEqual([...later, submission]);
        expect(await qi.describeTable('tickets')).not.toHaveProperty('slack_view_id');
        expect(await db.models.Comment.count({ where: { ticketId: ticket.id } })).toBe(1);
        expect(await indexNames()).toEqual(indexes.filter((index) => index !== 'tickets_slack_view'));

        const name = '20261127000000-rating-prompt-location';
        expect(await migrateDown(db, { to: name })).toEqual([name]);
        const columns = await qi.describeTable('tickets');
        expect(columns).not.toHaveProperty('rating_prompt_channel_id');
        expect(columns).not.toHaveProperty('rating_prompt_ts');
        expect(columns).toHaveProperty('slack_message_ts');
        expect(await db.models.Comment.count({ where: { ticketId: ticket.id } })).toBe(1);
        expect(await indexNames()).toEqual(indexes.filter((index) => index !== 'tickets_slack_view'));

        await migrateUp(db);
        expect(await indexNames()).toEqual(indexes);
        expect(await db.models.Ticket.findByPk(ticket.id)).toMatchObject({
          title: 'After a round trip',
          ratingPromptChannelId: null,
          ratingPromptTs: null,
          slackViewId: null,
        });
      });
    },
  );
}
