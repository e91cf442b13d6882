import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { seedRoster } from '../../src/tickets/index.js';
import { createTestDatabase, databaseKinds } from '../support/db.js';
import { FakeSlack } from '../support/slackApi.js';
import { ADMIN, REQUESTER, TECHNICIAN } from '../support/slackApp.js';
import { TestSmtpServer } from '../support/smtpServer.js';
import { startTicketbotProcess, type TicketbotProcess, until } from '../support/ticketbotProcess.js';

// Service-level warnings and breaches with two replicas (issue 15 §2 and §6): two ticketbot
// processes on one MariaDB database, one test Slack and one SMTP server, both running the SLA
// job every second (SLA_JOB_SCHEDULE). Each ticket's two targets warn at 75 % and breach; every
// alert must arrive exactly once: its sla_alerts row, its history event, the technician's DM or
// the thread's reply, the card redrawn showing the breach, the managers' email. Then the same
// with one process SIGKILLed just as the breaches fall due, and started again.
//
// The clock: business hours all week round the clock, and a normal ticket's targets are
// 10 min to first response and 20 min to resolution. The processes keep their own wall clock,
// so the test moves the tickets' stored clocks back instead (their warning and due times, by the
// same amount: the ticket is as if opened that much earlier) in steps, each step waiting for
// everything it owes before the next: 8 min (first-response warning), 11 (its breach), 16
// (resolution warning), 21 (its breach).

const MANAGER = 'boss@example.com';
const TICKETS = 8;

// Replicas share a MySQL/MariaDB server; SQLite is for one process (README, "Reliability").
const mysql = databaseKinds().find((each) => each.kind === 'mysql')!;

type Target = 'response' | 'resolution';
type Kind = 'warning' | 'breach';
interface Opened {
  id: number;
  channel: string;
  ts: string;
  assigned: boolean;
}

const TARGET_TEXT: Record<Target, string> = { response: 'first-response', resolution: 'resolution' };

describe.skipIf(mysql.skipReason !== '')('SLA warnings and breaches with two replicas [mysql]', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let slack: FakeSlack;
  let smtp: TestSmtpServer;
  const processes: TicketbotProcess[] = [];
  const db = (): Database => database.db;
  const techDm = `D${TECHNICIAN.slice(1)}`;

  const start = () =>
    startTicketbotProcess({
      databaseUrl: database.url,
      db: db(),
      slack,
      env: {
        SMTP_URL: smtp.url,
        MAIL_FROM: 'ticketbot <ticketbot@example.com>',
        MANAGER_EMAILS: MANAGER,
        SLA_WORKING_DAYS: 'Mon-Sun',
        SLA_WORKING_HOURS: '00:00-24:00',
        SLA_TARGETS_NORMAL: '10m/20m',
        SLA_JOB_SCHEDULE: '* * * * * *',
        EMAIL_QUEUE_CRON: '* * * * * *',
        // A killed process's Slack work is taken over within this and a third more.
        CLAIM_SECONDS: '3',
      },
    });

  beforeAll(async () => {
    database = await createTestDatabase('mysql');
    slack = await FakeSlack.start();
    smtp = await TestSmtpServer.start();
    slack.addUser(REQUESTER, { name: 'Rita Requester', email: 'rita@example.com', locale: 'en-US' });
    slack.addUser(TECHNICIAN, { name: 'Tom Tech', email: 'tom@example.com', locale: 'en-GB' });
    slack.addUser(ADMIN, { name: 'Ada Admin', locale: 'en-US' });
    // The requester names Tom in the modal for half the tickets (warnings go to him by DM);
    // nobody is assigned the others (warnings go to the card's thread).
    await seedRoster(db(), { technicianIds: [TECHNICIAN], adminIds: [ADMIN] });
    processes.push(await start(), await start());
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
  const list = (ids: number[]) => ids.map(() => '?').join(', ');

  /** Opens tickets through the modal, alternating between the processes; half name Tom. */
  async function openTickets(label: string): Promise<Opened[]> {
    const opened: Opened[] = [];
    for (let i = 0; i < TICKETS; i++) {
      const assigned = i % 4 < 2;
      const card = await processes[i % 2]!.app.createTicket(
        REQUESTER,
        `${label} ${i}`,
        assigned
          ? { technician: { technician: { type: 'static_select', selected_option: { value: TECHNICIAN } } } }
          : {},
      );
      const [found] = await rows<{ id: number }>(
        'SELECT ticket_id AS id FROM slack_cards WHERE message_ts = ?',
        [card.ts],
      );
      opened.push({ id: Number(found!.id), channel: card.channel, ts: card.ts, assigned });
    }
    const assigned = await rows<{ id: number; technician_id: string | null }>(
      `SELECT id, technician_id FROM tickets WHERE id IN (${list(opened.map((t) => t.id))}) ORDER BY id`,
      opened.map((t) => t.id),
    );
    expect(assigned.map((row) => [Number(row.id), row.technician_id])).toEqual(
      opened.map((t) => [t.id, t.assigned ? TECHNICIAN : null]),
    );
    return opened;
  }

  /** The tickets as if opened `minutes` earlier than they were: their warning and due times move back. */
  async function age(tickets: Opened[], minutes: number): Promise<void> {
    const ids = tickets.map((t) => t.id);
    const columns = [
      'sla_response_warn_at',
      'sla_response_due_at',
      'sla_resolution_warn_at',
      'sla_resolution_due_at',
    ];
    await db().sequelize.query(
      `UPDATE tickets SET ${columns.map((c) => `${c} = ${c} - INTERVAL ? SECOND`).join(', ')}
        WHERE id IN (${list(ids)})`,
      { replacements: [...columns.map(() => minutes * 60), ...ids] },
    );
  }

  /** Everything each alert of each ticket left behind, counted. */
  async function observe(tickets: Opened[]) {
    const ids = tickets.map((t) => t.id);
    const alerts = await rows<{ ticket_id: number; target: Target; kind: Kind }>(
      `SELECT ticket_id, target, kind FROM sla_alerts WHERE ticket_id IN (${list(ids)})`,
      ids,
    );
    const events = await rows<{
      ticket_id: number;
      type: string;
      from_value: Target;
      actor_id: string;
      version: number;
    }>(
      `SELECT ticket_id, type, from_value, actor_id, version FROM ticket_events
        WHERE type IN ('sla_warning', 'sla_breached') AND ticket_id IN (${list(ids)})`,
      ids,
    );
    const dms = slack.messagesIn(techDm).map((m) => String(m.text));
    const updates = slack.callsTo('chat.update').filter((call) => call.response.ok);
    return tickets.map((ticket) => {
      const mine = events.filter((e) => Number(e.ticket_id) === ticket.id);
      const thread = slack.repliesIn(ticket.channel, ticket.ts).map((m) => String(m.text));
      const emails = smtp.received.filter(
        (email) =>
          email.envelopeTo.includes(MANAGER) && String(email.parsed.subject).startsWith(`[#${ticket.id}] `),
      );
      const count = (texts: string[], ...parts: string[]) =>
        texts.filter((text) => parts.every((part) => text.includes(part))).length;
      const of = (target: Target) => {
        const breach = mine.find((e) => e.type === 'sla_breached' && e.from_value === target);
        // The card's redraws at the breach's version (its actions block names the version it shows).
        const redraws = breach
          ? updates.filter(
              (call) =>
                call.args.ts === ticket.ts &&
                JSON.stringify(call.args.blocks).includes(`"ticket_actions:${ticket.id}:${breach.version}"`),
            )
          : [];
        const subject = target === 'response' ? 'First-response target missed' : 'Resolution target missed';
        const targetEmails = emails.filter((email) => String(email.parsed.subject).includes(subject));
        return {
          alerts: {
            warning: alerts.filter(
              (a) => Number(a.ticket_id) === ticket.id && a.target === target && a.kind === 'warning',
            ).length,
            breach: alerts.filter(
              (a) => Number(a.ticket_id) === ticket.id && a.target === target && a.kind === 'breach',
            ).length,
          },
          events: {
            warning: mine.filter(
              (e) => e.type === 'sla_warning' && e.from_value === target && e.actor_id === 'ticketbot',
            ).length,
            breach: mine.filter(
              (e) => e.type === 'sla_breached' && e.from_value === target && e.actor_id === 'ticketbot',
            ).length,
          },
          warningDms: count(dms, `#${ticket.id} `, '75 %', `of its ${TARGET_TEXT[target]} time`),
          warningReplies: count(thread, '75 %', `ticket's ${TARGET_TEXT[target]} time`),
          breachReplies: count(thread, `missed its ${TARGET_TEXT[target]} target`),
          cardRedraws: redraws.length,
          cardShowsBreach: redraws.every((call) =>
            JSON.stringify(call.args.blocks).includes(
              target === 'response' ? 'First response overdue since' : 'Resolution overdue since',
            ),
          ),
          emails: targetEmails.length,
          emailMessageIds: new Set(targetEmails.map((email) => email.messageId)).size,
        };
      };
      return { id: ticket.id, response: of('response'), resolution: of('resolution') };
    });
  }

  /** What each ticket is owed once its alerts up to `upTo` are raised. */
  function owed(tickets: Opened[], upTo: Array<[Target, Kind]>) {
    const has = (target: Target, kind: Kind) => upTo.some(([t, k]) => t === target && k === kind);
    return tickets.map((ticket) => {
      const of = (target: Target) => {
        const warned = has(target, 'warning') ? 1 : 0;
        const breached = has(target, 'breach') ? 1 : 0;
        return {
          alerts: { warning: warned, breach: breached },
          events: { warning: warned, breach: breached },
          warningDms: ticket.assigned ? warned : 0,
          warningReplies: ticket.assigned ? 0 : warned,
          breachReplies: breached,
          cardRedraws: breached,
          cardShowsBreach: true,
          emails: breached,
          emailMessageIds: breached,
        };
      };
      return { id: ticket.id, response: of('response'), resolution: of('resolution') };
    });
  }

  /** Waits until everything owed so far has arrived (at least once), then returns what arrived. */
  async function arrived(tickets: Opened[], upTo: Array<[Target, Kind]>, what: string) {
    const expected = owed(tickets, upTo);
    const atLeast = (found: Awaited<ReturnType<typeof observe>>) =>
      found.every((ticket, i) =>
        (['response', 'resolution'] as const).every((target) => {
          const want = expected[i]![target];
          const got = ticket[target];
          return (
            got.alerts.warning >= want.alerts.warning &&
            got.alerts.breach >= want.alerts.breach &&
            got.events.warning >= want.events.warning &&
            got.events.breach >= want.events.breach &&
            got.warningDms >= want.warningDms &&
            got.warningReplies >= want.warningReplies &&
            got.breachReplies >= want.breachReplies &&
            got.cardRedraws >= want.cardRedraws &&
            got.emails >= want.emails
          );
        }),
      );
    return until(() => observe(tickets), atLeast, what, 120_000);
  }

  const STEPS: Array<{ minutes: number; alert: [Target, Kind] }> = [
    { minutes: 8, alert: ['response', 'warning'] },
    { minutes: 3, alert: ['response', 'breach'] },
    { minutes: 5, alert: ['resolution', 'warning'] },
    { minutes: 5, alert: ['resolution', 'breach'] },
  ];

  let firstTickets: Opened[] = [];

  it('each warning and breach once: alert rows, history, DMs, thread replies, card redraws, manager emails', async () => {
    const tickets = await openTickets('Replicas');
    firstTickets = tickets;
    const upTo: Array<[Target, Kind]> = [];
    for (const step of STEPS) {
      await age(tickets, step.minutes);
      upTo.push(step.alert);
      expect(await arrived(tickets, upTo, `${step.alert.join(' ')} for every ticket`)).toEqual(
        owed(tickets, upTo),
      );
    }
    expect(await observe(tickets)).toEqual(owed(tickets, upTo));
  }, 180_000);

  it('a process SIGKILLed as the breaches fall due, then started again: still each once, nothing missing', async () => {
    const tickets = await openTickets('Killed');
    const upTo: Array<[Target, Kind]> = [];
    for (const step of STEPS) {
      await age(tickets, step.minutes);
      upTo.push(step.alert);
      if (step.alert[0] === 'response' && step.alert[1] === 'breach') {
        // Once the first breach is raised, the rest are under way: its job may be raising one,
        // its outbox sending what one owes, its drain mailing.
        const ids = tickets.map((t) => t.id);
        const breaches = () =>
          rows<{ n: number }>(
            `SELECT COUNT(*) AS n FROM sla_alerts WHERE kind = 'breach' AND ticket_id IN (${list(ids)})`,
            ids,
          ).then((found) => Number(found[0]!.n));
        await until(breaches, (n) => n > 0, 'the first breach');
        await processes[1]!.kill();
        process.stdout.write(
          `[sla replicas] killed with ${await breaches()} of ${TICKETS} breaches raised\n`,
        );
        await arrived(tickets, upTo, 'the first-response breaches, with one process left');
        processes[1] = await start();
      } else {
        await arrived(tickets, upTo, `${step.alert.join(' ')} for every ticket`);
      }
    }
    const found = await observe(tickets);
    const expected = owed(tickets, upTo);
    // A card redraw or an email whose process died after Slack or the SMTP server took it but
    // before it was recorded is done again by the other replica: the same card at the same version,
    // the same email with the same Message-ID (README, "Email": duplicates). Counted apart.
    const again = found.flatMap((ticket) =>
      (['response', 'resolution'] as const)
        .filter((target) => ticket[target].cardRedraws > 1 || ticket[target].emails > 1)
        .map((target) => `#${ticket.id} ${target}`),
    );
    process.stdout.write(
      `[sla replicas] after the kill, redrawn or mailed again (same version, same Message-ID): ${again.length === 0 ? 'none' : again.join(', ')}\n`,
    );
    for (const ticket of found)
      for (const target of ['response', 'resolution'] as const) {
        expect(ticket[target].cardRedraws).toBeGreaterThanOrEqual(1);
        expect(ticket[target].emails).toBeGreaterThanOrEqual(1);
        ticket[target].cardRedraws = 1;
        ticket[target].emails = 1;
      }
    expect(found).toEqual(expected);
    // The first test's tickets: nothing more came for them meanwhile.
    expect(await observe(firstTickets)).toEqual(owed(firstTickets, upTo));
  }, 240_000);
});
