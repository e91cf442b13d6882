import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { ACTION_START } from '../../src/slack/blocks/ids.js';
import { createTestDatabase, databaseKinds } from '../support/db.js';
import { FakeSlack } from '../support/slackApi.js';
import { ADMIN, type Card, REQUESTER, SECOND_TECHNICIAN, TECHNICIAN } from '../support/slackApp.js';
import { ticketOfCard } from '../support/slackCards.js';
import { startTicketbotProcess, type TicketbotProcess, until } from '../support/ticketbotProcess.js';

// A ticketbot process killed (SIGKILL: a crash, an out-of-memory kill) with clicks and thread
// replies acknowledged to Slack and still waiting their turn: the process started after it
// applies every one of them, once, from the inbox (src/slack/inbox.ts).

const mysql = databaseKinds().find((kind) => kind.kind === 'mysql')!;

describe.skipIf(mysql.skipReason !== '')('a process killed with acknowledged work queued [mysql]', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let slack: FakeSlack;
  const processes: TicketbotProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('mysql');
    slack = await FakeSlack.start();
    slack.addUser(REQUESTER, { name: 'Rita Requester', email: 'rita@example.com', locale: 'en-US' });
    slack.addUser(TECHNICIAN, { name: 'Tom Tech', locale: 'en-GB' });
    slack.addUser(SECOND_TECHNICIAN, { name: 'Tess Tech', locale: 'en-US' });
    slack.addUser(ADMIN, { name: 'Ada Admin', locale: 'en-US' });
  });
  afterAll(async () => {
    for (const started of processes) await started.kill();
    await slack?.stop();
    await database?.drop();
  });

  async function startProcess(): Promise<TicketbotProcess> {
    const started = await startTicketbotProcess({
      databaseUrl: database.url,
      db: database.db,
      slack,
      // A dead process's work is taken over within 3 s and a third more.
      env: { CLAIM_SECONDS: '3' },
    });
    processes.push(started);
    return started;
  }

  const db = (): Database => database.db;
  async function waitingInInbox(): Promise<number> {
    const [rows] = await db().sequelize.query(
      'SELECT COUNT(*) AS n FROM slack_inbox WHERE applied_at IS NULL',
    );
    return Number((rows as Array<{ n: number }>)[0]!.n);
  }

  it('applies every click and thread reply the killed process had acknowledged, each once', async () => {
    const first = await startProcess();
    const cards: Card[] = [];
    for (let i = 0; i < 6; i++) cards.push(await first.app.createTicket(REQUESTER, `Outage ${i}`));
    await db().sequelize.query('DELETE FROM slack_inbox');

    // Slack stops answering card updates: the process's background turns fill up with them, and
    // the clicks and replies acknowledged after them wait in its memory.
    const holds = Array.from({ length: 12 }, () => slack.hold('chat.update'));
    const replyTo = (card: Card) =>
      first.app.threadReply(card, TECHNICIAN, `${card.ts.split('.')[0]}5.000001`, `looking at ${card.ts}`);
    // The first four clicks' card updates take the process's four background turns...
    for (const card of cards.slice(0, 4))
      expect((await first.app.click(TECHNICIAN, card, ACTION_START)).status).toBe(200);
    await Promise.all(holds.slice(0, 4).map((hold) => hold.arrived));
    // ...so everything acknowledged after them waits in its memory.
    for (const card of cards.slice(4))
      expect((await first.app.click(TECHNICIAN, card, ACTION_START)).status).toBe(200);
    for (const card of cards) expect((await first.app.event(replyTo(card))).status).toBe(200);
    const waiting = await waitingInInbox();
    // What this test is about: acknowledged requests not applied yet when the process dies.
    expect(waiting).toBe(8);

    await first.kill();
    for (const hold of holds) hold.release();

    const second = await startProcess();
    await until(waitingInInbox, (n) => n === 0, 'the inbox applied by the next process');
    for (const card of cards) {
      const ticket = await ticketOfCard(db(), card.ts);
      expect(ticket!.status).toBe('in_progress');
      const started = await db().models.TicketEvent.count({
        where: { ticketId: ticket!.id, type: 'status_changed' },
      });
      expect(started).toBe(1);
      const comments = await db().models.Comment.findAll({ where: { ticketId: ticket!.id } });
      expect(comments.map((c) => c.body)).toEqual([`looking at ${card.ts}`]);
    }
    const [failed] = await db().sequelize.query(
      'SELECT COUNT(*) AS n FROM slack_inbox WHERE failed_reason IS NOT NULL',
    );
    expect(Number((failed as Array<{ n: number }>)[0]!.n)).toBe(0);
    await second.stop();
  }, 180_000);
});
