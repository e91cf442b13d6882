import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Publisher, type PublisherOptions } from '../../src/slack/publisher.js';
import { dmChannelOf } from '../../src/slack/store/dmChannels.js';
import { describeEachDatabase } from '../support/db.js';
import { FakeSlack } from '../support/slackApi.js';

// A person's DM channel is opened once (conversations.open, Tier 3) and remembered in the
// database for every process: two publishers on one database, as two replicas.

describeEachDatabase('DM channels remembered in the database', (suite) => {
  let slack: FakeSlack;
  beforeAll(async () => {
    slack = await FakeSlack.start();
  });
  afterAll(async () => slack.stop());

  const publisher = () =>
    new Publisher({
      db: suite.db,
      client: new WebClient('xoxb-test', { slackApiUrl: slack.url, retryConfig: { retries: 0 } }),
    } as unknown as PublisherOptions);

  it('opens each person once across processes and restarts', async () => {
    const first = publisher();
    const second = publisher();
    const channels = await Promise.all([
      first.dmChannel('U0DMONCE01'),
      first.dmChannel('U0DMONCE01'),
      first.dm('U0DMONCE01', { text: 'hello' }).then((at) => at.channel),
    ]);
    expect(new Set(channels)).toEqual(new Set(['D0DMONCE01']));
    expect(await dmChannelOf(suite.db, 'U0DMONCE01')).toBe('D0DMONCE01');
    await second.dm('U0DMONCE01', { text: 'from the other replica' });
    await publisher().dmChannel('U0DMONCE01');
    expect(slack.callsTo('conversations.open')).toHaveLength(1);
    expect(slack.callsTo('chat.postMessage').map((call) => call.args.channel)).toEqual([
      'D0DMONCE01',
      'D0DMONCE01',
    ]);
  });

  it('two processes opening the same person at once both get the channel', async () => {
    const [a, b] = await Promise.all([
      publisher().dmChannel('U0DMBOTH01'),
      publisher().dmChannel('U0DMBOTH01'),
    ]);
    expect(a).toBe('D0DMBOTH01');
    expect(b).toBe('D0DMBOTH01');
    expect(await dmChannelOf(suite.db, 'U0DMBOTH01')).toBe('D0DMBOTH01');
  });
});
