import { expect, it } from 'vitest';
import { asActor, assignTicket, runSlaAlerts } from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import { REQUESTER, TECHNICIAN, useSlackTestApp } from '../support/slackApp.js';

// What a service-level warning and breach tell people (issue 15 §2), through the whole of
// ticketbot and the test Slack: at 75 % the assigned technician by DM, or with nobody assigned
// the card's thread; at the breach the card's thread, the card redrawn, and MANAGER_EMAILS by
// email. Each once, however often the job runs. The clock: business hours all week round, so a
// normal ticket is due a first response one hour after it is opened.

const minutesLater = (minutes: number) => new Date(Date.now() + minutes * 60_000);

describeEachDatabase('SLA: warnings and breaches in Slack and by email', (suite) => {
  const app = useSlackTestApp(suite, {
    SLA_WORKING_DAYS: 'Mon-Sun',
    SLA_WORKING_HOURS: '00:00-24:00',
    SLA_TARGETS_NORMAL: '1h/4h',
    MANAGER_EMAILS: 'boss@example.com',
  });
  const settled = () => app.bot.slack!.settled();
  const ticketOf = async (ts: string) => {
    const [rows] = (await suite.db.sequelize.query(
      'SELECT ticket_id AS id FROM slack_cards WHERE message_ts = ?',
      { replacements: [ts] },
    )) as [Array<{ id: number }>, unknown];
    return Number(rows[0]!.id);
  };

  it('warns the technician by DM, or the thread when unassigned; the breach goes to the thread and managers, once', async () => {
    const assigned = await app.createTicket(REQUESTER, 'Printer on fire');
    const unassigned = await app.createTicket(REQUESTER, 'Monitor flickers');
    const assignedId = await ticketOf(assigned.ts);
    const unassignedId = await ticketOf(unassigned.ts);
    await assignTicket(asActor(app.bot.services, TECHNICIAN), {
      ticketId: assignedId,
      technicianId: TECHNICIAN,
    });
    await settled();
    const techDm = `D${TECHNICIAN.slice(1)}`;
    const dmsTo = (ticketId: number) =>
      app.slack
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === techDm && c.response.ok)
        .map((c) => String(c.args.text))
        .filter((text) => text.includes(`#${ticketId}`) && text.includes('75 %'));
    const threadOf = (card: { channel: string; ts: string }) =>
      app.slack.repliesIn(card.channel, card.ts).map((m) => String(m.text));

    // 50 minutes in, twice: 75 % of the first-response hour. Assigning is not a response.
    await runSlaAlerts(app.bot.services, minutesLater(50));
    await runSlaAlerts(app.bot.services, minutesLater(52));
    await settled();
    expect(dmsTo(assignedId)).toHaveLength(1);
    expect(threadOf(assigned).filter((text) => text.includes('75 %'))).toEqual([]);
    const warnings = threadOf(unassigned).filter((text) => text.includes('75 %'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('nobody is assigned');
    expect(dmsTo(unassignedId)).toEqual([]);

    // Past the hour, twice: the breach, in each thread and to the managers, once.
    await runSlaAlerts(app.bot.services, minutesLater(65));
    await runSlaAlerts(app.bot.services, minutesLater(66));
    await settled();
    for (const card of [assigned, unassigned]) {
      expect(threadOf(card).filter((text) => text.includes('missed its first-response target'))).toHaveLength(
        1,
      );
    }
    expect(JSON.stringify(app.card(unassigned.channel, unassigned.ts).blocks)).toMatch(/overdue since/i);
    const [emails] = (await suite.db.sequelize.query(
      "SELECT ticket_id AS ticketId, recipient FROM email_outbox WHERE template = 'ticket_sla_breached' ORDER BY ticket_id",
    )) as [Array<{ ticketId: number; recipient: string }>, unknown];
    expect(emails.map((row) => [Number(row.ticketId), row.recipient])).toEqual([
      [assignedId, 'boss@example.com'],
      [unassignedId, 'boss@example.com'],
    ]);
    // Nothing more from running again.
    await runSlaAlerts(app.bot.services, minutesLater(67));
    await settled();
    expect(dmsTo(assignedId)).toHaveLength(1);
  });
});
