import { ErrorCode, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedSends, SlackPacer } from '../../src/slack/pacing.js';
import { createWebApiFetch } from '../../src/slack/webApiFetch.js';
import { FakeSlack } from '../support/slackApi.js';

// The pacer against the test Slack with Slack's rate limits on: every call goes through once
// Slack lets it, in order per queue, and a 429 on one method or channel holds back only that one.

describe('pacing Web API calls by Slack answers', () => {
  let slack: FakeSlack;
  let pacer: SlackPacer;
  let client: WebClient;
  let closeFetch: () => Promise<void>;

  beforeAll(async () => {
    slack = await FakeSlack.start();
    slack.enforceRateLimits({
      postMessagePerChannel: { perMinute: 60, burst: 2 },
      tier4: { perMinute: 100, burst: 1 },
    });
    pacer = new SlackPacer({ passThrough: ['views.open'] });
    const webApiFetch = createWebApiFetch();
    closeFetch = webApiFetch.close;
    client = new WebClient('xoxb-test', {
      slackApiUrl: slack.url,
      fetch: pacer.wrap(webApiFetch.fetch),
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
  });
  afterAll(async () => {
    await closeFetch();
    await slack.stop();
  });

  it('waits out Retry-After per channel: every message posted once, in order', async () => {
    const posts = [1, 2, 3, 4, 5].map((n) =>
      client.chat.postMessage({ channel: 'C0PACED001', text: `m${n}` }),
    );
    // Another channel is not held back by the first one's limit.
    const other = client.chat.postMessage({ channel: 'C0PACED002', text: 'other' });
    const users = client.users.info({ user: 'U0PACED001' });
    const [first] = await Promise.race([
      other.then((r) => ['other', r] as const),
      Promise.all(posts).then(() => ['posts'] as const),
    ]);
    expect(first).toBe('other');
    await expect(users).resolves.toMatchObject({ ok: true });
    const results = await Promise.all(posts);
    expect(results.every((result) => result.ok)).toBe(true);
    expect(slack.messagesIn('C0PACED001').map((m) => m.text)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(slack.ratelimitedByMethod.get('chat.postMessage')).toBeGreaterThan(0);
    expect(pacer.ratelimited.get('chat.postMessage')).toBe(slack.ratelimitedByMethod.get('chat.postMessage'));
  });

  it('hands views.open its 429 at once (its trigger would expire while waiting)', async () => {
    await client.views
      .open({
        trigger_id: '1.2.3',
        view: { type: 'modal', title: { type: 'plain_text', text: 'a' }, blocks: [] },
      })
      .catch(() => undefined);
    const refused = await client.views
      .open({
        trigger_id: '1.2.4',
        view: { type: 'modal', title: { type: 'plain_text', text: 'b' }, blocks: [] },
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).toMatchObject({ code: ErrorCode.RateLimitedError });
    expect(slack.ratelimitedByMethod.get('views.open')).toBe(1);
  });

  it('checks a guarded call right before it is sent, after its wait for the rate limit: refused, it is never sent', async () => {
    const channel = 'C0PACED003';
    // Two posts use up the channel's burst; the third waits for Retry-After in its queue.
    await client.chat.postMessage({ channel, text: 'g1' });
    await client.chat.postMessage({ channel, text: 'g2' });
    let allowed = true;
    let checks = 0;
    const guard = () => {
      checks += 1;
      if (!allowed) throw new Error('lease lost');
    };
    const waiting = guardedSends(guard, () => client.chat.postMessage({ channel, text: 'g3' })).then(
      () => 'sent',
      () => 'refused',
    );
    // Its first attempt met the 429 (the guard let it go); while it waits, the lease is lost.
    await slack.waitFor(async () => (checks > 0 ? true : undefined), 'the guarded post sent once');
    await slack.waitFor(
      async () => (pacer.waiting(`chat.postMessage:${channel}`) > 0 ? true : undefined),
      'the guarded post waiting',
    );
    allowed = false;
    expect(await waiting).toBe('refused');
    expect(slack.messagesIn(channel).map((m) => m.text)).toEqual(['g1', 'g2']);
    // Calls made outside the guard are not checked by it.
    await expect(client.chat.postMessage({ channel, text: 'g4' })).resolves.toMatchObject({ ok: true });
    expect(slack.messagesIn(channel).map((m) => m.text)).toEqual(['g1', 'g2', 'g4']);
  });
});
