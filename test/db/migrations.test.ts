import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { createDatabase, type Database } from '../../src/db/index.js';
import { migrateDown, migrateUp, migrationStatus } from '../../src/db/migrate.js';
import { createLogger } from '../../src/logger.js';
import { storedAddressBook } from '../../src/notifications/addressBook.js';
import { OutboxDrainer } from '../../src/notifications/drain.js';
import type { Mailer, OutgoingEmail } from '../../src/notifications/mailer.js';
import { OutboxQueue } from '../../src/notifications/queue.js';
import { loadEmailTemplates } from '../../src/notifications/templates/index.js';
import { sampleData } from '../../src/notifications/templates/samples.js';
import { createEmptyTestDatabase, databaseKinds, type TestDatabase } from '../support/db.js';
import { texts } from '../support/texts.js';

/** What migrating down to `name` reverts: it and every later migration, newest first. */
const downTo = (name: string) =>
  migrations
    .map((migration) => migration.name)
    .filter((later) => later >= name)
    .reverse();

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

      it('names the person an email is for: a row queued before still goes out, and going back keeps what can be sent', async () => {
        const qi = db.sequelize.getQueryInterface();
        const outboxIndexes = async () =>
          ((await qi.showIndex('email_outbox')) as Array<{ name: string }>).map((index) => index.name).sort();
        const name = '20261202010000-outbox-recipient-user';
        expect(await migrateDown(db, { to: name })).toEqual(downTo(name));
        const indexes = await outboxIndexes();
        // A pending email as the code before it queued one: the address and the profile it had then.
        const now = new Date();
        await qi.bulkInsert('email_outbox', [
          {
            ticket_id: null,
            recipient: 'before@example.com',
            template: 'ticket_assigned',
            data: JSON.stringify({
              ...sampleData('ticket_assigned', 'https://help.example.com'),
              recipient: { name: 'Avant' },
            }),
            locale: 'fr',
            status: 'pending',
            attempts: 0,
            available_at: now,
            idempotency_key: 'event:1:ticket_assigned:before@example.com',
            created_at: now,
            updated_at: now,
          },
        ]);
        await migrateUp(db);
        expect(await outboxIndexes()).toEqual(indexes);
        const queued = await db.models.EmailOutbox.findOne({ where: { recipient: 'before@example.com' } });
        expect(queued).toMatchObject({ recipientUserId: null, status: 'pending', locale: 'fr' });

        const sent: OutgoingEmail[] = [];
        const mailer: Mailer = {
          kind: 'eml',
          destination: 'kept in memory',
          concurrency: 1,
          send: async (email) => {
            sent.push(email);
            return { response: 'kept' };
          },
          check: async () => undefined,
          close: async () => undefined,
        };
        await new OutboxDrainer({
          db,
          queue: new OutboxQueue(db),
          mailer,
          addressBook: storedAddressBook(db),
          templates: loadEmailTemplates({ texts, publicUrl: 'https://help.example.com' }),
          logger: createLogger('silent'),
          owner: 'migration-test',
          from: 'help@example.com',
          publicUrl: 'https://help.example.com',
          mailDomain: 'example.com',
        }).drain();
        expect(sent.map((email) => [email.to, email.text])).toEqual([
          ['before@example.com', expect.stringContaining('Bonjour Avant,')],
        ]);
        expect((await queued!.reload()).status).toBe('sent');

        // Rows of the new kind: one waiting for its address, one skipped.
        await db.models.User.upsert({ id: 'U0MIGRATE1', email: 'migrate@example.com' } as never);
        const base = {
          ticketId: null,
          template: 'ticket_assigned',
          data: '{}',
          locale: null,
          availableAt: now,
        };
        const waiting = await db.models.EmailOutbox.create({
          ...base,
          recipientUserId: 'U0MIGRATE1',
          idempotencyKey: 'event:2:ticket_assigned:user:U0MIGRATE1',
        });
        const skipped = await db.models.EmailOutbox.create({
          ...base,
          recipientUserId: 'U0NOMAIL01',
          status: 'skipped',
          lastError: 'Slack has no email address for this person',
          idempotencyKey: 'event:2:ticket_assigned:user:U0NOMAIL01',
        });
        expect(await migrateDown(db, { to: name })).toEqual(downTo(name));
        expect(await outboxIndexes()).toEqual(indexes);
        const rows = (await db.sequelize.query(
          'SELECT id, recipient, status, last_error FROM email_outbox WHERE id IN (:ids) ORDER BY id',
          { replacements: { ids: [waiting.id, skipped.id] }, type: 'SELECT' },
        )) as Array<{ recipient: string; status: string; last_error: string | null }>;
        expect(rows).toMatchObject([
          { recipient: 'migrate@example.com', status: 'pending' },
          { recipient: '', status: 'dead', last_error: 'Slack has no email address for this person' },
        ]);
        await migrateUp(db);
        expect(await outboxIndexes()).toEqual(indexes);
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

        const commentsInFull = '20261202020000-comments-in-full';
        await db.models.Comment.update({ slackViewId: 'V0MIGRATE2' }, { where: { ticketId: ticket.id } });
        expect(await migrateDown(db, { to: commentsInFull })).toEqual(downTo(commentsInFull));
        const commentColumns = await qi.describeTable('comments');
        expect(commentColumns).not.toHaveProperty('slack_view_id');
        expect(commentColumns).not.toHaveProperty('slack_version_ts');
        expect(commentColumns.body?.type).toBe('TEXT');
        expect((await qi.describeTable('email_outbox')).data?.type).toBe('TEXT');
        expect(await db.sequelize.query('SELECT body FROM comments', { type: QueryTypes.SELECT })).toEqual([
          { body: 'Still here' },
        ]);

        const submission = '20261128000000-ticket-submission';
        // What is still applied from there (comments-in-full and later went down above).
        expect(await migrateDown(db, { to: submission })).toEqual(
          downTo(submission).filter((name) => name < commentsInFull),
        );
        const afterDown = await qi.describeTable('tickets');
        expect(afterDown).not.toHaveProperty('slack_view_id');
        expect(afterDown).not.toHaveProperty('requester_told_at');
        expect(afterDown).not.toHaveProperty('technician_told_at');
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
        // MySQL's TEXT holds 65,535 bytes; a Slack reply of 40,000 emoji is 160,000.
        const widened = kind === 'mysql' ? 'MEDIUMTEXT' : 'TEXT';
        expect((await qi.describeTable('comments')).body?.type).toBe(widened);
        expect((await qi.describeTable('email_outbox')).data?.type).toBe(widened);
        expect(await db.models.Ticket.findByPk(ticket.id)).toMatchObject({
          title: 'After a round trip',
          ratingPromptChannelId: null,
          ratingPromptTs: null,
          slackViewId: null,
          requesterToldAt: null,
          technicianToldAt: null,
        });
      });
    },
  );
}
