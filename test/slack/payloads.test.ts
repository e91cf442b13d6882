import { readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/db.js';
import { type SlackTestApp, useSlackTestApp } from '../support/slackApp.js';
import { FORM } from '../support/slackSigner.js';

// Every real payload in test/fixtures/slack/payloads, replayed through POST /slack/events as Slack
// sends it: handled (URL verification, ssl_check) or ignored (other apps' callback ids, users
// unknown to ticketbot), never a 5xx, nothing stored, nothing sent that Slack would reject.

const dir = new URL('../fixtures/slack/payloads/', import.meta.url);
const files = readdirSync(dir).filter((name) => /\.(json|form)$/.test(name));
/** Inner events without their envelope (see SOURCES.md): Slack would wrap them in event_callback. */
const INNER_EVENT = new Set([
  'event_app_home_opened_docs.json',
  'event_message_changed_of_thread_reply.json',
]);
const INTERACTIVE = /^(block_actions|view_submission|view_closed|message_action)/;

describeEachDatabase('Slack: real payloads replayed', (suite) => {
  const app = useSlackTestApp(suite);

  for (const name of files) {
    if (name === 'view_state_all_element_types.json' || name === 'block_actions_message_button.json')
      continue; // a fragment; the .form twin
    it(`${name} is answered without a server error`, async () => {
      const text = readFileSync(new URL(name, dir), 'utf8');
      let res: Awaited<ReturnType<SlackTestApp['send']>>;
      if (name === 'ssl_check.form') {
        // Slack does not sign ssl_check; Bolt answers it before verification.
        const raw = await fetch(app.eventsUrl, {
          method: 'POST',
          headers: { 'content-type': FORM },
          body: text,
        });
        expect(raw.status).toBe(200);
        return;
      }
      if (name.endsWith('.form')) res = await app.send({ form: text });
      else if (INTERACTIVE.test(name)) res = await app.send({ interactive: JSON.parse(text) });
      else if (INNER_EVENT.has(name))
        res = await app.send({
          json: {
            type: 'event_callback',
            team_id: 'T0TEAM0001',
            event_id: `Ev.${name}`,
            event: JSON.parse(text),
          },
        });
      else res = await app.send({ json: JSON.parse(text) });
      expect(res.status).toBeLessThan(500);
      if (name === 'url_verification.json')
        expect(res.json()).toEqual({ challenge: JSON.parse(text).challenge });
      else expect(res.status).toBe(200);
      expect(await suite.db.models.Ticket.count()).toBe(0);
      expect(await suite.db.models.Comment.count()).toBe(0);
    });
  }
});
