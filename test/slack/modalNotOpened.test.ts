import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/db.js';
import { REQUESTER, useSlackTestApp } from '../support/slackApp.js';
import { texts } from '../support/texts.js';

// When Slack does not open the /ticket modal (views.open rate-limited, or its trigger_id expired),
// the person who typed /ticket is told through the command's response_url, never left in silence.

describeEachDatabase('Slack: /ticket when the modal cannot be opened', (suite) => {
  const app = useSlackTestApp(suite);
  const tryAgain = texts.slack('en')('modalNotOpened');

  const answerAfter = async (fail: () => void) => {
    app.slack.clear();
    fail();
    const res = await app.command(REQUESTER, 'Printer jammed');
    expect(res.status).toBe(200);
    return app.slack.waitFor(
      (calls) => calls.find((call) => call.method.startsWith('POST /response/')),
      'an answer through response_url',
    );
  };

  it('answers ephemerally when views.open is rate-limited', async () => {
    const answer = await answerAfter(() => app.slack.failHttpNext('views.open', 429));
    expect(answer.args).toMatchObject({ response_type: 'ephemeral', text: tryAgain });
    expect(app.slack.callsTo('views.open')).toHaveLength(1);
  });

  it('answers ephemerally when the trigger expired', async () => {
    const answer = await answerAfter(() => app.slack.failNext('views.open', 'expired_trigger_id'));
    expect(answer.args).toMatchObject({ response_type: 'ephemeral', text: tryAgain });
  });
});
