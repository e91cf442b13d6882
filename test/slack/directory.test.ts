import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { UserDirectory } from '../../src/slack/directory.js';
import { describeEachDatabase } from '../support/db.js';
import { FakeSlack } from '../support/slackApi.js';
import { texts } from '../support/texts.js';

// The user directory as the email drain's address book: what it answers for each person, and
// when it asks Slack.

describeEachDatabase('Slack user directory: addresses for the email drain', (suite) => {
  let slack: FakeSlack;
  let directory: UserDirectory;
  const usersInfoFor = (id: string) => slack.callsTo('users.info').filter((call) => call.args.user === id);

  beforeAll(async () => {
    slack = await FakeSlack.start();
    // No client retries: one failed call is one failed lookup.
    const client = new WebClient('xoxb-test-token', { slackApiUrl: slack.url, retryConfig: { retries: 0 } });
    directory = new UserDirectory(suite.db, client, createLogger('silent'), texts.languageOf);
  });
  afterAll(async () => slack?.stop());

  it('answers a profile fetched within the day from the users table, without asking Slack', async () => {
    await suite.db.models.User.create({
      id: 'U0FRESH001',
      name: 'Fresh Person',
      email: 'fresh@example.com',
      locale: 'fr-FR',
      tz: 'Europe/Paris',
      profileRefreshedAt: new Date(),
    } as never);
    const answers = await directory.lookUp(['U0FRESH001', 'U0FRESH001']);
    expect([...answers]).toEqual([
      [
        'U0FRESH001',
        {
          kind: 'found',
          email: 'fresh@example.com',
          name: 'Fresh Person',
          locale: 'fr-FR',
          timeZone: 'Europe/Paris',
        },
      ],
    ]);
    expect(usersInfoFor('U0FRESH001')).toEqual([]);
  });

  it('asks users.info about someone never looked up, and keeps the profile', async () => {
    slack.addUser('U0UNKNOWN1', {
      name: 'Una Known',
      email: 'una@example.com',
      locale: 'en-GB',
      tz: 'Europe/London',
    });
    const answers = await directory.lookUp(['U0UNKNOWN1']);
    expect(answers.get('U0UNKNOWN1')).toEqual({
      kind: 'found',
      email: 'una@example.com',
      name: 'Una Known',
      locale: 'en-GB',
      timeZone: 'Europe/London',
    });
    expect(usersInfoFor('U0UNKNOWN1')).toHaveLength(1);
    expect(await suite.db.models.User.findByPk('U0UNKNOWN1')).toMatchObject({ email: 'una@example.com' });
  });

  it('says plainly when Slack has no address: none in the profile, a bot, no such user', async () => {
    slack.addUser('U0NOMAIL01', { name: 'No Mail', email: null });
    slack.addUser('U0ROBOT001', { name: 'Robot', isBot: true, email: null });
    slack.failNext('users.info', 'user_not_found', 1, (args) => args.user === 'U0GONE0001');
    const answers = await directory.lookUp(['U0NOMAIL01', 'U0ROBOT001', 'U0GONE0001']);
    expect(answers.get('U0NOMAIL01')).toEqual({
      kind: 'no_email',
      reason:
        'Slack has no email address for this person (without the users:read.email scope it gives none at all)',
    });
    expect(answers.get('U0ROBOT001')).toEqual({
      kind: 'no_email',
      reason: 'this Slack user is a bot: bots have no email address',
    });
    expect(answers.get('U0GONE0001')).toEqual({
      kind: 'no_email',
      reason: 'Slack knows no such person (users.info: user_not_found)',
    });
  });

  it('Slack unreachable: "could not ask" for someone unknown; a stored address more than a day old is used', async () => {
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60_000);
    await suite.db.models.User.create({
      id: 'U0STALE001',
      name: 'Stale Person',
      email: 'stale@example.com',
      profileRefreshedAt: twoDaysAgo,
    } as never);
    const endOutage = slack.outage('users.info');
    try {
      const answers = await directory.lookUp(['U0STALE001', 'U0NEVER001']);
      expect(answers.get('U0STALE001')).toMatchObject({ kind: 'found', email: 'stale@example.com' });
      expect(answers.get('U0NEVER001')).toMatchObject({ kind: 'unreachable' });
      expect((answers.get('U0NEVER001') as { reason: string }).reason).toMatch(/^users\.info failed: /);
      expect(usersInfoFor('U0STALE001')).toHaveLength(1);
    } finally {
      endOutage();
    }
    // Once Slack answers again, the stale profile is refreshed at the next lookup.
    slack.addUser('U0STALE001', { name: 'Stale Person', email: 'moved@example.com' });
    const answers = await directory.lookUp(['U0STALE001']);
    expect(answers.get('U0STALE001')).toMatchObject({ kind: 'found', email: 'moved@example.com' });
  });
});
