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
import { cardsToCatchUp, ticketIdOfCard } from '../../src/slack/store/cards.js';
import { ratingPromptsOf } from '../../src/slack/store/ratingPrompts.js';
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
  'email_preferences',
  'job_runs',
  'ratings',
  'request_types',
  'sla_alerts',
  'slack_card_versions',
  'slack_cards',
  'slack_dm_channels',
  'slack_home_views',
  'slack_inbox',
  'slack_intake_messages',
  'slack_outbox',
  'slack_rating_prompts',
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
    .filter((name) => !['schema_migrations', 'schema_migration_lease', 'sqlite_sequence'].includes(name))
    .sort();
}

for (const { kind, skipReason } of databaseKinds()) {
  describe.skipIf(Boolean(skipReason))(
    `migrations [${kind}]${skipReason ? ` (skipped: ${skipReason})` : ''}`,
    // Each DDL statement commits on its own, and MySQL writes every one to disk: a pass through
    // all the migrations takes tens of seconds on a busy machine, more than vitest's 30 s default.
    { timeout: 120_000 },
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
            'tickets_submission_key',
          ]),
        );
        expect(await indexNames('slack_cards')).toEqual(
          expect.arrayContaining(['slack_cards_location', 'slack_cards_lease']),
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
        await db.models.SlackRatingPrompt.create({
          ticketId: ticket.id,
          resolution: ticket.resolution,
          channelId: 'D0MIGRATE1',
          messageTs: '1700000000.000001',
        });
        await db.models.Comment.create({
          ticketId: ticket.id,
          authorId: 'U0MIGRATE1',
          body: 'Still here',
          slackTs: null,
          editedAt: null,
          deletedAt: null,
        });
        await db.models.Ticket.update(
          { submissionKey: 'slack-view:V0MIGRATE1' },
          { where: { id: ticket.id } },
        );
        const indexes = await indexNames();
        expect(indexes).toContain('tickets_submission_key');
        // Below the Slack bookkeeping's migration, the card's indexes are the tickets table's again.
        // (tickets_request_type comes with the request types, the SLA indexes with the SLA
        // clocks and the reports', later still.)
        const later = [
          'tickets_submission_key',
          'tickets_request_type',
          'tickets_sla_response_warn',
          'tickets_sla_resolution_warn',
          'tickets_first_response',
          'tickets_sla_response_met',
          'tickets_sla_response_missed',
          'tickets_sla_resolution_met',
          'tickets_sla_resolution_missed',
          'tickets_sla_backfill',
        ];
        const indexesBefore = indexes
          .filter((index) => !later.includes(index))
          .concat('tickets_card_lease', 'tickets_slack_card', 'tickets_slack_view')
          .sort();

        const commentsInFull = '20261202020000-comments-in-full';
        await db.models.Comment.update(
          { submissionKey: 'slack-view:V0MIGRATE2' },
          { where: { ticketId: ticket.id } },
        );
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
        expect(await indexNames()).toEqual(indexesBefore.filter((index) => index !== 'tickets_slack_view'));

        const name = '20261127000000-rating-prompt-location';
        expect(await migrateDown(db, { to: name })).toEqual([name]);
        const columns = await qi.describeTable('tickets');
        expect(columns).not.toHaveProperty('rating_prompt_channel_id');
        expect(columns).not.toHaveProperty('rating_prompt_ts');
        expect(columns).toHaveProperty('slack_message_ts');
        expect(await db.models.Comment.count({ where: { ticketId: ticket.id } })).toBe(1);
        expect(await indexNames()).toEqual(indexesBefore.filter((index) => index !== 'tickets_slack_view'));

        await migrateUp(db);
        expect(await indexNames()).toEqual(indexes);
        // MySQL's TEXT holds 65,535 bytes; a Slack reply of 40,000 emoji is 160,000.
        const widened = kind === 'mysql' ? 'MEDIUMTEXT' : 'TEXT';
        expect((await qi.describeTable('comments')).body?.type).toBe(widened);
        expect((await qi.describeTable('email_outbox')).data?.type).toBe(widened);
        expect(await db.models.Ticket.findByPk(ticket.id)).toMatchObject({
          title: 'After a round trip',
          submissionKey: null,
        });
        expect(await db.models.SlackRatingPrompt.count({ where: { ticketId: ticket.id } })).toBe(0);
        expect(await db.models.SlackCard.count({ where: { ticketId: ticket.id } })).toBe(0);
      });

      it('moves Slack’s bookkeeping off the tickets table and back: every card, lease, DM sent, rating prompt and modal', async () => {
        const qi = db.sequelize.getQueryInterface();
        const name = '20261203010000-slack-bookkeeping';
        const ticketIndexes = async () =>
          ((await qi.showIndex('tickets')) as Array<{ name: string }>).map((index) => index.name).sort();
        const indexesAfter = await ticketIndexes();
        expect(await migrateDown(db, { to: name })).toEqual(downTo(name));
        const indexesBefore = await ticketIndexes();
        expect(indexesBefore).toEqual(expect.arrayContaining(['tickets_slack_card', 'tickets_card_lease']));

        // Tickets as the code before kept them. MySQL's DATETIME keeps whole seconds.
        const now = new Date(Math.floor(Date.now() / 1000) * 1000);
        const expired = new Date(now.getTime() - 60_000);
        const none = {
          slack_channel_id: null,
          slack_message_ts: null,
          card_lease_until: null,
          requester_told_at: null,
          technician_told_at: null,
          rating_prompt_channel_id: null,
          rating_prompt_ts: null,
          slack_view_id: null,
        };
        const ticketRow = (
          title: string,
          status: string,
          values: Partial<Record<keyof typeof none, unknown>>,
        ) => ({
          title,
          description: '',
          priority: 'normal',
          status,
          requester_id: 'U0MIGRATE1',
          technician_id: null,
          source_channel_id: null,
          source_message_ts: null,
          source_permalink: null,
          version: 3,
          resolution: 2,
          last_activity_at: now,
          closed_at: null,
          created_at: now,
          updated_at: now,
          ...none,
          ...values,
        });
        await qi.bulkInsert('tickets', [
          ticketRow('Card posted, prompt waiting', 'closed', {
            slack_channel_id: 'C0MIGRATE1',
            slack_message_ts: '1700000000.000100',
            requester_told_at: now,
            technician_told_at: now,
            rating_prompt_channel_id: 'D0MIGRATE1',
            rating_prompt_ts: '1700000000.000200',
            slack_view_id: 'V0MIGRATE3',
          }),
          ticketRow('Card owed', 'open', { slack_channel_id: 'C0MIGRATE1', card_lease_until: expired }),
          ticketRow('Card refused', 'open', { requester_told_at: now }),
          ticketRow('No card', 'open', {}),
        ]);
        const idOf = async (title: string) =>
          (await db.models.Ticket.findOne({ attributes: ['id'], where: { title } }))!.id;
        const titles = ['Card posted, prompt waiting', 'Card owed', 'Card refused', 'No card'];
        const [posted, owed, refused, bare] = (await Promise.all(titles.map(idOf))) as number[] as [
          number,
          number,
          number,
          number,
        ];
        await qi.bulkInsert('comments', [
          {
            ticket_id: posted,
            author_id: 'U0MIGRATE1',
            body: 'From the modal',
            slack_ts: null,
            slack_version_ts: null,
            slack_view_id: 'V0MIGRATE4',
            edited_at: null,
            deleted_at: null,
            created_at: now,
            updated_at: now,
          },
        ]);

        await migrateUp(db);
        expect(await ticketIndexes()).toEqual(indexesAfter);
        const columns = await qi.describeTable('tickets');
        for (const column of Object.keys(none)) expect(columns).not.toHaveProperty(column);
        const cards = await db.models.SlackCard.findAll({
          where: { ticketId: [posted, owed, refused, bare] },
          order: [['ticketId', 'ASC']],
        });
        const asMoved = [
          {
            ticketId: posted,
            channelId: 'C0MIGRATE1',
            messageTs: '1700000000.000100',
            leaseUntil: null,
            leaseOwner: null,
            requesterToldAt: now,
            technicianToldAt: now,
          },
          {
            ticketId: owed,
            channelId: 'C0MIGRATE1',
            messageTs: null,
            leaseUntil: expired,
            leaseOwner: null,
            requesterToldAt: null,
            technicianToldAt: null,
          },
          {
            ticketId: refused,
            channelId: null,
            messageTs: null,
            leaseUntil: null,
            leaseOwner: null,
            requesterToldAt: now,
            technicianToldAt: null,
          },
        ];
        expect(cards.map((card) => card.get({ plain: true }))).toEqual(asMoved);
        // What Slack's store reads: the thread's ticket, the delivery the catch-up owes, the prompt.
        expect(await ticketIdOfCard(db, 'C0MIGRATE1', '1700000000.000100')).toBe(posted);
        expect(await cardsToCatchUp(db, 50)).toContain(owed);
        expect(await ratingPromptsOf(db, posted)).toEqual([
          { resolution: 2, channel: 'D0MIGRATE1', ts: '1700000000.000200' },
        ]);
        expect(await db.models.Ticket.findByPk(posted)).toMatchObject({
          submissionKey: 'slack-view:V0MIGRATE3',
        });
        expect(await db.models.Comment.findOne({ where: { ticketId: posted } })).toMatchObject({
          submissionKey: 'slack-view:V0MIGRATE4',
        });

        // Back down: the tickets table holds one prompt per ticket, the latest closing's; a key
        // that is not a Slack view's has no view id to go back to.
        await db.models.SlackRatingPrompt.create({
          ticketId: posted,
          resolution: 1,
          channelId: 'D0MIGRATE1',
          messageTs: '1700000000.000050',
        });
        await db.models.Ticket.update({ submissionKey: 'form:1234' }, { where: { id: bare } });
        expect(await migrateDown(db, { to: name })).toEqual(downTo(name));
        expect(await ticketIndexes()).toEqual(indexesBefore);
        expect(await tablesOf(db)).not.toContain('slack_cards');
        expect(await tablesOf(db)).not.toContain('slack_rating_prompts');
        const rows = (await db.sequelize.query(
          `SELECT id, slack_channel_id, slack_message_ts, card_lease_until, requester_told_at,
             technician_told_at, rating_prompt_channel_id, rating_prompt_ts, slack_view_id
           FROM tickets WHERE id IN (:ids) ORDER BY id`,
          { replacements: { ids: [posted, owed, refused, bare] }, type: QueryTypes.SELECT },
        )) as Array<Record<string, unknown>>;
        const time = (value: unknown) => (value === null ? null : new Date(value as string).getTime());
        const dated = ['card_lease_until', 'requester_told_at', 'technician_told_at'];
        expect(
          rows.map((row) =>
            Object.fromEntries(
              Object.entries(row).map(([key, value]) => [
                key,
                dated.includes(key) ? time(value) : key === 'id' ? Number(value) : value,
              ]),
            ),
          ),
        ).toEqual([
          {
            id: posted,
            slack_channel_id: 'C0MIGRATE1',
            slack_message_ts: '1700000000.000100',
            card_lease_until: null,
            requester_told_at: now.getTime(),
            technician_told_at: now.getTime(),
            rating_prompt_channel_id: 'D0MIGRATE1',
            rating_prompt_ts: '1700000000.000200',
            slack_view_id: 'V0MIGRATE3',
          },
          { id: owed, ...none, slack_channel_id: 'C0MIGRATE1', card_lease_until: expired.getTime() },
          { id: refused, ...none, requester_told_at: now.getTime() },
          { id: bare, ...none },
        ]);
        expect(
          await db.sequelize.query('SELECT slack_view_id FROM comments WHERE ticket_id = ?', {
            replacements: [posted],
            type: QueryTypes.SELECT,
          }),
        ).toEqual([{ slack_view_id: 'V0MIGRATE4' }]);

        await migrateUp(db);
        const again = await db.models.SlackCard.findAll({
          where: { ticketId: [posted, owed, refused, bare] },
          order: [['ticketId', 'ASC']],
        });
        expect(again.map((card) => card.get({ plain: true }))).toEqual(asMoved);
        expect(await ratingPromptsOf(db, posted)).toEqual([
          { resolution: 2, channel: 'D0MIGRATE1', ts: '1700000000.000200' },
        ]);
      });

      it('adds the request types’ own targets and takes them off in place: the types and their name index stay', async () => {
        const qi = db.sequelize.getQueryInterface();
        const name = '20261210010000-request-type-targets';
        const typeIndexes = async () =>
          ((await qi.showIndex('request_types')) as Array<{ name: string }>)
            .map((index) => index.name)
            .sort();
        const type = await db.models.RequestType.create({
          name: 'Outage',
          technicianIds: '[]',
          fields: '[]',
          channelId: null,
          slaTargets: '{"urgent":"30m/2h"}',
        });
        const indexes = await typeIndexes();
        expect(indexes).toContain('request_types_name');
        expect(await migrateDown(db, { to: name })).toEqual(downTo(name));
        expect(await qi.describeTable('request_types')).not.toHaveProperty('sla_targets');
        expect(await typeIndexes()).toEqual(indexes);
        expect(
          await db.sequelize.query('SELECT name FROM request_types WHERE id = ?', {
            replacements: [type.id],
            type: QueryTypes.SELECT,
          }),
        ).toEqual([{ name: 'Outage' }]);
        await migrateUp(db);
        // Back up, every type takes the priorities' targets until an admin sets its own.
        expect(await db.models.RequestType.findByPk(type.id)).toMatchObject({
          name: 'Outage',
          slaTargets: null,
        });
      });
    },
  );
}
