import type { Connection } from 'mysql2/promise';

// Bulk data for the status page benchmark: 100k tickets over two years, 500k comments, ratings,
// events and an email outbox, inserted in large multi-row batches (values escaped by mysql2).

export interface SeedSize {
  tickets: number;
  comments: number;
  requesters: number;
  technicians: number;
}

const SUBJECTS = [
  'Printer',
  'VPN',
  'Laptop',
  'Email',
  'Wi-Fi',
  'Badge reader',
  'Monitor',
  'Password',
  'Outlook',
  'Slack',
  'Projector',
  'Phone',
  'Keyboard',
  'Shared drive',
  'Backup',
  'Git server',
  'Calendar',
  'Scanner',
  'Licence',
  'Database',
];
const PROBLEMS = [
  'jams',
  'drops every hour',
  'is slow',
  'not working',
  'keeps crashing',
  'needs replacing',
  'cannot connect',
  'shows an error',
  'request',
  'broken after update',
];
const PLACES = [
  'on 3rd floor',
  'in room Everest',
  'for the intern',
  'at home',
  'in the Lyon office',
  'since Monday',
  'for the audit',
  'in the west wing',
  'after the move',
  'for the new team',
];
const PRIORITIES = ['low', 'normal', 'normal', 'normal', 'high', 'high', 'urgent'];
const DAY = 86_400_000;

/** A small deterministic generator, so two runs measure the same data. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

async function insertBatches(connection: Connection, sql: string, rows: unknown[][], batch = 5000) {
  for (let i = 0; i < rows.length; i += batch) {
    await connection.query(sql, [rows.slice(i, i + batch)]);
  }
}

export const technicianId = (n: number) => `U0TECH${String(n).padStart(4, '0')}`;
export const requesterId = (n: number) => `U0REQ${String(n).padStart(5, '0')}`;

export async function seedBenchData(connection: Connection, size: SeedSize, now = Date.now()) {
  const rand = random(42);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
  const at = (ms: number) => new Date(Math.min(ms, now));
  await connection.query('SET SESSION foreign_key_checks = 0, unique_checks = 0');

  const users: unknown[][] = [];
  for (let n = 1; n <= size.technicians; n++) {
    users.push([
      technicianId(n),
      `Technician ${n}`,
      `tech${n}@example.com`,
      'en-US',
      'Europe/Paris',
      true,
      new Date(now),
      new Date(now),
    ]);
  }
  for (let n = 1; n <= size.requesters; n++) {
    users.push([
      requesterId(n),
      `Requester ${n}`,
      `req${n}@example.com`,
      'fr-FR',
      'Europe/Paris',
      false,
      new Date(now),
      new Date(now),
    ]);
  }
  await insertBatches(
    connection,
    'INSERT INTO users (id, name, email, locale, tz, is_technician, created_at, updated_at) VALUES ?',
    users,
  );

  const span = 730 * DAY;
  const tickets: unknown[][] = [];
  const events: unknown[][] = [];
  const ratings: unknown[][] = [];
  const emails: unknown[][] = [];
  const created: number[] = [];
  for (let id = 1; id <= size.tickets; id++) {
    // Ids grow with creation time, as they do in production.
    const createdAt = now - span + (span * id) / size.tickets;
    created.push(createdAt);
    const age = now - createdAt;
    const roll = rand();
    // Old tickets are nearly all closed; the last weeks hold the open work.
    const status =
      age > 60 * DAY
        ? roll < 0.01
          ? 'open'
          : 'closed'
        : roll < 0.3
          ? 'open'
          : roll < 0.5
            ? 'in_progress'
            : 'closed';
    const technician =
      status === 'open' && rand() < 0.3 ? null : technicianId(1 + Math.floor(rand() * size.technicians));
    const lastActivity = at(createdAt + rand() * 10 * DAY);
    const closedAt = status === 'closed' ? lastActivity : null;
    // Service levels: most tickets answered within hours (the response target 8 h, the
    // resolution target 3 days), a share late; an open, unassigned ticket is unanswered.
    const answered = technician !== null || status !== 'open';
    const firstResponse = answered
      ? Math.min(createdAt + rand() ** 3 * DAY, closedAt ? closedAt.getTime() : now)
      : null;
    const responseDue = createdAt + 8 * 3600_000;
    const resolutionDue = createdAt + 3 * DAY;
    const sla = [
      new Date(responseDue),
      firstResponse === null ? null : new Date(firstResponse),
      firstResponse !== null && firstResponse <= responseDue ? new Date(firstResponse) : null,
      (firstResponse ?? now) > responseDue ? new Date(responseDue) : null,
      new Date(resolutionDue),
      closedAt && closedAt.getTime() <= resolutionDue ? closedAt : null,
      (closedAt ? closedAt.getTime() : now) > resolutionDue ? new Date(resolutionDue) : null,
    ];
    const requester = requesterId(1 + Math.floor(rand() * size.requesters));
    tickets.push([
      id,
      `${pick(SUBJECTS)} ${pick(PROBLEMS)} ${pick(PLACES)}`,
      'Reported from the benchmark generator.',
      pick(PRIORITIES),
      status,
      requester,
      technician,
      status === 'closed' ? 1 : 0,
      new Date(createdAt),
      lastActivity,
      closedAt,
      lastActivity,
      ...sla,
    ]);
    events.push([id, requester, 'created', null, technician, 1, new Date(createdAt)]);
    if (status === 'closed') {
      events.push([id, technician, 'status_changed', 'open', 'closed', 2, closedAt]);
      if (technician && rand() < 0.6) {
        ratings.push([id, 1, requester, technician, 1 + Math.floor(rand() * 5), null, closedAt]);
      }
    }
    if (rand() < 0.5) {
      const state = rand() < 0.96 ? 'sent' : rand() < 0.5 ? 'dead' : 'pending';
      emails.push([
        id,
        `${requester.toLowerCase()}@example.com`,
        'ticket_created',
        '{}',
        state,
        state === 'dead' ? 5 : 1,
        new Date(createdAt),
        state === 'dead' ? 'Mailbox unavailable' : null,
        state === 'dead' ? 550 : null,
        `bench-${id}`,
        state === 'sent' ? new Date(createdAt) : null,
        new Date(createdAt),
        new Date(createdAt),
      ]);
    }
  }
  await insertBatches(
    connection,
    `INSERT INTO tickets (id, title, description, priority, status, requester_id, technician_id, resolution,
       created_at, last_activity_at, closed_at, updated_at, sla_response_due_at, first_response_at,
       sla_response_met_at, sla_response_missed_at, sla_resolution_due_at, sla_resolution_met_at,
       sla_resolution_missed_at) VALUES ?`,
    tickets,
  );
  await insertBatches(
    connection,
    'INSERT INTO ticket_events (ticket_id, actor_id, type, from_value, to_value, version, created_at) VALUES ?',
    events,
  );
  await insertBatches(
    connection,
    'INSERT INTO ratings (ticket_id, resolution, requester_id, technician_id, score, remark, created_at) VALUES ?',
    ratings,
  );
  await insertBatches(
    connection,
    `INSERT INTO email_outbox (ticket_id, recipient, template, data, status, attempts, available_at, last_error,
       last_smtp_code, idempotency_key, sent_at, created_at, updated_at) VALUES ?`,
    emails,
  );

  const comments: unknown[][] = [];
  const flush = async () => {
    await connection.query(
      'INSERT INTO comments (ticket_id, author_id, body, created_at, updated_at) VALUES ?',
      [comments.splice(0)],
    );
  };
  for (let n = 0; n < size.comments; n++) {
    const ticket = 1 + Math.floor(rand() * size.tickets);
    const when = new Date(Math.min(now, created[ticket - 1]! + rand() * 5 * DAY));
    comments.push([
      ticket,
      requesterId(1 + Math.floor(rand() * size.requesters)),
      'Any news on this one?',
      when,
      when,
    ]);
    if (comments.length === 5000) await flush();
  }
  if (comments.length > 0) await flush();
  await connection.query('SET SESSION foreign_key_checks = 1, unique_checks = 1');
  await connection.query('ANALYZE TABLE users, tickets, comments, ratings, ticket_events, email_outbox');
  return { events: events.length, ratings: ratings.length, emails: emails.length };
}
