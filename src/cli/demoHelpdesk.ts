import type { Database } from '../db/index.js';
import type { Priority } from '../db/models/ticket.js';
import type { NotificationData } from '../notifications/types.js';
import {
  addComment,
  asActor,
  assignTicket,
  changeStatus,
  createTicket,
  rateTicket,
  seedRoster,
  type TicketServices,
} from '../tickets/index.js';

// A small, believable helpdesk for `npm run seed:demo`: goes through the ticket rules (events,
// versions) like Slack would, then spreads the dates over the last weeks.

const PEOPLE = [
  { id: 'U0DEMOTECH1', name: 'Camille Roux', tz: 'Europe/Paris', locale: 'fr-FR', technician: true },
  { id: 'U0DEMOTECH2', name: 'Daniel Okafor', tz: 'Europe/London', locale: 'en-GB', technician: true },
  { id: 'U0DEMOTECH3', name: 'Mei Tanaka', tz: 'Asia/Tokyo', locale: 'en-US', technician: true },
  { id: 'U0DEMOADMIN', name: 'Eve Laurent', tz: 'Europe/Paris', locale: 'fr-FR', admin: true },
  { id: 'U0DEMOREQ01', name: 'Alice Martin', tz: 'Europe/Paris', locale: 'fr-FR' },
  { id: 'U0DEMOREQ02', name: 'Bruno Silva', tz: 'America/Sao_Paulo', locale: 'en-US' },
  { id: 'U0DEMOREQ03', name: 'Chloé Dubois', tz: 'Europe/Paris', locale: 'fr-FR' },
  { id: 'U0DEMOREQ04', name: 'Dev Patel', tz: 'America/New_York', locale: 'en-US' },
  { id: 'U0DEMOREQ05', name: 'Fatima Zahra', tz: 'Africa/Casablanca', locale: 'fr-FR' },
  { id: 'U0DEMOREQ06', name: 'Greg O’Neill', tz: 'America/Los_Angeles', locale: 'en-US' },
];
const TECHNICIANS = PEOPLE.filter((p) => p.technician).map((p) => p.id);
const REQUESTERS = PEOPLE.filter((p) => !p.technician && !p.admin).map((p) => p.id);

const TICKETS: Array<[title: string, description: string, priority: Priority]> = [
  ['Printer on 3rd floor jams every second page', 'The HP by the kitchen. Paper tray 2.', 'normal'],
  ['VPN drops every hour', 'Since Monday the VPN disconnects at :00 and I lose my SSH sessions.', 'high'],
  [
    'New laptop for the intern starting Monday',
    'Léa starts on the 2nd; she needs a laptop with the dev image.',
    'normal',
  ],
  ['Cannot log in to the expense tool', 'It says my account is locked.', 'high'],
  ['Projector in room Everest shows no signal', 'HDMI and USB-C both tried.', 'normal'],
  ['Request: second monitor', 'For the design review work.', 'low'],
  ['Outlook keeps asking for my password', 'Every 10 minutes, on Mac.', 'normal'],
  [
    'Production database backups failing',
    'Last successful backup was 3 days ago. Please look urgently.',
    'urgent',
  ],
  ['Wi-Fi slow in the west wing', 'Speed test shows 2 Mbit/s near the windows.', 'normal'],
  ['Access to the finance shared drive', 'Need read access for the Q4 audit.', 'normal'],
  ['Phone headset crackles', 'Jabra, the left ear only.', 'low'],
  ['Install Figma desktop app', '', 'low'],
  ['Email bounces from a customer domain', 'Mails to @example.org come back with 550.', 'high'],
  ['Badge reader at the garage door is dead', 'Nobody can get in by car since this morning.', 'urgent'],
  ['Reset MFA after phone change', 'New phone, old authenticator app gone.', 'high'],
  ['Slack notifications not showing on Windows', '', 'low'],
  ['Meeting room display stuck on boot logo', 'Room Kilimanjaro.', 'normal'],
  ['Request licence for JetBrains IDE', 'IntelliJ Ultimate for the backend team.', 'low'],
  ['Laptop battery swells', 'The trackpad is lifting. I stopped using it.', 'urgent'],
  ['Shared calendar shows wrong time zone', 'Events from the Paris office are one hour off.', 'normal'],
  ['Scanner sends PDFs to the wrong address', '', 'normal'],
  ['Keyboard missing the é key', 'French layout ordered, got US.', 'low'],
  ['Git server is slow to clone', 'Cloning the monorepo takes 20 minutes.', 'high'],
  ['Request: access to the staging Kubernetes cluster', 'Read-only is enough.', 'normal'],
  ['Coffee machine app shows <offline>', 'Not strictly IT, but the machine is on the network.', 'low'],
];

const COMMENTS = [
  'I can reproduce it on my side too.',
  'Tried restarting, no change.',
  'Taking a look now.',
  'Can you send a screenshot of the error?',
  'Fixed on our side, can you confirm?',
  'Works now, thank you!',
  'Ordered the part, should arrive Thursday.',
  'Escalated to the network team.',
];

const DAY = 86_400_000;

/** Spreads a ticket's events (and the comments and rating they record) from its creation to its last activity. */
async function backdateStory(db: Database, ticketId: number, from: Date, to: Date) {
  const events = await db.models.TicketEvent.findAll({ where: { ticketId }, order: [['id', 'ASC']] });
  const step = events.length > 1 ? (to.getTime() - from.getTime()) / (events.length - 1) : 0;
  for (const [k, event] of events.entries()) {
    const at = new Date(from.getTime() + k * step);
    // A static update: Sequelize leaves createdAt alone when an instance is saved.
    await db.models.TicketEvent.update({ createdAt: at }, { where: { id: event.id }, silent: true });
    if (event.type === 'commented' && event.toValue) {
      await db.models.Comment.update(
        { createdAt: at },
        { where: { id: Number(event.toValue) }, silent: true },
      );
    }
    if (event.type === 'rated') await db.models.Rating.update({ createdAt: at }, { where: { ticketId } });
  }
}

export async function seedDemoHelpdesk(
  db: Database,
  services: TicketServices,
): Promise<{ people: number; tickets: number }> {
  await seedRoster(db, { technicianIds: TECHNICIANS, adminIds: ['U0DEMOADMIN'] });
  for (const person of PEOPLE) {
    await db.models.User.upsert({
      id: person.id,
      name: person.name,
      realName: person.name,
      email: `${person.name
        .split(' ')[0]!
        .toLowerCase()
        .normalize('NFD')
        .replace(/[^a-z]/g, '')}@example.com`,
      locale: person.locale,
      tz: person.tz,
      isTechnician: Boolean(person.technician),
      isAdmin: Boolean(person.admin),
      profileRefreshedAt: new Date(),
    } as never);
  }
  const as = (id: string) => asActor(services, id);
  const now = Date.now();
  let emailKey = 0;
  for (const [i, [title, description, priority]] of TICKETS.entries()) {
    const requester = REQUESTERS[i % REQUESTERS.length]!;
    const technician = TECHNICIANS[Math.floor(i / 3) % TECHNICIANS.length]!;
    const { ticket } = await createTicket(as(requester), { title, description, priority });
    // Older tickets first; about a third are closed and rated, a third in progress, the rest open.
    // (Rated tickets are those with i % 3 === 0: the score must not be a function of i % 3 alone.)
    const fate = i % 3;
    if (i % 5 !== 4) await assignTicket(as(technician), { ticketId: ticket.id, technicianId: technician });
    if (i % 5 !== 4 && fate !== 2) {
      await changeStatus(as(technician), { ticketId: ticket.id, status: 'in_progress' });
      await addComment(as(technician), { ticketId: ticket.id, body: COMMENTS[(i * 3) % COMMENTS.length]! });
    }
    if (i % 2 === 0)
      await addComment(as(requester), {
        ticketId: ticket.id,
        body: COMMENTS[(i * 5 + 1) % COMMENTS.length]!,
      });
    if (i % 5 !== 4 && fate === 0) {
      await changeStatus(as(technician), { ticketId: ticket.id, status: 'closed' });
      if (i % 4 !== 3)
        await rateTicket(as(requester), {
          ticketId: ticket.id,
          score: 5 - (i % 4),
          remark: i % 2 ? 'Quick and kind.' : null,
        });
    }
    // Spread the story over the last five weeks, oldest ticket first.
    const createdAt = new Date(now - (TICKETS.length - i) * 1.4 * DAY);
    const lastActivityAt = new Date(
      Math.min(now - 3_600_000, createdAt.getTime() + (1 + (i % 4)) * 0.6 * DAY),
    );
    const closedAt = fate === 0 && i % 5 !== 4 ? lastActivityAt : null;
    // A ticket card in a demo channel, so the page's "Open the Slack thread" link has somewhere to point.
    const slackMessageTs = `${Math.floor(createdAt.getTime() / 1000)}.${String(100 + i).padStart(6, '0')}`;
    await db.models.Ticket.update(
      { createdAt, lastActivityAt, closedAt },
      { where: { id: ticket.id }, silent: true },
    );
    await db.models.SlackCard.create({
      ticketId: ticket.id,
      channelId: 'C0DEMOHELP',
      messageTs: slackMessageTs,
    });
    await backdateStory(db, ticket.id, createdAt, lastActivityAt);
    const person = PEOPLE.find((p) => p.id === requester)!;
    const recipient = person.name.split(' ')[0]!.toLowerCase();
    // History only (sent, and one dead to retry): pending rows would be drained by the running
    // app. Real notifications queue themselves as people work. The data is what the
    // ticket_created templates read, so the dead one renders when it is retried.
    const data: NotificationData = {
      recipient: { name: person.name },
      actor: { name: person.name },
      ticket: {
        id: ticket.id,
        title,
        description,
        priority,
        status: 'open',
        requester: person.name,
        technician: null,
        createdAt: createdAt.toISOString(),
      },
      timeZone: person.tz,
    };
    const status = i === 7 ? 'dead' : 'sent';
    await db.models.EmailOutbox.create({
      ticketId: ticket.id,
      recipient: `${recipient.normalize('NFD').replace(/[^a-z]/g, '')}@example.com`,
      template: 'ticket_created',
      data: JSON.stringify(data),
      locale: person.locale,
      status,
      attempts: status === 'dead' ? 5 : status === 'sent' ? 1 : 0,
      availableAt: createdAt,
      leaseOwner: null,
      leaseExpiresAt: null,
      lastError: status === 'dead' ? 'Mailbox unavailable: user unknown' : null,
      lastSmtpCode: status === 'dead' ? 550 : null,
      messageId: null,
      idempotencyKey: `demo-${ticket.id}-${emailKey++}`,
      sentAt: status === 'sent' ? createdAt : null,
    });
  }
  return { people: PEOPLE.length, tickets: TICKETS.length };
}
