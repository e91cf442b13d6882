import { col, fn, Op, type Transaction, type WhereOptions } from 'sequelize';
import type { Database } from '../db/index.js';
import { PRIORITIES, STATUSES, type Ticket } from '../db/models/ticket.js';
import type { TicketEvent } from '../db/models/ticketEvent.js';
import { displayName } from '../db/models/user.js';
import { loadPeriodFigures } from '../reports/figures.js';
import { statusPageUrl } from './links.js';
import type { DigestData, DigestTicket } from './types.js';

const LIST_LIMIT = 10;

export interface DigestPeriod {
  start: Date;
  end: Date;
}

/**
 * What a manager's digest says about [start, end): new, closed and reopened tickets against
 * the previous period of the same length; the open backlog by status and priority; unassigned
 * and oldest open tickets; each technician's open load, closed count and average rating.
 */
export async function collectDigest(
  db: Database,
  period: DigestPeriod,
  publicUrl: string,
  transaction?: Transaction,
): Promise<DigestData> {
  const { Ticket, TicketEvent, Rating, User, RequestType } = db.models;
  const length = period.end.getTime() - period.start.getTime();
  const previous = { start: new Date(period.start.getTime() - length), end: period.start };
  const within = (range: DigestPeriod) => ({ [Op.gte]: range.start, [Op.lt]: range.end });
  const activityWhere: Record<'created' | 'closed' | 'reopened', WhereOptions<TicketEvent>> = {
    created: { type: 'created' },
    closed: { type: 'status_changed', toValue: 'closed' },
    reopened: { type: 'reopened' },
  };
  const count = (key: keyof typeof activityWhere, range: DigestPeriod) =>
    TicketEvent.count({ where: { ...activityWhere[key], createdAt: within(range) }, transaction });

  const activity: DigestData['activity'] = [];
  for (const key of ['created', 'closed', 'reopened'] as const) {
    activity.push({ key, current: await count(key, period), previous: await count(key, previous) });
  }
  const totals = Object.fromEntries(activity.map((row) => [row.key, row.current])) as DigestData['totals'];

  const open = { status: { [Op.ne]: 'closed' } } as const;
  const byStatus = await groupCount(Ticket, 'status', open, transaction);
  const byPriority = await groupCount(Ticket, 'priority', open, transaction);
  // Request types (archived ones too: their tickets keep them). None defined: the digest says
  // nothing of types, as before they existed.
  const types = await RequestType.findAll({ attributes: ['id', 'name', 'isPrivate'], transaction });
  const typeOf = new Map(types.map((type) => [String(type.id), type]));
  const byType = types.length > 0 ? await groupCount(Ticket, 'requestTypeId', open, transaction) : undefined;
  const unassignedWhere = { ...open, technicianId: null };
  const unassignedCount = await Ticket.count({ where: unassignedWhere, transaction });
  const oldestOrder: Array<[string, string]> = [
    ['createdAt', 'ASC'],
    ['id', 'ASC'],
  ];
  const unassigned = await Ticket.findAll({
    where: unassignedWhere,
    order: oldestOrder,
    limit: LIST_LIMIT,
    transaction,
  });
  const oldest = await Ticket.findAll({ where: open, order: oldestOrder, limit: LIST_LIMIT, transaction });

  const openLoad = await groupCount(
    Ticket,
    'technicianId',
    { ...open, technicianId: { [Op.ne]: null } },
    transaction,
  );
  const closedLoad = await groupCount(
    Ticket,
    'technicianId',
    { closedAt: within(period), technicianId: { [Op.ne]: null } },
    transaction,
  );
  const ratings = (await Rating.findAll({
    attributes: ['technicianId', [fn('AVG', col('score')), 'average'], [fn('COUNT', col('id')), 'ratings']],
    where: { createdAt: within(period) },
    group: ['technicianId'],
    raw: true,
    transaction,
  })) as unknown as Array<{ technicianId: string; average: number | string; ratings: number | string }>;

  const roster = await User.findAll({ where: { isTechnician: true }, transaction });
  const technicianIds = new Set([
    ...roster.map((user) => user.id),
    ...openLoad.keys(),
    ...closedLoad.keys(),
    ...ratings.map((row) => row.technicianId),
    ...oldest.map((ticket) => ticket.technicianId).filter((id): id is string => id !== null),
  ]);
  const users = await User.findAll({ where: { id: [...technicianIds] }, transaction });
  const nameOf = new Map(users.map((user) => [user.id, displayName(user)]));
  // Private request types' tickets are counted, and listed without their titles.
  const privateTypes = new Set(
    (
      await db.models.RequestType.findAll({ where: { isPrivate: true }, attributes: ['id'], transaction })
    ).map((type) => type.id),
  );
  const name = (id: string | null) => (id ? (nameOf.get(id) ?? id) : null);
  const listed = (ticket: Ticket): DigestTicket => ({
    id: ticket.id,
    ...(ticket.requestTypeId !== null && privateTypes.has(ticket.requestTypeId)
      ? { title: '', private: true }
      : { title: ticket.title }),
    status: ticket.status,
    priority: ticket.priority,
    technician: name(ticket.technicianId),
    createdAt: new Date(ticket.createdAt).toISOString(),
    url: statusPageUrl(publicUrl, ticket.id),
    ...(byType
      ? {
          type:
            ticket.requestTypeId === null ? null : (typeOf.get(String(ticket.requestTypeId))?.name ?? null),
        }
      : {}),
  });

  const service = await loadPeriodFigures(db, period.start, period.end, transaction);

  return {
    start: period.start.toISOString(),
    end: period.end.toISOString(),
    totals,
    activity,
    backlog: {
      total: [...byStatus.values()].reduce((sum, n) => sum + n, 0),
      byStatus: STATUSES.filter((s) => byStatus.has(s)).map((status) => ({
        status,
        count: byStatus.get(status) ?? 0,
      })),
      byPriority: [...PRIORITIES]
        .reverse()
        .filter((p) => byPriority.has(p))
        .map((priority) => ({ priority, count: byPriority.get(priority) ?? 0 })),
      ...(byType ? { byType: typeCounts(byType, typeOf) } : {}),
    },
    unassigned: { count: unassignedCount, tickets: unassigned.map(listed) },
    oldest: oldest.map(listed),
    technicians: [...technicianIds]
      .map((id) => {
        const rating = ratings.find((row) => row.technicianId === id);
        return {
          name: name(id) ?? id,
          open: openLoad.get(id) ?? 0,
          closed: closedLoad.get(id) ?? 0,
          averageRating: rating ? Math.round(Number(rating.average) * 10) / 10 : null,
          ratings: rating ? Number(rating.ratings) : 0,
        };
      })
      .sort((a, b) => b.open - a.open || a.name.localeCompare(b.name)),
    service,
  };
}

/** Nothing happened: no email. */
export function isQuiet(digest: DigestData): boolean {
  return digest.totals.created === 0 && digest.totals.closed === 0 && digest.totals.reopened === 0;
}

/** Open tickets per type, most first (ties by name), those without a type last. */
function typeCounts(
  counts: Map<string, number>,
  typeOf: Map<string, { name: string }>,
): Array<{ name: string | null; count: number }> {
  const named = [...counts]
    .filter(([id]) => typeOf.has(id))
    .map(([id, count]) => ({ name: typeOf.get(id)!.name as string | null, count }))
    .sort((a, b) => b.count - a.count || String(a.name).localeCompare(String(b.name)));
  // Grouping by a NULL column gives one NULL group (read as the string "null").
  const without = [...counts].filter(([id]) => !typeOf.has(id)).reduce((sum, [, n]) => sum + n, 0);
  return without > 0 ? [...named, { name: null, count: without }] : named;
}

async function groupCount(
  model: Database['models']['Ticket'],
  column: 'status' | 'priority' | 'technicianId' | 'requestTypeId',
  where: WhereOptions<Ticket>,
  transaction?: Transaction,
): Promise<Map<string, number>> {
  const rows = (await model.findAll({
    attributes: [column, [fn('COUNT', col('id')), 'count']],
    where,
    group: [column],
    raw: true,
    transaction,
  })) as unknown as Array<Record<string, string | number>>;
  return new Map(rows.map((row) => [String(row[column]), Number(row.count)]));
}
