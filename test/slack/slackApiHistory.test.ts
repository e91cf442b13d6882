import { ErrorCode, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../support/slackApi.js';

// The test Slack's conversations.history answers as Slack documents it
// (https://docs.slack.dev/reference/methods/conversations.history): ticketbot's card recovery is
// only as good as this stand-in.

describe('the test Slack: conversations.history', () => {
  let slack: FakeSlack;
  let client: WebClient;
  const posted: string[] = [];

  beforeAll(async () => {
    slack = await FakeSlack.start();
    client = new WebClient('xoxb-test', { slackApiUrl: slack.url, retryConfig: { retries: 0 } });
    for (const n of [1, 2, 3]) {
      const result = await client.chat.postMessage({
        channel: 'C0HISTORY1',
        text: `message ${n}`,
        metadata: { event_type: 'ticket_card', event_payload: { ticket_id: n } },
      });
      posted.push(result.ts!);
    }
    await client.chat.postMessage({ channel: 'C0HISTORY1', thread_ts: posted[0]!, text: 'a reply' });
  });
  afterAll(async () => slack.stop());

  it('returns top-level messages newest first, with metadata only when asked', async () => {
    const plain = await client.conversations.history({ channel: 'C0HISTORY1' });
    expect(plain.messages!.map((m) => m.text)).toEqual(['message 3', 'message 2', 'message 1']);
    expect(plain.messages![0]).not.toHaveProperty('metadata');
    expect(plain).toMatchObject({ ok: true, has_more: false, pin_count: 0 });
    const withMetadata = await client.conversations.history({
      channel: 'C0HISTORY1',
      include_all_metadata: true,
    });
    expect(withMetadata.messages![0]).toMatchObject({
      ts: posted[2],
      bot_id: slack.botId,
      metadata: { event_type: 'ticket_card', event_payload: { ticket_id: 3 } },
    });
  });

  it('bounds the range by oldest and latest, exclusive unless inclusive', async () => {
    const between = await client.conversations.history({
      channel: 'C0HISTORY1',
      oldest: posted[0]!,
      latest: posted[2]!,
    });
    expect(between.messages!.map((m) => m.ts)).toEqual([posted[1]]);
    const inclusive = await client.conversations.history({
      channel: 'C0HISTORY1',
      oldest: posted[0]!,
      latest: posted[2]!,
      inclusive: true,
    });
    expect(inclusive.messages!.map((m) => m.ts)).toEqual([posted[2], posted[1], posted[0]]);
  });

  it('pages by limit with has_more and a next_cursor', async () => {
    const first = await client.conversations.history({ channel: 'C0HISTORY1', limit: 2 });
    expect(first.messages!.map((m) => m.ts)).toEqual([posted[2], posted[1]]);
    expect(first.has_more).toBe(true);
    const cursor = first.response_metadata!.next_cursor!;
    const second = await client.conversations.history({ channel: 'C0HISTORY1', limit: 2, cursor });
    expect(second.messages!.map((m) => m.ts)).toEqual([posted[0]]);
    expect(second.has_more).toBe(false);
  });

  it('refuses what Slack refuses: a channel the bot is not in, a DM without im:history', async () => {
    slack.channelsWithoutBot.add('C0HISTORY1');
    try {
      await expect(client.conversations.history({ channel: 'C0HISTORY1' })).rejects.toMatchObject({
        code: ErrorCode.PlatformError,
        data: { error: 'not_in_channel' },
      });
    } finally {
      slack.channelsWithoutBot.clear();
    }
    slack.historyScopes.delete('im:history');
    try {
      await expect(client.conversations.history({ channel: 'D0SOMEONE1' })).rejects.toMatchObject({
        data: { error: 'missing_scope', needed: 'im:history' },
      });
    } finally {
      slack.historyScopes.add('im:history');
    }
  });

  it('can carry a post out and lose its answer', async () => {
    slack.loseAnswerNext('chat.postMessage', (args) => args.text === 'lost answer');
    await expect(
      client.chat.postMessage({ channel: 'C0HISTORY1', text: 'lost answer' }),
    ).rejects.toMatchObject({
      code: ErrorCode.RequestError,
    });
    expect(slack.messagesIn('C0HISTORY1').map((m) => m.text)).toContain('lost answer');
  });
});
