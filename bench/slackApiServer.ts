import { FakeSlack } from '../test/support/slackApi.js';

// The test Slack for `npm run bench:slack`, in its own process: answering ticketbot's Web API
// calls must not delay the load generator's clock. Prints {"url": …} once listening; stops on SIGTERM.

const slack = await FakeSlack.start();
slack.record = false;
process.stdout.write(`${JSON.stringify({ url: slack.url })}\n`);
process.on('SIGTERM', () => void slack.stop().then(() => process.exit(0)));
