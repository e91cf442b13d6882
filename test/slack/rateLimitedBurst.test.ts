import { expect, it } from 'vitest';
import { CARD_EVENT_TYPE } from '../../src/slack/blocks/ids.js';
import { describeEachDatabase } from '../support/db.js';
import { useSlackTestApp } from '../support/slackApp.js';

// A burst of tickets with Slack's rate limits on (the test Slack's enforceRateLimits): Slack
// answers 429s, ticketbot waits them out, and still every card is posted once and every
// requester gets their DM.

const PEOPLE = 8;

describeEachDatabase('Slack: a burst of tickets under rate limits', (suite) => {
  const app = useSlackTestApp(suite);

  it('posts every card once and sends every DM, honouring the 429s', { timeout: 90_000 }, async () => {
    app.slack.clear();
    app.slack.enforceRateLimits();
    const people = Array.from({ length: PEOPLE }, (_, i) => `U0BURST${String(i).padStart(3, '0')}`);
    for (const person of people) app.slack.addUser(person, { name: person.toLowerCase(), locale: 'en-US' });
    await Promise.all(
      people.map(async (person, i) => {
        const res = await app.command(person, `Burst ${i}`);
        expect(res.status).toBe(200);
        const opened = await app.slack.waitFor(
          (calls) =>
            calls.find(
              (c) =>
                c.method === 'views.open' &&
                c.response.ok &&
                JSON.stringify(c.args.view).includes(`Burst ${i}`),
            ),
          `the modal of ${person}`,
        );
        const submitted = await app.submitView(person, opened, {
          title: { title: { type: 'plain_text_input', value: `Burst ${i}` } },
          priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
        });
        expect(submitted.text).toBe('');
      }),
    );
    const cards = () =>
      app.slack
        .callsTo('chat.postMessage')
        .filter(
          (c) =>
            c.response.ok && (c.args.metadata as { event_type?: string })?.event_type === CARD_EVENT_TYPE,
        );
    const dms = () =>
      app.slack
        .callsTo('chat.postMessage')
        .filter((c) => c.response.ok && String(c.args.channel).startsWith('D0BURST'));
    await app.slack.waitFor(
      () => cards().length >= PEOPLE && dms().length >= PEOPLE,
      'every card and DM',
      60_000,
    );
    const ticketIds = cards().map(
      (c) => (c.args.metadata as { event_payload: { ticket_id: number } }).event_payload.ticket_id,
    );
    expect(new Set(ticketIds).size).toBe(PEOPLE);
    expect(ticketIds).toHaveLength(PEOPLE);
    expect(new Set(dms().map((c) => c.args.channel)).size).toBe(PEOPLE);
    // Slack's limits were met, and waited out: 429s given, yet nothing missing.
    expect(app.slack.ratelimitedByMethod.get('chat.postMessage') ?? 0).toBeGreaterThan(0);
    expect(app.slack.callsTo('conversations.open').filter((c) => c.response.ok)).toHaveLength(PEOPLE);
  });
});
