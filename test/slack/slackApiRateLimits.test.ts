import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeSlack, SLACK_RATE_LIMITS } from '../support/slackApi.js';

// The test Slack's rate limits (enforceRateLimits): what ticketbot's pacing is tested against, so
// they must refuse what Slack refuses, the way Slack does (HTTP 429, Retry-After,
// {"ok":false,"error":"ratelimited"}; sources in test/support/slackApi.ts).

describe('the test Slack: rate limits', () => {
  let slack: FakeSlack;

  beforeEach(async () => {
    slack = await FakeSlack.start();
  });
  afterEach(async () => slack.stop());

  const call = async (method: string, args: Record<string, string>) => {
    const response = await fetch(`${slack.url}${method}`, {
      method: 'POST',
      headers: { authorization: 'Bearer xoxb-test', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(args).toString(),
    });
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: await response.json(),
    };
  };

  it('are off by default: other tests are unchanged', async () => {
    for (let i = 0; i < 10; i += 1) {
      expect((await call('chat.postMessage', { channel: 'C0RATE0001', text: 'hi' })).status).toBe(200);
    }
    expect(slack.ratelimited).toBe(0);
    expect(slack.callsByMethod.get('chat.postMessage')).toBe(10);
  });

  it('allow chat.postMessage a short burst per channel, then answer 429 with Retry-After', async () => {
    slack.enforceRateLimits();
    const burst = SLACK_RATE_LIMITS.postMessagePerChannel.burst;
    for (let i = 0; i < burst; i += 1) {
      expect((await call('chat.postMessage', { channel: 'C0RATE0001', text: 'hi' })).status).toBe(200);
    }
    const refused = await call('chat.postMessage', { channel: 'C0RATE0001', text: 'hi' });
    expect(refused).toEqual({ status: 429, retryAfter: '1', body: { ok: false, error: 'ratelimited' } });
    // Another channel has its own limit.
    expect((await call('chat.postMessage', { channel: 'C0RATE0002', text: 'hi' })).status).toBe(200);
    expect(slack.ratelimitedByMethod.get('chat.postMessage')).toBe(1);
    expect(slack.callsByMethod.get('chat.postMessage')).toBe(burst + 2);
    // The refused call is recorded as refused, not as a message.
    expect(slack.messagesIn('C0RATE0001')).toHaveLength(burst);
    expect(slack.callsTo('chat.postMessage').filter((c) => c.response.httpStatus === 429)).toHaveLength(1);
  });

  it('let chat.postMessage through again once Retry-After has passed', async () => {
    slack.enforceRateLimits({ postMessagePerChannel: { perMinute: 60, burst: 1 } });
    expect((await call('chat.postMessage', { channel: 'C0RATE0001', text: 'a' })).status).toBe(200);
    const refused = await call('chat.postMessage', { channel: 'C0RATE0001', text: 'b' });
    expect(refused.status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, Number(refused.retryAfter) * 1000));
    expect((await call('chat.postMessage', { channel: 'C0RATE0001', text: 'b' })).status).toBe(200);
  });

  it('limit Tier 3 and Tier 4 methods per method, each on its own', async () => {
    slack.enforceRateLimits();
    const tier3 = SLACK_RATE_LIMITS.tier3.burst;
    for (let i = 0; i < tier3; i += 1) {
      expect((await call('conversations.open', { users: `U0PERSON${i}` })).status).toBe(200);
    }
    const refused = await call('conversations.open', { users: 'U0PERSONX' });
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ ok: false, error: 'ratelimited' });
    // 50 a minute: the next call is allowed in 1.2 s, so Retry-After is 2 (whole seconds).
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    // chat.update (Tier 3 too) is counted apart from conversations.open.
    expect((await call('chat.update', { channel: 'C0RATE0001', ts: '1.000001', text: 'x' })).status).toBe(
      200,
    );
    const tier4 = SLACK_RATE_LIMITS.tier4.burst;
    for (let i = 0; i < tier4; i += 1) {
      expect((await call('users.info', { user: `U0PERSON${i}` })).status).toBe(200);
    }
    expect((await call('users.info', { user: 'U0PERSONX' })).status).toBe(429);
    expect((await call('views.publish', { user_id: 'U0PERSON1', view: '{}' })).status).not.toBe(429);
    // auth.test is not limited here ("hundreds per minute").
    expect((await call('auth.test', {})).status).toBe(200);
    expect(Object.fromEntries(slack.ratelimitedByMethod)).toEqual({
      'conversations.open': 1,
      'users.info': 1,
    });
    expect(slack.ratelimited).toBe(2);
  });
});
