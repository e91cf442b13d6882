import { expect, it } from 'vitest';
import { asActor, changeStatus, reopenTicket } from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import { captureLogs } from '../support/logs.js';
import {
  type Card,
  FRENCH_USER,
  REQUESTER,
  type SlackJson,
  TECHNICIAN,
  useSlackTestApp,
} from '../support/slackApp.js';
import { ratingPromptsOf, ticketOfCard } from '../support/slackCards.js';

// The rating DM over its life: sent on closing, edited in place (no buttons left) when the ticket
// is reopened unanswered, sent afresh on the next closing, replaced by a thank-you once rated, from
// which a small modal adds a remark to the rating.

const REOPENED_EN = 'was reopened';
const REOPENED_FR = 'a été rouvert';

describeEachDatabase('Slack: the rating DM when a ticket is reopened', (suite) => {
  const logs = captureLogs('warn');
  const logLines = logs.entries;
  const app = useSlackTestApp(suite, {}, () => logs.logger);

  const technician = {
    technician: { technician: { type: 'static_select', selected_option: { value: TECHNICIAN } } },
  };

  async function ticketOf(card: Card) {
    return (await ticketOfCard(suite.db, card.ts))!;
  }

  /** Clicks a button on the ticket's card and waits until the card shows the change. */
  async function clickCard(card: Card, userId: string, actionId: string) {
    const { id, version } = await ticketOf(card);
    // The card shows the ticket as it is now (a rating's redraw may still be on its way): people
    // click what they see.
    if (version > 1) await app.cardAtVersion(card.ts, id, version);
    const res = await app.click(userId, app.card(card.channel, card.ts), actionId);
    expect(res.status).toBe(200);
    await app.cardAtVersion(card.ts, id, version + 1);
  }

  /** The rating DM sent for the ticket's `resolution`-th closing, as posted. */
  async function promptFor(ticketId: number, resolution: number, userId = REQUESTER): Promise<Card> {
    const posted = await app.slack.waitFor(
      (calls) =>
        calls.find(
          (c) =>
            c.method === 'chat.postMessage' &&
            c.args.channel === `D${userId.slice(1)}` &&
            JSON.stringify(c.args.blocks ?? []).includes(`"rating:${ticketId}:${resolution}"`),
        ),
      `the rating prompt of #${ticketId} (resolution ${resolution})`,
    );
    return {
      channel: posted.response.channel as string,
      ts: posted.response.ts as string,
      blocks: posted.args.blocks as Card['blocks'],
    };
  }

  /** Waits until the ticket's stored prompt address is `expected` (null: none). */
  async function promptStored(ticketId: number, expected: { channel: string; ts: string } | null) {
    const stored = async () =>
      (await ratingPromptsOf(suite.db, ticketId)).map(({ channel, ts }) => ({ channel, ts }));
    const want = expected ? [{ channel: expected.channel, ts: expected.ts }] : [];
    await app.slack.waitFor(
      async () => JSON.stringify(await stored()) === JSON.stringify(want),
      `the stored prompt of #${ticketId} to be ${expected?.ts ?? 'cleared'}`,
    );
    expect(await stored()).toEqual(want);
  }

  function updatesOf(message: { channel: string; ts: string }) {
    return app.slack
      .callsTo('chat.update')
      .filter((c) => c.args.channel === message.channel && c.args.ts === message.ts);
  }

  async function editedWith(message: { channel: string; ts: string }, text: string) {
    return app.slack.waitFor(
      () => updatesOf(message).find((c) => c.response.ok === true && String(c.args.text).includes(text)),
      `the message ${message.ts} edited to "${text}"`,
    );
  }

  const blockTypes = (blocks: SlackJson[]) => blocks.map((b: { type: string }) => b.type);

  it('edits an unanswered prompt in place on reopening, refuses its old buttons, and asks again on the next closing', async () => {
    const card = await app.createTicket(REQUESTER, 'Laptop fan loud', technician);
    const { id } = await ticketOf(card);

    await clickCard(card, TECHNICIAN, 'ticket_close');
    const first = await promptFor(id, 1);
    expect(first.channel).toBe(`D${REQUESTER.slice(1)}`);
    expect(blockTypes(first.blocks)).toContain('actions');
    await promptStored(id, first);

    await clickCard(card, REQUESTER, 'ticket_reopen');
    const edit = await editedWith(first, REOPENED_EN);
    expect(edit.args.channel).toBe(first.channel);
    expect(blockTypes(edit.args.blocks as SlackJson[])).not.toContain('actions');
    expect(JSON.stringify(edit.args.blocks)).not.toContain('ticket_rate_');
    expect(String(edit.args.text)).toContain(`#${id} Laptop fan loud`);
    expect(String(edit.args.text)).toContain('asked again when it is closed');
    await promptStored(id, null);

    // A click that was already on its way (the old buttons) is still refused and stores nothing.
    await app.click(REQUESTER, first, 'ticket_rate_5');
    await editedWith(first, 'no longer applies');
    expect(await suite.db.models.Rating.count({ where: { ticketId: id } })).toBe(0);

    await clickCard(card, TECHNICIAN, 'ticket_close');
    const second = await promptFor(id, 2);
    expect(second.ts).not.toBe(first.ts);
    await promptStored(id, second);

    await app.click(REQUESTER, second, 'ticket_rate_5');
    const thanks = await editedWith(second, '5/5');
    expect(JSON.stringify(thanks.args.blocks)).not.toMatch(/ticket_rate_[1-5]/);
    expect(JSON.stringify(thanks.args.blocks)).toContain('"ticket_rate_remark"');
    await promptStored(id, null);
    const ratings = await suite.db.models.Rating.findAll({ where: { ticketId: id } });
    expect(ratings.map((r) => ({ resolution: r.resolution, score: r.score }))).toEqual([
      { resolution: 2, score: 5 },
    ]);

    // Rated, then reopened: the thank-you stays as it is, and the next closing asks again.
    await clickCard(card, TECHNICIAN, 'ticket_reopen');
    await clickCard(card, TECHNICIAN, 'ticket_close');
    const third = await promptFor(id, 3);
    await promptStored(id, third);
    expect(updatesOf(second).map((c) => String(c.args.text))).toEqual([thanks.args.text]);
  });

  it('writes the edit in the requester’s language', async () => {
    const card = await app.createTicket(FRENCH_USER, 'Imprimante bloquée', technician);
    const { id } = await ticketOf(card);
    await clickCard(card, TECHNICIAN, 'ticket_close');
    const prompt = await promptFor(id, 1, FRENCH_USER);
    await promptStored(id, prompt);

    await clickCard(card, TECHNICIAN, 'ticket_reopen');
    const edit = await editedWith(prompt, REOPENED_FR);
    expect(String(edit.args.text)).toBe(
      `Le ticket n°${id} Imprimante bloquée a été rouvert : rien à noter pour l’instant. Nous vous le redemanderons quand il sera fermé.`,
    );
    expect(blockTypes(edit.args.blocks as SlackJson[])).toEqual(['section']);
    await promptStored(id, null);
  });

  it('logs a failed edit, keeps the reopen, and edits the old prompt when the ticket is closed again', async () => {
    const card = await app.createTicket(REQUESTER, 'Edit fails', technician);
    const { id } = await ticketOf(card);
    await clickCard(card, TECHNICIAN, 'ticket_close');
    const first = await promptFor(id, 1);
    await promptStored(id, first);

    app.slack.failNext('chat.update', 'ratelimited', 1, (args) => args.ts === first.ts);
    await clickCard(card, TECHNICIAN, 'ticket_reopen');
    const logged = await app.slack.waitFor(
      () => logLines.find((line) => line.kind === 'retire_rating_prompt' && line.ticketId === id),
      'the failed edit in the log',
    );
    expect(logged).toMatchObject({
      msg: 'Slack work not done yet; it is tried again',
      err: { message: expect.any(String) },
    });
    expect(updatesOf(first).map((c) => c.response)).toEqual([{ ok: false, error: 'ratelimited' }]);
    expect(await suite.db.models.Ticket.findByPk(id)).toMatchObject({ status: 'open' });
    expect(await ratingPromptsOf(suite.db, id)).toMatchObject([{ resolution: 1, ts: first.ts }]);

    // The edit is owed still (slack_outbox), and the next closing's prompt waits behind it: the
    // outbox's catch-up does both, in order.
    await clickCard(card, TECHNICIAN, 'ticket_close');
    await app.slack.waitFor(async () => {
      await app.bot.slack!.catchUpOutbox();
      return updatesOf(first).some((c) => c.response.ok === true);
    }, 'the edit, tried again');
    const second = await promptFor(id, 2);
    await editedWith(first, REOPENED_EN);
    await promptStored(id, second);
  });

  it('edits a prompt whose ticket was reopened while the DM was being posted', async () => {
    const card = await app.createTicket(REQUESTER, 'Reopened in flight', technician);
    const { id } = await ticketOf(card);
    const services = app.bot.services;
    const held = app.slack.hold('chat.postMessage', (args) =>
      JSON.stringify(args.blocks ?? []).includes(`"rating:${id}:1"`),
    );
    await changeStatus(asActor(services, TECHNICIAN), { ticketId: id, status: 'closed' });
    await held.arrived;
    await reopenTicket(asActor(services, TECHNICIAN), { ticketId: id });
    // Time for the reopen's own task to look and find no prompt recorded yet. It leaves no trace
    // to wait for; whichever runs first, the prompt must end up edited and forgotten.
    await new Promise((resolve) => setTimeout(resolve, 300));
    held.release();

    const prompt = await promptFor(id, 1);
    await editedWith(prompt, REOPENED_EN);
    await promptStored(id, null);
  });

  it('sends the next closing’s prompt only after the reopen’s edit, one ticket’s Slack work in order', async () => {
    const card = await app.createTicket(REQUESTER, 'Closed again fast', technician);
    const { id } = await ticketOf(card);
    const services = app.bot.services;
    await changeStatus(asActor(services, TECHNICIAN), { ticketId: id, status: 'closed' });
    const first = await promptFor(id, 1);
    await promptStored(id, first);

    const held = app.slack.hold('chat.update', (args) => args.ts === first.ts);
    await reopenTicket(asActor(services, TECHNICIAN), { ticketId: id });
    await held.arrived;
    await changeStatus(asActor(services, TECHNICIAN), { ticketId: id, status: 'closed' });
    // The closing's prompt is owed, behind the reopen's edit still under way.
    const [owed] = await suite.db.sequelize.query(
      `SELECT kind FROM slack_outbox WHERE ticket_id = ${id} AND done_at IS NULL ORDER BY id`,
    );
    expect((owed as Array<{ kind: string }>).map((row) => row.kind)).toEqual([
      'retire_rating_prompt',
      'rating_prompt',
    ]);
    held.release();

    await app.slack.waitFor(async () => {
      await app.bot.slack!.catchUpOutbox();
      return app.slack.calls.some(
        (c) =>
          c.method === 'chat.postMessage' && JSON.stringify(c.args.blocks ?? []).includes(`"rating:${id}:2"`),
      );
    }, 'the edit, then the next prompt');
    const second = await promptFor(id, 2);
    expect(updatesOf(first).map((c) => String(c.args.text).includes(REOPENED_EN))).toEqual([true]);
    await promptStored(id, second);
    expect(updatesOf(second)).toEqual([]);
  });

  it('leaves the thank-you alone when the ticket is reopened before it is shown', async () => {
    const card = await app.createTicket(REQUESTER, 'Rated then reopened', technician);
    const { id } = await ticketOf(card);
    const services = app.bot.services;
    await changeStatus(asActor(services, TECHNICIAN), { ticketId: id, status: 'closed' });
    const prompt = await promptFor(id, 1);
    await promptStored(id, prompt);

    const held = app.slack.hold('chat.update', (args) => args.ts === prompt.ts);
    await app.click(REQUESTER, prompt, 'ticket_rate_3');
    await held.arrived;
    await reopenTicket(asActor(services, TECHNICIAN), { ticketId: id });
    // The reopen's task sees the rating and only forgets the address.
    await promptStored(id, null);
    held.release();

    await editedWith(prompt, '3/5');
    expect(updatesOf(prompt).map((c) => String(c.args.text))).toEqual([
      'Thank you! You rated this ticket 3/5.',
    ]);
  });
  /** Closes a new ticket of the requester's, rates it `score` from the DM, and returns the thank-you as shown. */
  async function ratedThankYou(title: string, score: number) {
    const card = await app.createTicket(REQUESTER, title, technician);
    const { id } = await ticketOf(card);
    await clickCard(card, TECHNICIAN, 'ticket_close');
    const prompt = await promptFor(id, 1);
    expect(blockTypes(prompt.blocks)).not.toContain('input');
    await app.click(REQUESTER, prompt, `ticket_rate_${score}`);
    const thanks = await editedWith(prompt, `${score}/5`);
    return { id, prompt, thanks: { ...prompt, blocks: thanks.args.blocks as Card['blocks'] } };
  }

  async function remarkModal(thanks: Card) {
    const opens = app.slack.callsTo('views.open').length;
    await app.click(REQUESTER, thanks, 'ticket_rate_remark');
    return app.slack.waitFor(
      (calls) =>
        calls
          .filter((c) => c.method === 'views.open')
          .slice(opens)
          .find((c) => (c.args.view as { callback_id?: string }).callback_id === 'rating_remark'),
      'the remark modal',
    );
  }

  const remark = (value: string) => ({
    rating_remark: { rating_remark: { type: 'plain_text_input', value } },
  });

  it('rates with one click; "Add a remark" opens a modal that stores the remark on that rating, shows it in the DM and on the status page, once', async () => {
    const { id, thanks } = await ratedThankYou('Screen flickers', 4);
    const rating = () => suite.db.models.Rating.findOne({ where: { ticketId: id } });
    expect(await rating()).toMatchObject({ resolution: 1, score: 4, remark: null });

    const opened = await remarkModal(thanks);
    expect(opened.response.ok).toBe(true);
    expect(JSON.parse(String((opened.args.view as { private_metadata: string }).private_metadata))).toEqual({
      ticketId: id,
      resolution: 1,
      score: 4,
      channel: thanks.channel,
      ts: thanks.ts,
    });
    const submitted = await app.submitView(REQUESTER, opened, remark('  Quick & kind <3  '));
    expect(submitted.text).toBe('');
    expect(await rating()).toMatchObject({ score: 4, remark: 'Quick & kind <3' });

    await app.slack.waitFor(
      () =>
        updatesOf(thanks).find((c) =>
          JSON.stringify(c.args.blocks).includes('Your remark: Quick &amp; kind &lt;3'),
        ),
      'the remark shown in the DM',
    );
    const last = updatesOf(thanks).at(-1)!;
    expect(JSON.stringify(last.args.blocks)).not.toContain('ticket_rate_remark');
    const events = await suite.db.models.TicketEvent.findAll({
      where: { ticketId: id, type: 'rating_remarked' },
    });
    expect(events.map((e) => e.actorId)).toEqual([REQUESTER]);

    const page = await fetch(`${app.bot.url}/tickets/${id}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Quick &amp; kind &lt;3');

    // The same modal submitted again (Slack showed an error, or a double click on Save): stored once.
    const again = await app.submitView(REQUESTER, opened, remark('Quick & kind <3'));
    expect(again.text).toBe('');
    expect(
      await suite.db.models.TicketEvent.count({ where: { ticketId: id, type: 'rating_remarked' } }),
    ).toBe(1);
    // A different remark for the same rating is refused on the field, and the first one stays.
    const other = await app.submitView(REQUESTER, opened, remark('Changed my mind'));
    expect(JSON.parse(other.text)).toEqual({
      response_action: 'errors',
      errors: { rating_remark: 'You already added a remark to this rating.' },
    });
    expect(await rating()).toMatchObject({ remark: 'Quick & kind <3' });
  });

  it('marks an empty or too long remark on the field and stores nothing', async () => {
    const { id, thanks } = await ratedThankYou('Dock unplugged', 3);
    const opened = await remarkModal(thanks);
    const submitted = await app.submitView(REQUESTER, opened, remark('   '));
    expect(JSON.parse(submitted.text)).toEqual({
      response_action: 'errors',
      errors: { rating_remark: 'Write a remark, or close this window.' },
    });
    const tooLong = await app.submitView(REQUESTER, opened, remark('x'.repeat(1001)));
    expect(JSON.parse(tooLong.text)).toEqual({
      response_action: 'errors',
      errors: { rating_remark: 'Keep the remark to 1000 characters.' },
    });
    expect(await suite.db.models.Rating.findOne({ where: { ticketId: id } })).toMatchObject({ remark: null });
  });

  it('says where the requester clicked when Slack refuses the modal’s trigger, and opens it on the next click', async () => {
    const { thanks } = await ratedThankYou('Webcam dark', 5);
    app.slack.failNext('views.open', 'expired_trigger_id');
    await app.click(REQUESTER, thanks, 'ticket_rate_remark');
    const told = await app.slack.waitForCall('chat.postEphemeral', (args) => args.user === REQUESTER);
    expect(told.args).toMatchObject({
      channel: thanks.channel,
      text: expect.stringContaining('Click *Add a remark* again'),
    });
    const opened = await remarkModal(thanks);
    expect(opened.response.ok).toBe(true);
  });
});
