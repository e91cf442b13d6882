import type { Notification, NotificationData, TicketSnapshot } from '../types.js';

// Sample variables for every notification: the start-up check renders each template with
// them, and `npm run emails:preview` shows them. Keep them as rich as real data can be.

const ticket: TicketSnapshot = {
  id: 42,
  title: 'VPN drops every 10 minutes <since Monday> & on Wi-Fi only',
  description:
    'Since the update on Monday the VPN disconnects about every 10 minutes.\nIt only happens on the office Wi-Fi.',
  priority: 'high',
  status: 'in_progress',
  requester: 'Camille Martin',
  technician: 'Sam Lee',
  createdAt: '2026-11-23T09:14:00.000Z',
};

export function sampleData(notification: Notification, publicUrl: string): NotificationData {
  const base = {
    recipient: { name: 'Camille Martin' },
    actor: { name: 'Sam Lee' },
    ticket,
    timeZone: 'Europe/Paris',
  };
  switch (notification) {
    case 'ticket_created':
      return {
        ...base,
        recipient: { name: null },
        actor: { name: ticket.requester },
        ticket: { ...ticket, status: 'open', technician: null },
      };
    case 'ticket_assigned':
      return {
        ...base,
        recipient: { name: 'Sam Lee' },
        actor: { name: 'Alex Kim' },
        ticket: { ...ticket, status: 'open' },
      };
    case 'ticket_status_changed':
      return { ...base, change: { from: 'open', to: 'in_progress', reopened: false } };
    case 'ticket_closed':
      return {
        ...base,
        ticket: { ...ticket, status: 'closed' },
        change: { from: 'in_progress', to: 'closed', reopened: false },
      };
    case 'ticket_commented':
      return {
        ...base,
        actor: { name: 'Sam Lee' },
        comment: {
          author: 'Sam Lee',
          body: 'Could you try the <b>new</b> profile?\nSettings → VPN → "Office 2".',
        },
      };
    case 'ticket_sla_breached':
      return {
        ...base,
        recipient: { name: null },
        actor: { name: 'ticketbot' },
        sla: { target: 'resolution', due: '2026-11-24T16:00:00.000Z' },
      };
    case 'digest':
      return {
        recipient: { name: null },
        timeZone: 'Europe/Paris',
        digest: {
          start: '2026-11-25T07:00:00.000Z',
          end: '2026-11-26T07:00:00.000Z',
          totals: { created: 7, closed: 5, reopened: 1 },
          service: {
            firstResponse: { count: 6, median: 2_400, p90: 12_600 },
            resolution: { count: 5, median: 93_600, p90: 190_800 },
            responseTarget: { met: 5, missed: 1, share: 5 / 6 },
            resolutionTarget: { met: 4, missed: 1, share: 0.8 },
            rating: { average: 4.4, count: 5 },
          },
          activity: [
            { key: 'created', current: 7, previous: 4 },
            { key: 'closed', current: 5, previous: 6 },
            { key: 'reopened', current: 1, previous: 1 },
          ],
          backlog: {
            total: 12,
            byStatus: [
              { status: 'open', count: 8 },
              { status: 'in_progress', count: 4 },
            ],
            byPriority: [
              { priority: 'urgent', count: 1 },
              { priority: 'high', count: 3 },
              { priority: 'normal', count: 6 },
              { priority: 'low', count: 2 },
            ],
          },
          unassigned: {
            count: 2,
            tickets: [
              {
                id: 57,
                title: 'New laptop for Jo',
                status: 'open',
                priority: 'normal',
                technician: null,
                createdAt: '2026-11-25T15:02:00.000Z',
                url: `${publicUrl}/tickets/57`,
              },
              {
                id: 58,
                title: 'Badge reader <lobby>',
                status: 'open',
                priority: 'urgent',
                technician: null,
                createdAt: '2026-11-26T06:40:00.000Z',
                url: `${publicUrl}/tickets/58`,
              },
            ],
          },
          oldest: [
            {
              id: 12,
              title: 'Shared drive quota',
              status: 'in_progress',
              priority: 'low',
              technician: 'Sam Lee',
              createdAt: '2026-10-02T08:00:00.000Z',
              url: `${publicUrl}/tickets/12`,
            },
            {
              id: 42,
              title: ticket.title,
              status: 'in_progress',
              priority: 'high',
              technician: 'Sam Lee',
              createdAt: ticket.createdAt,
              url: `${publicUrl}/tickets/42`,
            },
          ],
          technicians: [
            { name: 'Sam Lee', open: 5, closed: 3, averageRating: 4.5, ratings: 2 },
            { name: 'Alex Kim', open: 3, closed: 2, averageRating: null, ratings: 0 },
          ],
        },
      };
  }
}
