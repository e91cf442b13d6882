import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { SLACK_BODY_LIMIT } from '../../src/slack/sslCheck.js';
import { describeEachDatabase } from '../support/db.js';
import { REQUESTER, SIGNING_SECRET, useSlackTestApp } from '../support/slackApp.js';
import { encodeBody, FORM, slackSignature } from '../support/slackSigner.js';

// Requests to /slack/events must be signed by Slack with our secret, recently.

describe('the request signer', () => {
  it("matches Slack's documented test vector", () => {
    const body = readFileSync(
      new URL('../fixtures/slack/payloads/slash_command_signing_test_vector.form', import.meta.url),
      'utf8',
    );
    expect(slackSignature('8f742231b10e8888abcd99yyyzzz85a5', 1531420618, body)).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });
});

describeEachDatabase('Slack: request verification', (suite) => {
  const app = useSlackTestApp(suite);

  const reply = {
    json: {
      type: 'event_callback',
      team_id: 'T0TEAM0001',
      event_id: 'Ev0SECURITY',
      event: {
        type: 'message',
        channel: 'C0HELPDESK',
        user: REQUESTER,
        text: 'hi',
        ts: '1700009999.000001',
        thread_ts: '1700000000.000001',
      },
    },
  };
  const command = {
    form: {
      command: '/ticket',
      text: 'help',
      user_id: REQUESTER,
      channel_id: 'C0GENERAL1',
      trigger_id: 't.1',
    },
  };

  async function nothingStored() {
    expect(await suite.db.models.Ticket.count()).toBe(0);
    expect(await suite.db.models.Comment.count()).toBe(0);
    expect(app.slack.calls.filter((c) => c.method !== 'auth.test')).toEqual([]);
  }

  it('accepts a correctly signed request', async () => {
    const res = await app.send(command);
    expect(res.status).toBe(200);
    // After answering, ticketbot looks the caller's profile up (and, since start-up, the seeded
    // roster's): let that finish before the rest, which expects no Slack calls at all.
    await app.slack.waitForCall('users.info');
    await app.bot.slack?.settled();
    app.slack.clear();
  });

  it('answers 401 to a wrong signature', async () => {
    expect((await app.send(command, { signature: `v0=${'0'.repeat(64)}` })).status).toBe(401);
    expect(
      (
        await app.send(reply, {
          signature: slackSignature('another-secret', Math.floor(Date.now() / 1000), 'x'),
        })
      ).status,
    ).toBe(401);
    await nothingStored();
  });

  it('answers 401 when the signature or timestamp header is missing', async () => {
    expect((await app.send(command, { omit: ['signature'] })).status).toBe(401);
    expect((await app.send(reply, { omit: ['timestamp'] })).status).toBe(401);
    await nothingStored();
  });

  it('answers 401 to a timestamp older than five minutes, even correctly signed', async () => {
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    expect((await app.send(command, { timestamp: stale })).status).toBe(401);
    await nothingStored();
  });

  it('answers 401 to a body changed after signing', async () => {
    const { raw } = encodeBody(command);
    const timestamp = Math.floor(Date.now() / 1000);
    const res = await fetch(app.eventsUrl, {
      method: 'POST',
      headers: {
        'content-type': FORM,
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': slackSignature(SIGNING_SECRET, timestamp, raw),
      },
      body: raw.replace('help', 'mine'),
    });
    expect(res.status).toBe(401);
    await nothingStored();
  });
  it('reads at most 1 MB before the signature is checked: a bigger body gets 413, unread', async () => {
    // Announced as bigger: refused before a byte of it is read.
    const announced = await fetch(app.eventsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(SLACK_BODY_LIMIT + 1) },
      body: 'x'.repeat(SLACK_BODY_LIMIT + 1),
    });
    expect(announced.status).toBe(413);
    // Sent in chunks with no length: reading stops at the limit.
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(app.eventsUrl);
      const req = request(
        {
          host: '127.0.0.1',
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      const pump = () => {
        while (sent < 4 * SLACK_BODY_LIMIT) {
          sent += chunk.length;
          if (!req.write(chunk)) return req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
    // A signed request just under the limit is Slack's and goes through.
    const padded = {
      json: { ...reply.json, event_id: 'Ev0PADDED', padding: 'x'.repeat(SLACK_BODY_LIMIT - 2000) },
    };
    expect((await app.send(padded)).status).toBe(200);
  });
});
