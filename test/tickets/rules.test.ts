import { beforeAll, describe, expect, it } from 'vitest';
import {
  AlreadySubmitted,
  addComment,
  addRatingRemark,
  addTechnician,
  assignTicket,
  Conflict,
  changeStatus,
  createTicket,
  deleteComment,
  editComment,
  InvalidTransition,
  NotAllowed,
  NotFound,
  rateTicket,
  removeTechnician,
  reopenTicket,
  type TicketServices,
  ValidationFailed,
} from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import {
  ADMIN,
  as,
  eventsOf,
  newTicket,
  OTHER_USER,
  REQUESTER,
  SECOND_TECHNICIAN,
  TECHNICIAN,
  ticketServices,
} from '../support/tickets.js';

describeEachDatabase('ticket rules', (suite) => {
  let services: TicketServices;
  beforeAll(async () => {
    services = await ticketServices(suite.db);
  });

  describe('create', () => {
    it('stores the ticket open at version 1 with a created event', async () => {
      const ticket = await newTicket(services, {
        title: '  VPN drops  ',
        priority: 'high',
        technicianId: TECHNICIAN,
      });
      const stored = await suite.db.models.Ticket.findByPk(ticket.id);
      expect(stored).toMatchObject({
        title: 'VPN drops',
        priority: 'high',
        status: 'open',
        requesterId: REQUESTER,
        technicianId: TECHNICIAN,
        version: 1,
        resolution: 0,
        closedAt: null,
      });
      expect(await eventsOf(suite.db, ticket.id)).toEqual([
        { type: 'created', actorId: REQUESTER, from: null, to: TECHNICIAN, version: 1 },
      ]);
    });

    it('refuses bad input field by field and stores nothing', async () => {
      const before = await suite.db.models.Ticket.count();
      const attempt = createTicket(as(services, REQUESTER), {
        title: '   ',
        description: 'x'.repeat(3001),
        priority: 'whenever' as 'low',
      });
      await expect(attempt).rejects.toBeInstanceOf(ValidationFailed);
      const error = (await attempt.catch((e: unknown) => e)) as ValidationFailed;
      expect(Object.keys(error.fields).sort()).toEqual(['description', 'priority', 'title']);
      expect(await suite.db.models.Ticket.count()).toBe(before);
    });

    it('accepts a 150-character title and refuses 151', async () => {
      await expect(newTicket(services, { title: 't'.repeat(150) })).resolves.toMatchObject({
        title: 't'.repeat(150),
      });
      await expect(newTicket(services, { title: 't'.repeat(151) })).rejects.toMatchObject({
        fields: { title: expect.stringContaining('150') },
      });
    });

    it('only lets roster technicians be picked', async () => {
      await expect(newTicket(services, { technicianId: OTHER_USER })).rejects.toMatchObject({
        code: 'validation_failed',
        fields: { technicianId: expect.any(String) },
      });
    });

    it('keeps the Slack message a ticket was made from', async () => {
      const ticket = await newTicket(services, {
        source: {
          channelId: 'C0SOURCE01',
          messageTs: '1700000000.000100',
          permalink: 'https://example.slack.com/x',
        },
      });
      expect(ticket).toMatchObject({ sourceChannelId: 'C0SOURCE01', sourceMessageTs: '1700000000.000100' });
    });

    it('opens one ticket per submission key, however often or however concurrently it is submitted', async () => {
      const before = await suite.db.models.Ticket.count();
      const submissions = await Promise.allSettled(
        [1, 2, 3].map(() => newTicket(services, { submissionKey: 'form:42' })),
      );
      const opened = submissions.flatMap((s) => (s.status === 'fulfilled' ? [s.value.id] : []));
      expect(opened).toHaveLength(1);
      for (const repeat of submissions.filter((s) => s.status === 'rejected')) {
        expect(repeat.reason).toBeInstanceOf(AlreadySubmitted);
        expect((repeat.reason as AlreadySubmitted).ticketId).toBe(opened[0]);
      }
      await expect(newTicket(services, { submissionKey: 'form:42' })).rejects.toMatchObject({
        ticketId: opened[0],
      });
      expect(await suite.db.models.Ticket.findByPk(opened[0])).toMatchObject({ submissionKey: 'form:42' });
      await newTicket(services, { submissionKey: 'form:43' });
      expect(await suite.db.models.Ticket.count()).toBe(before + 2);
      await expect(newTicket(services, { submissionKey: 'k'.repeat(65) })).rejects.toBeInstanceOf(
        ValidationFailed,
      );
    });

    it('lets the caller record its own rows in the ticket’s transaction: both stored, or neither', async () => {
      const before = await suite.db.models.Ticket.count();
      await expect(
        newTicket(services, {
          inTransaction: async () => {
            throw new Error('the caller could not record what it owes');
          },
        }),
      ).rejects.toThrow('the caller could not record');
      expect(await suite.db.models.Ticket.count()).toBe(before);
      let seen: number | undefined;
      const ticket = await newTicket(services, {
        inTransaction: async (change) => {
          seen = change.ticket.id;
        },
      });
      expect(seen).toBe(ticket.id);
    });
  });

  describe('assign', () => {
    it('lets a technician assign, reassign and unassign, recording each step', async () => {
      const ticket = await newTicket(services);
      const tech = as(services, TECHNICIAN);
      await assignTicket(tech, { ticketId: ticket.id, technicianId: TECHNICIAN });
      await assignTicket(tech, { ticketId: ticket.id, technicianId: SECOND_TECHNICIAN });
      const last = await assignTicket(tech, { ticketId: ticket.id, technicianId: null });
      expect(last.ticket).toMatchObject({ technicianId: null, version: 4 });
      expect((await eventsOf(suite.db, ticket.id)).slice(1)).toEqual([
        { type: 'assigned', actorId: TECHNICIAN, from: null, to: TECHNICIAN, version: 2 },
        { type: 'assigned', actorId: TECHNICIAN, from: TECHNICIAN, to: SECOND_TECHNICIAN, version: 3 },
        { type: 'unassigned', actorId: TECHNICIAN, from: SECOND_TECHNICIAN, to: null, version: 4 },
      ]);
    });

    it('refuses a requester who is not a technician, changing nothing', async () => {
      const ticket = await newTicket(services);
      await expect(
        assignTicket(as(services, REQUESTER), { ticketId: ticket.id, technicianId: TECHNICIAN }),
      ).rejects.toBeInstanceOf(NotAllowed);
      expect(await suite.db.models.Ticket.findByPk(ticket.id)).toMatchObject({
        technicianId: null,
        version: 1,
      });
      expect(await eventsOf(suite.db, ticket.id)).toHaveLength(1);
    });

    it('refuses to assign someone off the roster, and a closed ticket', async () => {
      const ticket = await newTicket(services);
      await expect(
        assignTicket(as(services, ADMIN), { ticketId: ticket.id, technicianId: OTHER_USER }),
      ).rejects.toBeInstanceOf(ValidationFailed);
      await changeStatus(as(services, TECHNICIAN), { ticketId: ticket.id, status: 'closed' });
      await expect(
        assignTicket(as(services, TECHNICIAN), { ticketId: ticket.id, technicianId: TECHNICIAN }),
      ).rejects.toMatchObject({ reason: 'ticket_closed' });
    });

    it('unassigns an in-progress ticket without touching its status, and refuses when nobody is assigned', async () => {
      const ticket = await newTicket(services, { technicianId: TECHNICIAN });
      await changeStatus(as(services, TECHNICIAN), { ticketId: ticket.id, status: 'in_progress' });
      const change = await assignTicket(as(services, ADMIN), {
        ticketId: ticket.id,
        technicianId: null,
        expectedVersion: 2,
      });
      expect(change.before).toEqual({ status: 'in_progress', technicianId: TECHNICIAN });
      expect(await suite.db.models.Ticket.findByPk(ticket.id)).toMatchObject({
        technicianId: null,
        status: 'in_progress',
        version: 3,
      });
      expect((await eventsOf(suite.db, ticket.id)).at(-1)).toEqual({
        type: 'unassigned',
        actorId: ADMIN,
        from: TECHNICIAN,
        to: null,
        version: 3,
      });
      await expect(
        assignTicket(as(services, TECHNICIAN), { ticketId: ticket.id, technicianId: null }),
      ).rejects.toMatchObject({ code: 'invalid_transition', reason: 'not_assigned' });
      await expect(
        assignTicket(as(services, REQUESTER), { ticketId: ticket.id, technicianId: null }),
      ).rejects.toMatchObject({ reason: 'not_technician' });
      expect(await suite.db.models.Ticket.findByPk(ticket.id)).toMatchObject({ version: 3 });
      expect(await eventsOf(suite.db, ticket.id)).toHaveLength(3);
    });

    it('says so when the ticket does not exist', async () => {
      await expect(
        assignTicket(as(services, TECHNICIAN), { ticketId: 999_999, technicianId: TECHNICIAN }),
      ).rejects.toBeInstanceOf(NotFound);
    });
  });

  describe('status', () => {
    it('moves open → in_progress → open → in_progress → closed and counts a resolution', async () => {
      const ticket = await newTicket(services, { technicianId: TECHNICIAN });
      const tech = as(services, TECHNICIAN);
      for (const status of ['in_progress', 'open', 'in_progress', 'closed'] as const) {
        await changeStatus(tech, { ticketId: ticket.id, status });
      }
      const stored = await suite.db.models.Ticket.findByPk(ticket.id);
      expect(stored).toMatchObject({ status: 'closed', resolution: 1, version: 5 });
      expect(stored?.closedAt).toBeInstanceOf(Date);
      expect((await eventsOf(suite.db, ticket.id)).map((e) => `${e.from}>${e.to}`)).toEqual([
        'null>U0TECH0001',
        'open>in_progress',
        'in_progress>open',
        'open>in_progress',
        'in_progress>closed',
      ]);
    });

    it('lets the requester close their own ticket but not start it', async () => {
      const ticket = await newTicket(services);
      await expect(
        changeStatus(as(services, REQUESTER), { ticketId: ticket.id, status: 'in_progress' }),
      ).rejects.toMatchObject({ reason: 'requester_can_only_close' });
      await expect(
        changeStatus(as(services, REQUESTER), { ticketId: ticket.id, status: 'closed' }),
      ).resolves.toMatchObject({ ticket: { status: 'closed' } });
    });

    it('refuses someone else’s ticket to a non-technician', async () => {
      const ticket = await newTicket(services);
      await expect(
        changeStatus(as(services, OTHER_USER), { ticketId: ticket.id, status: 'closed' }),
      ).rejects.toMatchObject({ code: 'not_allowed', reason: 'not_technician' });
    });

    it('refuses a move to the same status and asks to reopen a closed ticket', async () => {
      const ticket = await newTicket(services);
      const tech = as(services, TECHNICIAN);
      await expect(changeStatus(tech, { ticketId: ticket.id, status: 'open' })).rejects.toMatchObject({
        reason: 'already_open',
      });
      await changeStatus(tech, { ticketId: ticket.id, status: 'closed' });
      const refused = changeStatus(tech, { ticketId: ticket.id, status: 'open' });
      await expect(refused).rejects.toBeInstanceOf(InvalidTransition);
      await expect(refused).rejects.toMatchObject({ reason: 'use_reopen', ticket: { status: 'closed' } });
    });

    it('raises Conflict with the current state when the caller saw an older version', async () => {
      const ticket = await newTicket(services);
      await changeStatus(as(services, TECHNICIAN), {
        ticketId: ticket.id,
        status: 'in_progress',
        expectedVersion: 1,
      });
      const stale = changeStatus(as(services, SECOND_TECHNICIAN), {
        ticketId: ticket.id,
        status: 'closed',
        expectedVersion: 1,
      });
      await expect(stale).rejects.toBeInstanceOf(Conflict);
      await expect(stale).rejects.toMatchObject({ ticket: { status: 'in_progress', version: 2 } });
      expect(await suite.db.models.Ticket.findByPk(ticket.id)).toMatchObject({
        status: 'in_progress',
        version: 2,
      });
    });
  });

  describe('reopen', () => {
    it('lets the requester reopen a closed ticket, clearing closed_at', async () => {
      const ticket = await newTicket(services);
      await changeStatus(as(services, TECHNICIAN), { ticketId: ticket.id, status: 'closed' });
      const change = await reopenTicket(as(services, REQUESTER), { ticketId: ticket.id });
      expect(change.ticket).toMatchObject({ status: 'open', closedAt: null, resolution: 1 });
      expect(change.event).toMatchObject({ type: 'reopened', fromValue: 'closed', toValue: 'open' });
    });

    it('refuses to reopen an open ticket, and refuses other users', async () => {
      const ticket = await newTicket(services);
      await expect(reopenTicket(as(services, TECHNICIAN), { ticketId: ticket.id })).rejects.toMatchObject({
        reason: 'not_closed',
      });
      await changeStatus(as(services, TECHNICIAN), { ticketId: ticket.id, status: 'closed' });
      await expect(reopenTicket(as(services, OTHER_USER), { ticketId: ticket.id })).rejects.toBeInstanceOf(
        NotAllowed,
      );
    });
  });

  describe('comments', () => {
    it('lets the requester and technicians comment, not strangers', async () => {
      const ticket = await newTicket(services);
      await addComment(as(services, REQUESTER), { ticketId: ticket.id, body: 'Any news?' });
      await addComment(as(services, TECHNICIAN), { ticketId: ticket.id, body: 'On it.' });
      await expect(
        addComment(as(services, OTHER_USER), { ticketId: ticket.id, body: 'me too' }),
      ).rejects.toMatchObject({ reason: 'not_allowed_comment' });
      const bodies = await suite.db.models.Comment.findAll({
        where: { ticketId: ticket.id },
        order: [['id', 'ASC']],
      });
      expect(bodies.map((c) => [c.authorId, c.body])).toEqual([
        [REQUESTER, 'Any news?'],
        [TECHNICIAN, 'On it.'],
      ]);
    });

    it('stores a Slack message once however often it is delivered', async () => {
      const ticket = await newTicket(services);
      const ctx = as(services, REQUESTER);
      const deliveries = await Promise.all(
        [1, 2, 3].map(() =>
          addComment(ctx, { ticketId: ticket.id, body: 'hello', slackTs: '1700000001.000200' }),
        ),
      );
      expect(deliveries.filter((d) => d.created)).toHaveLength(1);
      expect(new Set(deliveries.map((d) => d.comment.id)).size).toBe(1);
      expect(await suite.db.models.Comment.count({ where: { ticketId: ticket.id } })).toBe(1);
      expect((await eventsOf(suite.db, ticket.id)).filter((e) => e.type === 'commented')).toHaveLength(1);
    });

    it('follows edits and deletions by the author only; a deleted comment keeps no text', async () => {
      const ticket = await newTicket(services);
      const slackTs = '1700000002.000300';
      await addComment(as(services, REQUESTER), { ticketId: ticket.id, body: 'typo', slackTs });
      await expect(
        editComment(as(services, TECHNICIAN), {
          ticketId: ticket.id,
          slackTs,
          body: 'hijack',
          versionTs: '1700000003.000000',
          edited: true,
        }),
      ).rejects.toMatchObject({ reason: 'not_comment_author' });
      const edited = await editComment(as(services, REQUESTER), {
        ticketId: ticket.id,
        slackTs,
        body: 'fixed',
        versionTs: '1700000004.000000',
        edited: true,
      });
      expect(edited.changed).toBe(true);
      let comment = await suite.db.models.Comment.findOne({ where: { ticketId: ticket.id } });
      expect(comment).toMatchObject({ body: 'fixed', deletedAt: null, slackVersionTs: '1700000004.000000' });
      expect(comment?.editedAt).toBeInstanceOf(Date);
      await expect(
        deleteComment(as(services, TECHNICIAN), { ticketId: ticket.id, slackTs }),
      ).rejects.toMatchObject({ reason: 'not_comment_author' });
      expect((await deleteComment(as(services, REQUESTER), { ticketId: ticket.id, slackTs })).changed).toBe(
        true,
      );
      comment = await suite.db.models.Comment.findOne({ where: { ticketId: ticket.id } });
      expect(comment?.deletedAt).toBeInstanceOf(Date);
      expect(comment?.body).toBe('');
      // An edit or a second deletion of a deleted message changes nothing.
      expect(
        (
          await editComment(as(services, REQUESTER), {
            ticketId: ticket.id,
            slackTs,
            body: 'back again',
            versionTs: '1700000009.000000',
            edited: true,
          })
        ).changed,
      ).toBe(false);
      expect((await deleteComment(as(services, REQUESTER), { ticketId: ticket.id, slackTs })).changed).toBe(
        false,
      );
      expect((await eventsOf(suite.db, ticket.id)).map((e) => e.type)).toEqual([
        'created',
        'commented',
        'comment_edited',
        'comment_deleted',
      ]);
    });

    it('keeps the newest edit when an older one arrives after it', async () => {
      const ticket = await newTicket(services);
      const slackTs = '1700000005.000100';
      const ctx = as(services, REQUESTER);
      await addComment(ctx, { ticketId: ticket.id, body: 'first', slackTs });
      const edit = (body: string, versionTs: string, edited = true) =>
        editComment(ctx, { ticketId: ticket.id, slackTs, body, versionTs, edited });
      expect((await edit('third', '1700000999.000000')).changed).toBe(true);
      // Seconds compare as numbers: 999 comes before 1000.
      expect((await edit('fourth', '1700001000.000000')).changed).toBe(true);
      expect((await edit('second', '1700000100.000000')).changed).toBe(false);
      expect((await edit('third', '1700000999.000000')).changed).toBe(false);
      // An unfurl of the first version, delivered late: no `edited`, its own event ts, the first text.
      expect((await edit('first', '1700000006.000000', false)).changed).toBe(false);
      const comment = await suite.db.models.Comment.findOne({ where: { ticketId: ticket.id } });
      expect(comment).toMatchObject({ body: 'fourth', slackVersionTs: '1700001000.000000' });
      expect((await eventsOf(suite.db, ticket.id)).map((e) => e.type)).toEqual([
        'created',
        'commented',
        'comment_edited',
        'comment_edited',
      ]);
    });

    it('an edit that arrives before its message stores the comment edited; the message adds nothing', async () => {
      const ticket = await newTicket(services);
      const slackTs = '1700000006.000100';
      const ctx = as(services, REQUESTER);
      const edited = await editComment(ctx, {
        ticketId: ticket.id,
        slackTs,
        body: 'second thoughts',
        versionTs: '1700000007.000000',
        edited: true,
      });
      expect(edited.change?.event.type).toBe('commented');
      const original = await addComment(ctx, { ticketId: ticket.id, body: 'first thoughts', slackTs });
      expect(original.created).toBe(false);
      const comments = await suite.db.models.Comment.findAll({ where: { ticketId: ticket.id } });
      expect(comments).toHaveLength(1);
      expect(comments[0]).toMatchObject({ body: 'second thoughts', slackVersionTs: '1700000007.000000' });
      expect(comments[0]?.editedAt).toBeInstanceOf(Date);
      expect((await eventsOf(suite.db, ticket.id)).map((e) => e.type)).toEqual(['created', 'commented']);
    });

    it('a deletion that arrives before its message: the message, arriving later, is never stored', async () => {
      const ticket = await newTicket(services);
      const slackTs = '1700000008.000100';
      const ctx = as(services, REQUESTER);
      expect((await deleteComment(ctx, { ticketId: ticket.id, slackTs })).changed).toBe(true);
      const original = await addComment(ctx, {
        ticketId: ticket.id,
        body: 'my password is hunter2',
        slackTs,
      });
      expect(original.created).toBe(false);
      const late = await editComment(ctx, {
        ticketId: ticket.id,
        slackTs,
        body: 'my password is hunter2!',
        versionTs: '1700000009.000000',
        edited: true,
      });
      expect(late.changed).toBe(false);
      const comments = await suite.db.models.Comment.findAll({ where: { ticketId: ticket.id } });
      expect(comments).toHaveLength(1);
      expect(comments[0]).toMatchObject({ body: '', authorId: REQUESTER });
      expect(comments[0]?.deletedAt).toBeInstanceOf(Date);
      expect((await eventsOf(suite.db, ticket.id)).map((e) => e.type)).toEqual([
        'created',
        'comment_deleted',
      ]);
      // Someone who may not comment here leaves nothing behind.
      expect(
        (await deleteComment(as(services, OTHER_USER), { ticketId: ticket.id, slackTs: '1700000008.000200' }))
          .changed,
      ).toBe(false);
    });

    it('stores a comment of 40,000 emoji whole (160,000 bytes of UTF-8)', async () => {
      const ticket = await newTicket(services);
      const body = `${'😀'.repeat(39_999)}!`;
      await addComment(as(services, REQUESTER), { ticketId: ticket.id, body, slackTs: '1700000010.000100' });
      const stored = await suite.db.models.Comment.findOne({ where: { ticketId: ticket.id } });
      expect(stored?.body).toBe(body);
      await expect(
        addComment(as(services, REQUESTER), { ticketId: ticket.id, body: 'x'.repeat(50_001) }),
      ).rejects.toBeInstanceOf(ValidationFailed);
    });

    it('the same Add comment modal submitted twice adds one comment', async () => {
      const ticket = await newTicket(services);
      const ctx = as(services, TECHNICIAN);
      const submissions = await Promise.all(
        ['On my way', 'On my way!'].map((body) =>
          addComment(ctx, { ticketId: ticket.id, body, submissionKey: 'form:V0COMMENT01' }),
        ),
      );
      expect(submissions.filter((s) => s.created)).toHaveLength(1);
      expect(await suite.db.models.Comment.count({ where: { ticketId: ticket.id } })).toBe(1);
      expect((await eventsOf(suite.db, ticket.id)).filter((e) => e.type === 'commented')).toHaveLength(1);
      await addComment(ctx, {
        ticketId: ticket.id,
        body: 'Another modal',
        submissionKey: 'form:V0COMMENT02',
      });
      expect(await suite.db.models.Comment.count({ where: { ticketId: ticket.id } })).toBe(2);
    });

    it('refuses an empty comment', async () => {
      const ticket = await newTicket(services);
      await expect(
        addComment(as(services, REQUESTER), { ticketId: ticket.id, body: '  ' }),
      ).rejects.toBeInstanceOf(ValidationFailed);
    });
  });

  describe('rating', () => {
    async function closedTicket(technicianId: string | null = TECHNICIAN) {
      const ticket = await newTicket(services, { technicianId });
      await changeStatus(as(services, ADMIN), { ticketId: ticket.id, status: 'closed' });
      return ticket;
    }

    it('stores one rating per resolution from the requester', async () => {
      const ticket = await closedTicket();
      const change = await rateTicket(as(services, REQUESTER), {
        ticketId: ticket.id,
        score: 4,
        remark: 'Quick!',
        resolution: 1,
      });
      expect(change.rating).toMatchObject({
        score: 4,
        remark: 'Quick!',
        technicianId: TECHNICIAN,
        resolution: 1,
      });
      await expect(
        rateTicket(as(services, REQUESTER), { ticketId: ticket.id, score: 5 }),
      ).rejects.toMatchObject({
        reason: 'already_rated',
      });
      await reopenTicket(as(services, REQUESTER), { ticketId: ticket.id });
      await changeStatus(as(services, TECHNICIAN), { ticketId: ticket.id, status: 'closed' });
      // The first prompt is out of date; the second resolution can be rated.
      await expect(
        rateTicket(as(services, REQUESTER), { ticketId: ticket.id, score: 1, resolution: 1 }),
      ).rejects.toMatchObject({ reason: 'rating_expired' });
      await rateTicket(as(services, REQUESTER), { ticketId: ticket.id, score: 5, resolution: 2 });
      const ratings = await suite.db.models.Rating.findAll({
        where: { ticketId: ticket.id },
        order: [['id', 'ASC']],
      });
      expect(ratings.map((r) => [r.resolution, r.score])).toEqual([
        [1, 4],
        [2, 5],
      ]);
    });

    it('refuses anyone but the requester, an open ticket, no technician, and scores outside 1–5', async () => {
      const ticket = await closedTicket();
      await expect(rateTicket(as(services, ADMIN), { ticketId: ticket.id, score: 5 })).rejects.toMatchObject({
        reason: 'not_requester',
      });
      for (const score of [0, 6, 2.5]) {
        await expect(
          rateTicket(as(services, REQUESTER), { ticketId: ticket.id, score }),
        ).rejects.toBeInstanceOf(ValidationFailed);
      }
      const open = await newTicket(services, { technicianId: TECHNICIAN });
      await expect(
        rateTicket(as(services, REQUESTER), { ticketId: open.id, score: 3 }),
      ).rejects.toMatchObject({
        reason: 'rate_not_closed',
      });
      const unassigned = await closedTicket(null);
      await expect(
        rateTicket(as(services, REQUESTER), { ticketId: unassigned.id, score: 3 }),
      ).rejects.toMatchObject({
        reason: 'no_technician',
      });
      expect(
        await suite.db.models.Rating.count({ where: { ticketId: [ticket.id, open.id, unassigned.id] } }),
      ).toBe(0);
    });

    it('never lets technicians rate their own work', async () => {
      const { ticket } = await createTicket(as(services, TECHNICIAN), {
        title: 'My own laptop',
        technicianId: TECHNICIAN,
      });
      await changeStatus(as(services, TECHNICIAN), { ticketId: ticket.id, status: 'closed' });
      await expect(
        rateTicket(as(services, TECHNICIAN), { ticketId: ticket.id, score: 5 }),
      ).rejects.toMatchObject({
        reason: 'self_rating',
      });
    });
  });

  describe('rating remark', () => {
    async function ratedTicket(score = 4) {
      const ticket = await newTicket(services, { technicianId: TECHNICIAN });
      await changeStatus(as(services, ADMIN), { ticketId: ticket.id, status: 'closed' });
      await rateTicket(as(services, REQUESTER), { ticketId: ticket.id, score, resolution: 1 });
      return ticket;
    }
    const remarkOf = async (ticketId: number) =>
      (await suite.db.models.Rating.findOne({ where: { ticketId } }))?.remark;

    it('adds the requester’s remark to their rating of that closing, once, with an event', async () => {
      const ticket = await ratedTicket();
      const first = await addRatingRemark(as(services, REQUESTER), {
        ticketId: ticket.id,
        resolution: 1,
        remark: '  Quick!  ',
      });
      expect(first).toMatchObject({ added: true, rating: { score: 4, remark: 'Quick!' } });
      expect(first.change?.event).toMatchObject({
        type: 'rating_remarked',
        actorId: REQUESTER,
        toValue: '4',
      });
      // The same remark again (a modal submitted twice) changes nothing; another one is refused.
      const again = await addRatingRemark(as(services, REQUESTER), {
        ticketId: ticket.id,
        resolution: 1,
        remark: 'Quick!',
      });
      expect(again).toMatchObject({ added: false, rating: { remark: 'Quick!' } });
      expect(again.change).toBeUndefined();
      await expect(
        addRatingRemark(as(services, REQUESTER), { ticketId: ticket.id, resolution: 1, remark: 'Slow' }),
      ).rejects.toMatchObject({ reason: 'remark_already_added' });
      expect(await remarkOf(ticket.id)).toBe('Quick!');
      expect((await eventsOf(suite.db, ticket.id)).filter((e) => e.type === 'rating_remarked')).toHaveLength(
        1,
      );
    });

    it('stores two submissions at once as one remark', async () => {
      const ticket = await ratedTicket();
      const results = await Promise.all(
        [1, 2].map(() =>
          addRatingRemark(as(services, REQUESTER), { ticketId: ticket.id, resolution: 1, remark: 'Twice' }),
        ),
      );
      expect(results.map((r) => r.added).sort()).toEqual([false, true]);
      expect((await eventsOf(suite.db, ticket.id)).filter((e) => e.type === 'rating_remarked')).toHaveLength(
        1,
      );
    });

    it('refuses anyone but the requester, a closing not rated, and an empty or too long remark', async () => {
      const ticket = await ratedTicket();
      for (const actor of [TECHNICIAN, ADMIN, OTHER_USER]) {
        await expect(
          addRatingRemark(as(services, actor), { ticketId: ticket.id, resolution: 1, remark: 'Mine' }),
        ).rejects.toMatchObject({ reason: 'not_rating_requester' });
      }
      await expect(
        addRatingRemark(as(services, REQUESTER), { ticketId: ticket.id, resolution: 2, remark: 'Later' }),
      ).rejects.toBeInstanceOf(NotFound);
      for (const remark of ['   ', 'x'.repeat(1001)]) {
        await expect(
          addRatingRemark(as(services, REQUESTER), { ticketId: ticket.id, resolution: 1, remark }),
        ).rejects.toBeInstanceOf(ValidationFailed);
      }
      expect(await remarkOf(ticket.id)).toBeNull();
    });

    it('still takes the remark after the ticket was reopened: it belongs to the rating, not the closing to come', async () => {
      const ticket = await ratedTicket(2);
      await reopenTicket(as(services, REQUESTER), { ticketId: ticket.id });
      await addRatingRemark(as(services, REQUESTER), {
        ticketId: ticket.id,
        resolution: 1,
        remark: 'Came back',
      });
      expect(await remarkOf(ticket.id)).toBe('Came back');
    });
  });

  describe('roster', () => {
    it('lets admins add and remove technicians, and nobody else', async () => {
      const newcomer = 'U0NEWTECH1';
      await expect(addTechnician(as(services, TECHNICIAN), newcomer)).rejects.toMatchObject({
        reason: 'not_admin',
      });
      await addTechnician(as(services, ADMIN), newcomer);
      expect(await suite.db.models.User.findByPk(newcomer)).toMatchObject({ isTechnician: true });
      const ticket = await newTicket(services);
      await assignTicket(as(services, newcomer), { ticketId: ticket.id, technicianId: newcomer });
      await removeTechnician(as(services, ADMIN), newcomer);
      expect(await suite.db.models.User.findByPk(newcomer)).toMatchObject({ isTechnician: false });
      await expect(
        changeStatus(as(services, newcomer), { ticketId: ticket.id, status: 'in_progress' }),
      ).rejects.toBeInstanceOf(NotAllowed);
    });
  });

  describe('hooks', () => {
    it('runs in-transaction hooks inside the change, so a failing hook undoes it', async () => {
      const ticket = await newTicket(services);
      const failing = {
        ...services,
        hooks: {
          inTransaction: [
            async () => {
              throw new Error('outbox unavailable');
            },
          ],
          afterCommit: [],
        },
      };
      await expect(
        changeStatus(as(failing, TECHNICIAN), { ticketId: ticket.id, status: 'in_progress' }),
      ).rejects.toThrow('outbox unavailable');
      expect(await suite.db.models.Ticket.findByPk(ticket.id)).toMatchObject({ status: 'open', version: 1 });
      expect(await eventsOf(suite.db, ticket.id)).toHaveLength(1);
    });

    it('hands after-commit hooks the committed change and survives their failure', async () => {
      const seen: string[] = [];
      const observed = {
        ...services,
        hooks: {
          inTransaction: [],
          afterCommit: [
            async () => {
              throw new Error('Slack is down');
            },
            (change: { event: { type: string }; ticket: { status: string } }) => {
              seen.push(`${change.event.type}:${change.ticket.status}`);
            },
          ],
        },
      };
      const ticket = await newTicket(observed);
      await changeStatus(as(observed, TECHNICIAN), { ticketId: ticket.id, status: 'in_progress' });
      expect(seen).toEqual(['created:open', 'status_changed:in_progress']);
    });
  });
});
