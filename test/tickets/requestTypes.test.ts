import { beforeAll, expect, it } from 'vitest';
import {
  archiveRequestType,
  changeRequestType,
  createTicket,
  defaultRequestType,
  listRequestTypes,
  NotAllowed,
  type RequestTypeView,
  saveRequestType,
  storedFieldsOf,
  type TicketServices,
  ValidationFailed,
} from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import {
  ADMIN,
  as,
  eventsOf,
  REQUESTER,
  SECOND_TECHNICIAN,
  TECHNICIAN,
  ticketServices,
} from '../support/tickets.js';

// Request types (issue 14 §2): what admins define, and the values a ticket is opened with.

describeEachDatabase('request types', (suite) => {
  let services: TicketServices;
  let hardware: RequestTypeView;
  beforeAll(async () => {
    services = await ticketServices(suite.db);
    hardware = await saveRequestType(as(services, ADMIN), {
      name: 'Hardware',
      description: 'Laptops, screens, printers',
      defaultPriority: 'high',
      technicianIds: [TECHNICIAN],
      assignment: 'round_robin',
      isDefault: true,
      fields: [
        { label: 'Asset tag', kind: 'short', required: true },
        { label: 'What happened', kind: 'long', required: false },
        { label: 'Site', kind: 'choice', required: true, options: ['Paris', 'Lyon', 'Paris'] },
      ],
    });
  });

  const rejection = async (work: Promise<unknown>) => {
    const error = await work.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(ValidationFailed);
    return (error as ValidationFailed).fields;
  };

  it('is defined by admins only, with its fields given stable ids', async () => {
    expect(hardware.fields.map((field) => [field.label, field.kind, field.required])).toEqual([
      ['Asset tag', 'short', true],
      ['What happened', 'long', false],
      ['Site', 'choice', true],
    ]);
    expect(hardware.fields[2]!.options).toEqual(['Paris', 'Lyon']);
    expect(hardware.fields.every((field) => /^f[0-9a-f]{6}$/.test(field.id))).toBe(true);
    await expect(saveRequestType(as(services, TECHNICIAN), { name: 'Mine' })).rejects.toBeInstanceOf(
      NotAllowed,
    );

    // Editing keeps the ids of the fields it keeps, and gives new ones their own.
    const edited = await saveRequestType(as(services, ADMIN), {
      id: hardware.id,
      expectedVersion: hardware.version,
      name: 'Hardware',
      description: 'Laptops, screens, printers',
      defaultPriority: 'high',
      technicianIds: [TECHNICIAN, SECOND_TECHNICIAN],
      assignment: 'round_robin',
      isDefault: true,
      fields: [...hardware.fields, { label: 'Floor', kind: 'short', required: false }],
    });
    expect(edited.fields.slice(0, 3).map((field) => field.id)).toEqual(
      hardware.fields.map((field) => field.id),
    );
    expect(edited.fields[3]!.id).not.toBe(hardware.fields[0]!.id);
    expect(edited.version).toBe(hardware.version + 1);
    // A form drawn from the older version is refused rather than undoing the edit.
    expect(
      await rejection(
        saveRequestType(as(services, ADMIN), {
          id: hardware.id,
          expectedVersion: hardware.version,
          name: 'Old',
        }),
      ),
    ).toHaveProperty('name');
    hardware = edited;
  });

  it('refuses what cannot work: no name, six fields, a private type without its channel, a lone choice, strangers', async () => {
    const admin = as(services, ADMIN);
    expect(await rejection(saveRequestType(admin, { name: ' ' }))).toHaveProperty('name');
    expect(await rejection(saveRequestType(admin, { name: 'Hardware' }))).toEqual({
      name: 'Another type has this name',
    });
    const six = Array.from({ length: 6 }, (_, i) => ({ label: `F${i}`, kind: 'short' as const }));
    expect(await rejection(saveRequestType(admin, { name: 'Six', fields: six }))).toHaveProperty('fields');
    expect(await rejection(saveRequestType(admin, { name: 'HR', isPrivate: true }))).toHaveProperty(
      'channelId',
    );
    expect(
      await rejection(
        saveRequestType(admin, {
          name: 'One',
          fields: [{ label: 'Pick', kind: 'choice', options: ['Only'] }],
        }),
      ),
    ).toHaveProperty('fields');
    expect(
      await rejection(saveRequestType(admin, { name: 'Auto', assignment: 'least_open', technicianIds: [] })),
    ).toHaveProperty('technicianIds');
    expect(
      await rejection(saveRequestType(admin, { name: 'Strangers', technicianIds: [REQUESTER] })),
    ).toEqual({ technicianIds: 'Pick technicians from the roster' });
  });

  it("opens a ticket with the type's fields checked, its default priority when none is chosen", async () => {
    const [tag, what, site, floor] = hardware.fields.map((field) => field.id);
    const missing = await rejection(
      createTicket(as(services, REQUESTER), {
        title: 'Screen dead',
        requestTypeId: hardware.id,
        fields: { [what!]: 'It went black' },
      }),
    );
    expect(Object.keys(missing).sort()).toEqual([`field_${site}`, `field_${tag}`].sort());
    const badChoice = await rejection(
      createTicket(as(services, REQUESTER), {
        title: 'Screen dead',
        requestTypeId: hardware.id,
        fields: { [tag!]: 'LT-1', [site!]: 'Berlin' },
      }),
    );
    expect(badChoice).toEqual({ [`field_${site}`]: 'Pick one of the choices for Site' });

    const { ticket } = await createTicket(as(services, REQUESTER), {
      title: 'Screen dead',
      requestTypeId: hardware.id,
      fields: { [tag!]: ' LT-1 ', [site!]: 'Lyon', [floor!]: '', unknown: 'dropped' },
    });
    expect(ticket.requestTypeId).toBe(hardware.id);
    expect(ticket.priority).toBe('high');
    expect(storedFieldsOf(ticket)).toEqual([
      { id: tag, label: 'Asset tag', value: 'LT-1' },
      { id: site, label: 'Site', value: 'Lyon' },
    ]);
    const chosen = await createTicket(as(services, REQUESTER), {
      title: 'Mouse',
      priority: 'low',
      requestTypeId: hardware.id,
      fields: { [tag!]: 'M-2', [site!]: 'Paris' },
    });
    expect(chosen.ticket.priority).toBe('low');
    // Without types a ticket is as it always was.
    const plain = await createTicket(as(services, REQUESTER), { title: 'No type' });
    expect(plain.ticket.requestTypeId).toBeNull();
    expect(storedFieldsOf(plain.ticket)).toEqual([]);
  });

  it('is changed on a ticket by staff, recorded in the history; archived types are no longer offered', async () => {
    const access = await saveRequestType(as(services, ADMIN), { name: 'Access', isDefault: true });
    expect((await defaultRequestType(suite.db))?.id).toBe(access.id);
    const { ticket } = await createTicket(as(services, REQUESTER), {
      title: 'Badge',
      requestTypeId: access.id,
    });
    await expect(
      changeRequestType(as(services, REQUESTER), { ticketId: ticket.id, requestTypeId: hardware.id }),
    ).rejects.toBeInstanceOf(NotAllowed);
    const changed = await changeRequestType(as(services, TECHNICIAN), {
      ticketId: ticket.id,
      requestTypeId: hardware.id,
      expectedVersion: ticket.version,
    });
    expect(changed.ticket.requestTypeId).toBe(hardware.id);
    expect((await eventsOf(suite.db, ticket.id)).at(-1)).toMatchObject({
      type: 'type_changed',
      actorId: TECHNICIAN,
      from: 'Access',
      to: 'Hardware',
    });

    await archiveRequestType(as(services, ADMIN), { id: access.id, archived: true });
    expect((await listRequestTypes(suite.db)).map((type) => type.name)).not.toContain('Access');
    expect(await defaultRequestType(suite.db)).toBeUndefined();
    expect(
      await rejection(
        createTicket(as(services, REQUESTER), { title: 'Badge again', requestTypeId: access.id }),
      ),
    ).toEqual({ requestType: 'Pick a request type' });
  });
});
