import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { createLogger } from '../../src/logger.js';
import {
  asActor,
  createTicketHooks,
  type RequestTypeView,
  saveRequestType,
  seedRoster,
} from '../../src/tickets/index.js';
import { createTestDatabase, databaseKinds } from '../support/db.js';
import { FakeSlack, type SlackCall } from '../support/slackApi.js';
import { ADMIN, REQUESTER, SECOND_TECHNICIAN, type SlackTestApp, TECHNICIAN } from '../support/slackApp.js';
import { TestSmtpServer } from '../support/smtpServer.js';
import { startTicketbotProcess, type TicketbotProcess, until } from '../support/ticketbotProcess.js';

// Auto-assignment across replicas (issue 14 §3 and §5): two ticketbot processes on one MariaDB
// database and one test Slack, 50 new-ticket modals submitted at once (signed view_submission
// requests, half through each process). Round-robin between two technicians splits them exactly
// 25/25; fewest open tickets, from an uneven start, ends with both technicians' loads equal.
// Every ticket is assigned exactly once (one 'assigned' event by ticketbot, version 2), each
// technician gets one DM and one email per ticket picked for them. The splits are printed.

const TICKETS = 50;

// Replicas share a MySQL/MariaDB server; SQLite is for one process (README, "Reliability").
const mysql = databaseKinds().find((each) => each.kind === 'mysql')!;

describe.skipIf(mysql.skipReason !== '')(
  'auto-assignment with two replicas, 50 tickets at once [mysql]',
  () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let slack: FakeSlack;
    let smtp: TestSmtpServer;
    let type: RequestTypeView;
    const processes: TicketbotProcess[] = [];
    const db = (): Database => database.db;
    const services = () => ({ db: db(), hooks: createTicketHooks(), logger: createLogger('silent') });

    beforeAll(async () => {
      database = await createTestDatabase('mysql');
      slack = await FakeSlack.start();
      smtp = await TestSmtpServer.start();
      slack.addUser(REQUESTER, { name: 'Rita Requester', email: 'rita@example.com', locale: 'en-US' });
      slack.addUser(TECHNICIAN, { name: 'Tom Tech', email: 'tom@example.com', locale: 'en-GB' });
      slack.addUser(SECOND_TECHNICIAN, { name: 'Tess Tech', email: 'tess@example.com', locale: 'en-US' });
      slack.addUser(ADMIN, { name: 'Ada Admin', locale: 'en-US' });
      // The type, defined before the processes start (each reads the types then): the default,
      // so the modal opens on it.
      await seedRoster(db(), { technicianIds: [TECHNICIAN, SECOND_TECHNICIAN], adminIds: [ADMIN] });
      type = await saveRequestType(asActor(services(), ADMIN), {
        name: 'Hardware',
        technicianIds: [TECHNICIAN, SECOND_TECHNICIAN],
        assignment: 'round_robin',
        isDefault: true,
      });
      for (let i = 0; i < 2; i++)
        processes.push(
          await startTicketbotProcess({
            databaseUrl: database.url,
            db: db(),
            slack,
            env: { SMTP_URL: smtp.url, MAIL_FROM: 'ticketbot <ticketbot@example.com>' },
          }),
        );
    }, 180_000);
    afterAll(async () => {
      for (const started of processes) await started.stop();
      await slack?.stop();
      await smtp?.close();
      await database?.drop();
    });

    const rows = async <T>(sql: string, replacements: unknown[] = []): Promise<T[]> => {
      const [found] = await db().sequelize.query(sql, { replacements });
      return found as T[];
    };

    /**
     * Opens `count` modals (`/ticket`, alternating between the processes), then submits them all
     * at once, each through the process that opened it. A submission answered "try again" (the
     * database's answer did not come within Slack's three seconds) is submitted again, as the
     * person would: the same view, so never a second ticket. Returns the new tickets' ids.
     */
    async function submitAtOnce(count: number, label: string): Promise<number[]> {
      const before = new Set((await rows<{ id: number }>('SELECT id FROM tickets')).map((row) => row.id));
      const opened: Array<{ app: SlackTestApp; view: SlackCall; title: string }> = [];
      await Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const app = processes[i % 2]!.app;
          const trigger = app.newTriggerId();
          const title = `${label} ${i}`;
          expect((await app.command(REQUESTER, title, 'C0GENERAL1', trigger)).status).toBe(200);
          const view = await slack.waitForCall('views.open', (args) => args.trigger_id === trigger, 60_000);
          opened.push({ app, view, title });
        }),
      );
      let retried = 0;
      await Promise.all(
        opened.map(async ({ app, view, title }) => {
          for (let attempt = 1; ; attempt++) {
            const answer = await app.submitView(REQUESTER, view, {
              request_type: {
                request_type: { type: 'static_select', selected_option: { value: String(type.id) } },
              },
              title: { title: { type: 'plain_text_input', value: title } },
              priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
            });
            expect(answer.status).toBe(200);
            if (answer.text === '') return;
            expect(answer.text).toContain('Submit again');
            expect(attempt).toBeLessThan(5);
            retried += 1;
          }
        }),
      );
      if (retried > 0)
        process.stdout.write(
          `[auto-assign replicas] ${label}: ${retried} submissions answered "submit again", submitted again\n`,
        );
      const ids = (await rows<{ id: number }>('SELECT id FROM tickets ORDER BY id'))
        .map((row) => row.id)
        .filter((id) => !before.has(id));
      expect(ids).toHaveLength(count);
      return ids;
    }

    /** Open and in-progress tickets per technician. */
    async function loads(): Promise<Record<string, number>> {
      const found = await rows<{ technician_id: string; n: number }>(
        `SELECT technician_id, COUNT(*) AS n FROM tickets WHERE status IN ('open', 'in_progress')
       AND technician_id IS NOT NULL GROUP BY technician_id`,
      );
      return Object.fromEntries(found.map((row) => [row.technician_id, Number(row.n)]));
    }

    /** Each ticket assigned once, by ticketbot under `rule`, as its version 2; whom each went to. */
    async function assignedOnce(ids: number[], rule: string): Promise<Record<string, number>> {
      const tickets = await rows<{ id: number; technician_id: string | null; version: number }>(
        `SELECT id, technician_id, version FROM tickets WHERE id IN (${ids.map(() => '?').join(', ')})`,
        ids,
      );
      const events = await rows<{ ticket_id: number; actor_id: string; to_value: string; version: number }>(
        `SELECT ticket_id, actor_id, to_value, version FROM ticket_events
       WHERE type = 'assigned' AND ticket_id IN (${ids.map(() => '?').join(', ')})`,
        ids,
      );
      const split: Record<string, number> = {};
      for (const ticket of tickets) {
        const mine = events.filter((event) => event.ticket_id === ticket.id);
        expect(mine, `ticket #${ticket.id}'s assignments`).toEqual([
          { ticket_id: ticket.id, actor_id: `ticketbot:${rule}`, to_value: ticket.technician_id, version: 2 },
        ]);
        expect(ticket.version).toBe(2);
        split[ticket.technician_id!] = (split[ticket.technician_id!] ?? 0) + 1;
      }
      return split;
    }

    /** The technicians' DMs about the tickets `ids` (one per ticket, to whom it went). */
    const dmsAbout = (ids: number[]) => {
      const dms: Record<string, number> = {};
      for (const call of slack.callsTo('chat.postMessage')) {
        const channel = String(call.args.channel ?? '');
        const text = String(call.args.text ?? '');
        if (!call.response.ok || !channel.startsWith('D0TECH')) continue;
        if (!ids.some((id) => text.includes(`#${id} `))) continue;
        const user = `U${channel.slice(1)}`;
        dms[user] = (dms[user] ?? 0) + 1;
      }
      return dms;
    };

    /** The assignment emails queued about `ids`, per technician. */
    async function assignmentEmails(ids: number[]): Promise<Record<string, number>> {
      const found = await rows<{ recipient_user_id: string; n: number }>(
        `SELECT recipient_user_id, COUNT(*) AS n FROM email_outbox WHERE template = 'ticket_assigned'
       AND ticket_id IN (${ids.map(() => '?').join(', ')}) GROUP BY recipient_user_id`,
        ids,
      );
      return Object.fromEntries(found.map((row) => [row.recipient_user_id, Number(row.n)]));
    }

    it('round-robin between two technicians: exactly 25 each, every ticket assigned once', async () => {
      const ids = await submitAtOnce(TICKETS, 'Round-robin');
      const split = await assignedOnce(ids, 'round_robin');
      process.stdout.write(
        `[auto-assign replicas] round-robin, ${TICKETS} tickets through 2 processes: ${JSON.stringify(split)}\n`,
      );
      expect(split).toEqual({ [TECHNICIAN]: 25, [SECOND_TECHNICIAN]: 25 });
      expect(await assignmentEmails(ids)).toEqual({ [TECHNICIAN]: 25, [SECOND_TECHNICIAN]: 25 });
      // The technician's DM, once per ticket, after its card is posted.
      const dms = await until(
        () => dmsAbout(ids),
        (found) => (found[TECHNICIAN] ?? 0) + (found[SECOND_TECHNICIAN] ?? 0) >= TICKETS,
        'the technicians’ DMs',
      );
      expect(dms).toEqual({ [TECHNICIAN]: 25, [SECOND_TECHNICIAN]: 25 });
      // Each card was posted once, naming its technician and who picked them.
      const cards = slack
        .callsTo('chat.postMessage')
        .filter(
          (call) => call.response.ok && JSON.stringify(call.args.blocks ?? []).includes('Round-robin '),
        );
      expect(cards).toHaveLength(TICKETS);
      for (const card of cards)
        expect(JSON.stringify(card.args.blocks)).toMatch(
          /ticketbot \(round-robin\) assigned it to (Tom|Tess) Tech/,
        );
    }, 240_000);

    it('fewest open tickets, from an uneven start: both loads end equal, every ticket assigned once', async () => {
      // Tess closes ten of hers: 25 open for Tom, 15 for Tess.
      await db().sequelize.query(
        `UPDATE tickets SET status = 'closed', closed_at = ? WHERE technician_id = ? ORDER BY id LIMIT 10`,
        { replacements: [new Date(), SECOND_TECHNICIAN] },
      );
      expect(await loads()).toEqual({ [TECHNICIAN]: 25, [SECOND_TECHNICIAN]: 15 });
      const current = (await db().models.RequestType.findByPk(type.id))!;
      type = await saveRequestType(asActor(services(), ADMIN), {
        id: type.id,
        expectedVersion: current.version,
        name: 'Hardware',
        technicianIds: [TECHNICIAN, SECOND_TECHNICIAN],
        assignment: 'least_open',
        isDefault: true,
      });
      const ids = await submitAtOnce(TICKETS, 'Least open');
      const split = await assignedOnce(ids, 'least_open');
      const ended = await loads();
      process.stdout.write(
        `[auto-assign replicas] fewest open, ${TICKETS} tickets from loads 25/15: ${JSON.stringify(split)}, loads now ${JSON.stringify(ended)}\n`,
      );
      // Each pick saw the loads as the previous one left them: Tess was caught up, then they alternated.
      expect(split).toEqual({ [TECHNICIAN]: 20, [SECOND_TECHNICIAN]: 30 });
      expect(ended).toEqual({ [TECHNICIAN]: 45, [SECOND_TECHNICIAN]: 45 });
      expect(await assignmentEmails(ids)).toEqual({ [TECHNICIAN]: 20, [SECOND_TECHNICIAN]: 30 });
      const dms = await until(
        () => dmsAbout(ids),
        (found) => (found[TECHNICIAN] ?? 0) + (found[SECOND_TECHNICIAN] ?? 0) >= TICKETS,
        'the technicians’ DMs',
      );
      expect(dms).toEqual({ [TECHNICIAN]: 20, [SECOND_TECHNICIAN]: 30 });
    }, 240_000);
  },
);
