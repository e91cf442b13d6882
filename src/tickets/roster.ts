import type { Database } from '../db/index.js';
import type { User } from '../db/models/user.js';
import { runInTransaction } from '../db/transaction.js';
import { isSlackUserId } from '../slackIds.js';
import type { TicketContext } from './context.js';
import { NotAllowed, ValidationFailed } from './errors.js';
import { ensureUsers, loadActor } from './users.js';

/**
 * Marks the configured ids as technicians and admins. Additive: people an admin added in
 * Slack stay; removing someone from the environment does not demote them (an admin does).
 */
export async function seedRoster(db: Database, roster: { technicianIds: string[]; adminIds: string[] }) {
  await runInTransaction(db, async (transaction) => {
    await ensureUsers(db, [...roster.technicianIds, ...roster.adminIds], transaction);
    if (roster.technicianIds.length > 0) {
      await db.models.User.update(
        { isTechnician: true },
        { where: { id: roster.technicianIds }, transaction },
      );
    }
    if (roster.adminIds.length > 0) {
      await db.models.User.update({ isAdmin: true }, { where: { id: roster.adminIds }, transaction });
    }
  });
}

export function listTechnicians(db: Database): Promise<User[]> {
  return db.models.User.findAll({
    where: { isTechnician: true },
    order: [
      ['name', 'ASC'],
      ['id', 'ASC'],
    ],
  });
}

async function setTechnician(ctx: TicketContext, userId: string, isTechnician: boolean): Promise<User> {
  if (!isSlackUserId(userId)) throw new ValidationFailed({ userId: 'Not a Slack user id' });
  return runInTransaction(ctx.db, async (transaction) => {
    const actor = await loadActor(ctx.db, ctx.actorId, transaction);
    if (!actor.isAdmin) throw new NotAllowed('Only admins change the technician roster', 'not_admin');
    await ensureUsers(ctx.db, [userId], transaction);
    await ctx.db.models.User.update({ isTechnician }, { where: { id: userId }, transaction });
    const user = await ctx.db.models.User.findByPk(userId, { transaction });
    ctx.logger.info({ slackUser: userId, by: actor.id, isTechnician }, 'technician roster changed');
    return user!;
  });
}

/** Admins add technicians; their open tickets keep their technician either way. */
export function addTechnician(ctx: TicketContext, userId: string): Promise<User> {
  return setTechnician(ctx, userId, true);
}

export function removeTechnician(ctx: TicketContext, userId: string): Promise<User> {
  return setTechnician(ctx, userId, false);
}

/**
 * A technician sets themselves Away (auto-assignment passes them over; the status page shows it)
 * or Available again. Only for oneself, and only technicians.
 */
export async function setAvailability(ctx: TicketContext, away: boolean): Promise<User> {
  return runInTransaction(ctx.db, async (transaction) => {
    const actor = await loadActor(ctx.db, ctx.actorId, transaction);
    if (!actor.isTechnician)
      throw new NotAllowed('Only technicians set their availability', 'not_technician');
    if (away === (actor.awaySince !== null && actor.awaySince !== undefined)) return actor;
    await ctx.db.models.User.update(
      { awaySince: away ? new Date() : null },
      { where: { id: actor.id }, transaction },
    );
    actor.awaySince = away ? new Date() : null;
    return actor;
  });
}
