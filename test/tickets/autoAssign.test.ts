import { afterAll, beforeAll, expect, it } from 'vitest';
import type { NotificationsHandle } from '../../src/notifications/index.js';
import {
  addTechnician,
  assignTicket,
  createTicket,
  type RequestTypeView,
  removeTechnician,
  saveRequestType,
  setAvailability,
} from '../../src/tickets/index.js';
import {
  as,
  drainUntil,
  freshNotifications,
  REQUESTER,
  SECOND_TECHNICIAN,
  TECHNICIAN,
  useMailServer,
} from '../notifications/support.js';
import { describeEachDatabase } from '../support/db.js';
import { eventsOf } from '../support/tickets.js';

// Auto-assignment (issue 14 §3): a new ticket of a type whose rule is round-robin or fewest open
// tickets, with nobody named, goes to one of the type's technicians still on the roster and not
// Away, recorded as ticketbot's own 'assigned' event and emailed like any assignment.

const ADMIN = 'U0ADMIN001';
const THIRD_TECHNICIAN = 'U0TECH0003';

describeEachDatabase('auto-assignment', (suite) => {
  const { smtp, services } = useMailServer(suite);
  let notifications: NotificationsHandle | undefined;
  let roundRobin: RequestTypeView;
  let leastOpen: RequestTypeView;

  beforeAll(async () => {
    const { db } = services;
    await db.models.User.upsert({ id: ADMIN, name: 'Ada Admin', isAdmin: true });
    await db.models.User.upsert({
      id: THIRD_TECHNICIAN,
      name: 'Kai Third',
      email: 'kai@example.com',
      locale: 'de-DE',
      isTechnician: true,
    });
    notifications = await freshNotifications(smtp, services, { wakeAfterCommit: false });
    // The type's list order is not the roster's: round-robin follows the type's.
    roundRobin = await saveRequestType(as(services, ADMIN), {
      name: 'Hardware',
      technicianIds: [SECOND_TECHNICIAN, TECHNICIAN, THIRD_TECHNICIAN],
      assignment: 'round_robin',
    });
    leastOpen = await saveRequestType(as(services, ADMIN), {
      name: 'Access',
      technicianIds: [TECHNICIAN, SECOND_TECHNICIAN, THIRD_TECHNICIAN],
      assignment: 'least_open',
    });
  });
  afterAll(async () => {
    await notifications?.stop();
  });

  const open = async (
    type: RequestTypeView | null,
    extra: Partial<Parameters<typeof createTicket>[1]> = {},
  ) =>
    (
      await createTicket(as(services, REQUESTER), {
        title: 'Need help',
        requestTypeId: type?.id ?? null,
        ...extra,
      })
    ).ticket;
  const lastAssigned = async (type: RequestTypeView) =>
    (await services.db.models.RequestType.findByPk(type.id))!.lastAssignedId;
  /** Closes every ticket: the least-open counts start from nothing. */
  const closeAll = () => services.db.models.Ticket.update({ status: 'closed' }, { where: {} });

  it("round-robin follows the type's list and wraps round, updating last_assigned_id", async () => {
    const picked: Array<string | null> = [];
    for (let i = 0; i < 4; i++) picked.push((await open(roundRobin)).technicianId);
    expect(picked).toEqual([SECOND_TECHNICIAN, TECHNICIAN, THIRD_TECHNICIAN, SECOND_TECHNICIAN]);
    expect(await lastAssigned(roundRobin)).toBe(SECOND_TECHNICIAN);
  });

  it('records the pick as a second event, by ticketbot under the rule, at version 2', async () => {
    const ticket = await open(roundRobin);
    expect(ticket.technicianId).toBe(TECHNICIAN);
    expect(ticket.version).toBe(2);
    const stored = (await services.db.models.Ticket.findByPk(ticket.id))!;
    expect([stored.technicianId, stored.version]).toEqual([TECHNICIAN, 2]);
    expect(await eventsOf(services.db, ticket.id)).toEqual([
      { type: 'created', actorId: REQUESTER, from: null, to: null, version: 1 },
      { type: 'assigned', actorId: 'ticketbot:round_robin', from: null, to: TECHNICIAN, version: 2 },
    ]);
  });

  it("emails the technician as for any assignment, naming ticketbot's rule in their language", async () => {
    smtp.received.length = 0;
    await services.db.models.EmailOutbox.destroy({ where: {} });
    const ticket = await open(roundRobin, { title: 'Dock <broken>' });
    expect(ticket.technicianId).toBe(THIRD_TECHNICIAN);
    const rows = await services.db.models.EmailOutbox.findAll({ where: { ticketId: ticket.id } });
    // One assignment email, to the technician picked; the creation itself emails nobody here.
    expect(rows.map((row) => [row.template, row.recipientUserId])).toEqual([
      ['ticket_assigned', THIRD_TECHNICIAN],
    ]);
    await drainUntil(notifications!, () => smtp.received.length >= 1);
    const mail = smtp.received[0]!;
    expect(mail.envelopeTo).toEqual(['kai@example.com']);
    // Kai reads German: "ticketbot (reihum)".
    expect(mail.parsed.text).toContain('ticketbot (reihum)');
    expect(mail.parsed.text).not.toContain('ticketbot:round_robin');

    // And in English, for Alex.
    smtp.received.length = 0;
    const next = await open(roundRobin);
    expect(next.technicianId).toBe(SECOND_TECHNICIAN);
    await drainUntil(notifications!, () => smtp.received.length >= 1);
    expect(smtp.received[0]!.parsed.text).toContain('ticketbot (round-robin) assigned you this ticket.');
  });

  it('passes over a technician who is Away, and takes them again once Available', async () => {
    // Round-robin stands at Alex (SECOND): Sam (TECHNICIAN) is next, but Away.
    await setAvailability(as(services, TECHNICIAN), true);
    expect((await open(roundRobin)).technicianId).toBe(THIRD_TECHNICIAN);
    expect((await open(roundRobin)).technicianId).toBe(SECOND_TECHNICIAN);
    expect((await open(roundRobin)).technicianId).toBe(THIRD_TECHNICIAN);
    await setAvailability(as(services, TECHNICIAN), false);
    expect((await open(roundRobin)).technicianId).toBe(SECOND_TECHNICIAN);
    expect((await open(roundRobin)).technicianId).toBe(TECHNICIAN);
  });

  it('passes over a technician removed from the roster since the type was saved', async () => {
    await removeTechnician(as(services, ADMIN), THIRD_TECHNICIAN);
    const picked: Array<string | null> = [];
    for (let i = 0; i < 3; i++) picked.push((await open(roundRobin)).technicianId);
    expect(picked).toEqual([SECOND_TECHNICIAN, TECHNICIAN, SECOND_TECHNICIAN]);
    await addTechnician(as(services, ADMIN), THIRD_TECHNICIAN);
  });

  it('least open: the fewest open and in-progress tickets, ties broken round-robin', async () => {
    await closeAll();
    // Sam has two open tickets (named by hand, of no type), the others none.
    await open(null, { technicianId: TECHNICIAN });
    await open(null, { technicianId: TECHNICIAN });
    const picked: Array<string | null> = [];
    for (let i = 0; i < 5; i++) picked.push((await open(leastOpen)).technicianId);
    // Alex and Kai tie at 0 (Alex first in the type's list), then take turns while they tie, and
    // Sam joins once all three have two.
    expect(picked).toEqual([
      SECOND_TECHNICIAN,
      THIRD_TECHNICIAN,
      SECOND_TECHNICIAN,
      THIRD_TECHNICIAN,
      TECHNICIAN,
    ]);
    expect(await lastAssigned(leastOpen)).toBe(TECHNICIAN);
    const events = await eventsOf(services.db, (await open(leastOpen)).id);
    expect(events[1]).toMatchObject({ type: 'assigned', actorId: 'ticketbot:least_open', version: 2 });
    // An in-progress ticket counts; a closed one does not.
    await closeAll();
    const busy = await open(null, { technicianId: SECOND_TECHNICIAN });
    await services.db.models.Ticket.update({ status: 'in_progress' }, { where: { id: busy.id } });
    // Standing at Alex (the last pick): Kai, then Sam, tie at 0 and come first.
    expect((await open(leastOpen)).technicianId).toBe(THIRD_TECHNICIAN);
    expect((await open(leastOpen)).technicianId).toBe(TECHNICIAN);
    expect((await open(leastOpen)).technicianId).toBe(SECOND_TECHNICIAN);
  });

  it('leaves the ticket unassigned when nobody is available, and round-robin where it stood', async () => {
    const before = await lastAssigned(roundRobin);
    for (const id of [TECHNICIAN, SECOND_TECHNICIAN, THIRD_TECHNICIAN])
      await setAvailability(as(services, id), true);
    const ticket = await open(roundRobin);
    expect(ticket.technicianId).toBeNull();
    expect(ticket.version).toBe(1);
    expect((await eventsOf(services.db, ticket.id)).map((event) => event.type)).toEqual(['created']);
    expect(await lastAssigned(roundRobin)).toBe(before);
    for (const id of [TECHNICIAN, SECOND_TECHNICIAN, THIRD_TECHNICIAN])
      await setAvailability(as(services, id), false);
  });

  it('a technician named at creation is kept; a manual assignment overrides the pick', async () => {
    const before = await lastAssigned(roundRobin);
    const named = await open(roundRobin, { technicianId: THIRD_TECHNICIAN });
    expect(named.technicianId).toBe(THIRD_TECHNICIAN);
    expect((await eventsOf(services.db, named.id)).map((event) => event.type)).toEqual(['created']);
    expect(await lastAssigned(roundRobin)).toBe(before);
    // A type without a rule picks nobody.
    const manual = await saveRequestType(as(services, ADMIN), {
      name: 'Other',
      technicianIds: [TECHNICIAN],
      assignment: 'none',
    });
    expect((await open(manual)).technicianId).toBeNull();

    const auto = await open(roundRobin);
    expect(auto.technicianId).not.toBeNull();
    const other = auto.technicianId === TECHNICIAN ? SECOND_TECHNICIAN : TECHNICIAN;
    const { ticket } = await assignTicket(as(services, TECHNICIAN), {
      ticketId: auto.id,
      technicianId: other,
      expectedVersion: 2,
    });
    expect([ticket.technicianId, ticket.version]).toEqual([other, 3]);
    expect((await eventsOf(services.db, auto.id)).slice(1)).toEqual([
      { type: 'assigned', actorId: 'ticketbot:round_robin', from: null, to: auto.technicianId, version: 2 },
      { type: 'assigned', actorId: TECHNICIAN, from: auto.technicianId, to: other, version: 3 },
    ]);
  });

  it('tickets created at once never both go to the same person by mistake: an exact round-robin split', async () => {
    const pair = await saveRequestType(as(services, ADMIN), {
      name: 'Pair',
      technicianIds: [TECHNICIAN, SECOND_TECHNICIAN],
      assignment: 'round_robin',
    });
    const tickets = await Promise.all(Array.from({ length: 20 }, () => open(pair)));
    const split = new Map<string | null, number>();
    for (const ticket of tickets) split.set(ticket.technicianId, (split.get(ticket.technicianId) ?? 0) + 1);
    expect(Object.fromEntries(split)).toEqual({ [TECHNICIAN]: 10, [SECOND_TECHNICIAN]: 10 });
    // In the order the picks were made (their events, written with the type's row locked; the
    // ticket ids were taken before the lock), the two alternate.
    const picks = await services.db.models.TicketEvent.findAll({
      where: { ticketId: tickets.map((ticket) => ticket.id), type: 'assigned' },
      order: [['id', 'ASC']],
    });
    expect(picks).toHaveLength(20);
    const order = picks.map((event) => event.toValue);
    for (let i = 1; i < order.length; i++) expect(order[i]).not.toBe(order[i - 1]);
  });
});
