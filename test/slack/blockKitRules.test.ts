import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../support/slackApi.js';

// The test Slack must refuse what Slack refuses, surface by surface (the rules and their sources
// are in test/support/slackBlockKit.ts). One test per rule, each over HTTP the way the Web API
// client calls it: a form body with blocks and view JSON-encoded.

type Answer = {
  ok: boolean;
  error?: string;
  errors?: string[];
  response_metadata?: { messages: string[] };
};
type Block = Record<string, unknown>;

let slack: FakeSlack;
beforeAll(async () => {
  slack = await FakeSlack.start();
});
afterAll(async () => {
  await slack.stop();
});

async function call(method: string, args: Record<string, unknown>): Promise<Answer> {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(args))
    body.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  const res = await fetch(`${slack.url}${method}`, {
    method: 'POST',
    headers: {
      authorization: 'Bearer xoxb-rules',
      'content-type': 'application/x-www-form-urlencoded',
    },
    body,
  });
  return (await res.json()) as Answer;
}

const MESSAGE_METHODS = ['chat.postMessage', 'chat.update', 'chat.postEphemeral'] as const;
const message = (blocks: Block[], method: (typeof MESSAGE_METHODS)[number] = 'chat.postMessage') =>
  call(method, {
    channel: 'C0RULES001',
    ts: '1700000000.000001',
    user: 'U0RULES001',
    text: 'fallback',
    blocks,
  });
const modal = (blocks: Block[], extra: Block = {}, method = 'views.open') =>
  call(method, {
    trigger_id: 'trigger.rules',
    view_id: 'V0RULES001',
    view: { type: 'modal', title: plain('Rules'), submit: plain('Save'), blocks, ...extra },
  });
const home = (blocks: Block[]) =>
  call('views.publish', { user_id: 'U0RULES001', view: { type: 'home', blocks } });
/** The block on each surface, in order: message, modal, Home tab. */
const everywhere = (blocks: Block[]) => Promise.all([message(blocks), modal(blocks), home(blocks)]);

const plain = (text: string) => ({ type: 'plain_text', text });
const md = (text: string) => ({ type: 'mrkdwn', text });
const section = (text = 'Hello'): Block => ({ type: 'section', text: md(text) });
const button = (actionId = 'go', extra: Block = {}): Block => ({
  type: 'button',
  action_id: actionId,
  text: plain('Go'),
  ...extra,
});
const actions = (...elements: Block[]): Block => ({ type: 'actions', elements });
const input = (element: Block, extra: Block = {}): Block => ({
  type: 'input',
  label: plain('Label'),
  element,
  ...extra,
});
const textInput = (extra: Block = {}): Block => ({ type: 'plain_text_input', action_id: 'text', ...extra });
const option = (value: string) => ({ text: plain(value), value });

function expectRefused(answer: Answer, error: 'invalid_blocks' | 'invalid_arguments', ...problems: string[]) {
  expect(answer).toMatchObject({ ok: false, error });
  for (const problem of problems) expect(answer.response_metadata?.messages).toContain(`[ERROR] ${problem}`);
}
const expectAccepted = (answer: Answer) => expect(answer).toMatchObject({ ok: true });

describe('the test Slack refuses what Slack refuses', () => {
  it('answers like Slack: invalid_blocks with errors and [ERROR] messages for messages, invalid_arguments under /view for views, and records the refusal', async () => {
    const before = slack.rejected.length;
    const refused = await message([{ type: 'header', text: md('not plain') }]);
    expect(refused).toEqual({
      ok: false,
      error: 'invalid_blocks',
      errors: ['must be plain_text [json-pointer:/blocks/0/text/type]'],
      response_metadata: { messages: ['[ERROR] must be plain_text [json-pointer:/blocks/0/text/type]'] },
    });
    const view = await modal([{ type: 'header', text: md('not plain') }]);
    expect(view).toEqual({
      ok: false,
      error: 'invalid_arguments',
      response_metadata: { messages: ['[ERROR] must be plain_text [json-pointer:/view/blocks/0/text/type]'] },
    });
    expect(slack.rejected.slice(before).map((c) => c.method)).toEqual(['chat.postMessage', 'views.open']);
  });

  it.each(MESSAGE_METHODS)(
    'refuses an input block in a message (%s): input blocks belong to modals and Home tabs',
    async (method) => {
      const answer = await message([section(), input(textInput())], method);
      expectRefused(answer, 'invalid_blocks', 'unsupported surface for input block [json-pointer:/blocks/1]');
    },
  );

  it('accepts the same input block in a modal and in a Home tab', async () => {
    expectAccepted(
      await modal([input(textInput({ multiline: true, max_length: 1000 }), { optional: true })]),
    );
    expectAccepted(await home([input(textInput(), { dispatch_action: true })]));
  });

  it('keeps a plain-text input inside an input block: refused in an actions block and as a section accessory, on every surface', async () => {
    const [inMessage, inModal, inHome] = await everywhere([actions(textInput())]);
    const problem = 'unsupported type in actions block: plain_text_input';
    expectRefused(inMessage!, 'invalid_blocks', `${problem} [json-pointer:/blocks/0/elements/0/type]`);
    for (const answer of [inModal!, inHome!])
      expectRefused(answer, 'invalid_arguments', `${problem} [json-pointer:/view/blocks/0/elements/0/type]`);
    const accessory = await modal([{ ...section(), accessory: textInput() }]);
    expectRefused(
      accessory,
      'invalid_arguments',
      'unsupported type in section block: plain_text_input [json-pointer:/view/blocks/0/accessory/type]',
    );
  });

  it('refuses a modal with an input block and no submit button', async () => {
    const answer = await call('views.open', {
      trigger_id: 'trigger.rules',
      view: { type: 'modal', title: plain('Rules'), blocks: [input(textInput())] },
    });
    expectRefused(
      answer,
      'invalid_arguments',
      'must be provided when the view has input blocks [json-pointer:/view/submit]',
    );
    expectAccepted(await modal([section()], { submit: undefined }));
  });

  it('refuses an unknown block type on every surface', async () => {
    for (const answer of await everywhere([{ type: 'sektion', text: md('typo') }]))
      expect(answer.response_metadata?.messages.join()).toContain('unsupported type: sektion');
  });

  it('refuses an unknown element type', async () => {
    const answer = await message([actions({ type: 'buton', action_id: 'typo', text: plain('Go') })]);
    expectRefused(
      answer,
      'invalid_blocks',
      'unsupported type: buton [json-pointer:/blocks/0/elements/0/type]',
    );
  });

  it('keeps message-only blocks (markdown, table, context_actions) out of modals and Home tabs', async () => {
    const markdown = { type: 'markdown', text: '**bold**' };
    expectAccepted(await message([markdown]));
    for (const block of [markdown, { type: 'table', rows: [] }, { type: 'context_actions', elements: [] }]) {
      expectRefused(
        await modal([block]),
        'invalid_arguments',
        `unsupported surface for ${block.type} block [json-pointer:/view/blocks/0]`,
      );
      expectRefused(
        await home([block]),
        'invalid_arguments',
        `unsupported surface for ${block.type} block [json-pointer:/view/blocks/0]`,
      );
    }
  });

  it('keeps the alert block in modals, and the file block off every surface', async () => {
    const alert = { type: 'alert', text: plain('Careful') };
    expectAccepted(await modal([alert]));
    expectRefused(
      await message([alert]),
      'invalid_blocks',
      'unsupported surface for alert block [json-pointer:/blocks/0]',
    );
    expectRefused(
      await home([alert]),
      'invalid_arguments',
      'unsupported surface for alert block [json-pointer:/view/blocks/0]',
    );
    const file = { type: 'file', source: 'remote', external_id: 'F1' };
    for (const answer of await everywhere([file]))
      expect(answer.response_metadata?.messages.join()).toContain('unsupported surface for file block');
  });

  it('keeps elements to the surfaces they are available in', async () => {
    for (const type of ['email_text_input', 'url_text_input', 'number_input', 'file_input']) {
      const element = {
        type,
        action_id: 'x',
        ...(type === 'number_input' ? { is_decimal_allowed: false } : {}),
      };
      expectAccepted(await modal([input(element)]));
      expectRefused(
        await home([input(element)]),
        'invalid_arguments',
        `unsupported surface for ${type} element [json-pointer:/view/blocks/0/element]`,
      );
    }
    const richText = { type: 'rich_text_input', action_id: 'x' };
    expectAccepted(await modal([input(richText)]));
    expectAccepted(await home([input(richText)]));
    const dateTime = { type: 'datetimepicker', action_id: 'when' };
    expectAccepted(await message([actions(dateTime)]));
    expectAccepted(await modal([actions(dateTime)]));
    expectRefused(
      await home([actions(dateTime)]),
      'invalid_arguments',
      'unsupported surface for datetimepicker element [json-pointer:/view/blocks/0/elements/0]',
    );
    const workflow = { type: 'workflow_button', text: plain('Run'), workflow: {} };
    expectAccepted(await message([actions(workflow)]));
    expectRefused(
      await modal([actions(workflow)]),
      'invalid_arguments',
      'unsupported surface for workflow_button element [json-pointer:/view/blocks/0/elements/0]',
    );
  });

  it('puts each element only in the blocks it works with', async () => {
    const image = { type: 'image', image_url: 'https://example.com/a.png', alt_text: 'a' };
    expectAccepted(
      await message([
        { type: 'context', elements: [image, md('caption')] },
        { ...section(), accessory: image },
      ]),
    );
    expectRefused(
      await message([actions(image)]),
      'invalid_blocks',
      'unsupported type in actions block: image [json-pointer:/blocks/0/elements/0/type]',
    );
    expectRefused(
      await modal([input(button())]),
      'invalid_arguments',
      'unsupported type in input block: button [json-pointer:/view/blocks/0/element/type]',
    );
    const overflow = { type: 'overflow', action_id: 'more', options: [option('a')] };
    expectAccepted(await message([actions(overflow)]));
    expectRefused(
      await modal([input(overflow)]),
      'invalid_arguments',
      'unsupported type in input block: overflow [json-pointer:/view/blocks/0/element/type]',
    );
    const users = { type: 'users_select', action_id: 'who', placeholder: plain('Pick') };
    for (const answer of await everywhere([actions(users), { ...section(), accessory: users }]))
      expectAccepted(answer);
    expectRefused(
      await message([{ type: 'context', elements: [users] }]),
      'invalid_blocks',
      'unsupported type in context block: users_select [json-pointer:/blocks/0/elements/0/type]',
    );
  });

  it('holds 50 blocks in a message and 100 in a modal or a Home tab', async () => {
    const blocks = (n: number) => Array.from({ length: n }, () => ({ type: 'divider' }));
    expectAccepted(await message(blocks(50)));
    expectRefused(
      await message(blocks(51)),
      'invalid_blocks',
      'must have no more than 50 items [json-pointer:/blocks]',
    );
    expectAccepted(await modal(blocks(100)));
    expectRefused(
      await modal(blocks(101)),
      'invalid_arguments',
      'must have no more than 100 items [json-pointer:/view/blocks]',
    );
    expectAccepted(await home(blocks(100)));
    expectRefused(
      await home(blocks(101)),
      'invalid_arguments',
      'must have no more than 100 items [json-pointer:/view/blocks]',
    );
  });

  it('wants block ids unique and at most 255 characters, action ids unique within their block and at most 255', async () => {
    expectRefused(
      await message([
        { ...section(), block_id: 'same' },
        { ...section(), block_id: 'same' },
      ]),
      'invalid_blocks',
      'duplicate block_id "same" [json-pointer:/blocks/1/block_id]',
    );
    expectRefused(
      await message([{ ...section(), block_id: 'b'.repeat(256) }]),
      'invalid_blocks',
      'must be less than 256 characters [json-pointer:/blocks/0/block_id]',
    );
    expectRefused(
      await message([actions(button('x'), button('x'))]),
      'invalid_blocks',
      'duplicate action_id "x" [json-pointer:/blocks/0/elements/1/action_id]',
    );
    expectAccepted(await message([actions(button('x')), actions(button('x'))]));
    expectRefused(
      await message([actions(button('a'.repeat(256)))]),
      'invalid_blocks',
      'must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]',
    );
  });

  it('checks text objects: plain_text or mrkdwn, never empty, emoji only on plain_text, verbatim only on mrkdwn', async () => {
    expectRefused(
      await message([{ type: 'section', text: { type: 'markdown', text: 'x' } }]),
      'invalid_blocks',
      'unsupported type: markdown [json-pointer:/blocks/0/text/type]',
    );
    expectRefused(
      await message([section('')]),
      'invalid_blocks',
      'must be more than 0 characters [json-pointer:/blocks/0/text/text]',
    );
    expectRefused(
      await message([{ type: 'section', text: { ...md('x'), emoji: true } }]),
      'invalid_blocks',
      'invalid additional property: emoji [json-pointer:/blocks/0/text/emoji]',
    );
    expectRefused(
      await message([{ type: 'section', text: { ...plain('x'), verbatim: true } }]),
      'invalid_blocks',
      'invalid additional property: verbatim [json-pointer:/blocks/0/text/verbatim]',
    );
    expectAccepted(
      await message([
        { type: 'section', text: { ...plain('x'), emoji: true } },
        { type: 'section', text: { ...md('y'), verbatim: true } },
      ]),
    );
  });

  it('holds text to its lengths: section 3000, fields 10 of 2000, header 150, context 10 elements, actions 25, button 75, label 2000', async () => {
    expectAccepted(await message([section('s'.repeat(3000))]));
    expectRefused(
      await message([section('s'.repeat(3001))]),
      'invalid_blocks',
      'must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
    );
    const fields = (n: number, length = 10) => ({
      type: 'section',
      fields: Array.from({ length: n }, () => md('f'.repeat(length))),
    });
    expectRefused(
      await message([fields(11)]),
      'invalid_blocks',
      'must have 1 to 10 items [json-pointer:/blocks/0/fields]',
    );
    expectRefused(
      await message([fields(1, 2001)]),
      'invalid_blocks',
      'must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]',
    );
    expectRefused(
      await message([{ type: 'header', text: plain('h'.repeat(151)) }]),
      'invalid_blocks',
      'must be less than 151 characters [json-pointer:/blocks/0/text/text]',
    );
    expectRefused(
      await message([{ type: 'context', elements: Array.from({ length: 11 }, () => md('c')) }]),
      'invalid_blocks',
      'must have 1 to 10 items [json-pointer:/blocks/0/elements]',
    );
    expectRefused(
      await message([actions(...Array.from({ length: 26 }, (_, i) => button(`b${i}`)))]),
      'invalid_blocks',
      'must have 1 to 25 items [json-pointer:/blocks/0/elements]',
    );
    expectRefused(
      await message([actions({ ...button(), text: plain('b'.repeat(76)) })]),
      'invalid_blocks',
      'must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]',
    );
    expectRefused(
      await message([actions(button('go', { value: 'v'.repeat(2001) }))]),
      'invalid_blocks',
      'must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]',
    );
    expectRefused(
      await modal([{ ...input(textInput()), label: plain('l'.repeat(2001)) }]),
      'invalid_arguments',
      'must be less than 2001 characters [json-pointer:/view/blocks/0/label/text]',
    );
  });

  it('needs text or fields in a section, and alt_text with image_url or slack_file in an image', async () => {
    expectRefused(
      await message([{ type: 'section' }]),
      'invalid_blocks',
      'must define either `text` or `fields` [json-pointer:/blocks/0]',
    );
    expectRefused(
      await message([{ type: 'image', alt_text: 'a' }]),
      'invalid_blocks',
      'must define either `image_url` or `slack_file` [json-pointer:/blocks/0]',
    );
    expectRefused(
      await message([{ type: 'image', image_url: 'https://example.com/a.png' }]),
      'invalid_blocks',
      'must be provided [json-pointer:/blocks/0/alt_text]',
    );
    expectAccepted(await message([{ type: 'image', image_url: 'https://example.com/a.png', alt_text: 'a' }]));
  });

  it('holds a markdown block to 12,000 characters', async () => {
    expectAccepted(await message([{ type: 'markdown', text: 'm'.repeat(12_000) }]));
    expectRefused(
      await message([{ type: 'markdown', text: 'm'.repeat(12_001) }]),
      'invalid_blocks',
      'must be less than 12001 characters [json-pointer:/blocks/0/text]',
    );
  });

  it('checks options: a static select has 1 to 100 options or option groups, not both, and its initial option is one of them; checkboxes and radio buttons 10; an overflow menu 5', async () => {
    const options = (n: number) => Array.from({ length: n }, (_, i) => option(`o${i}`));
    const select = (extra: Block) => input({ type: 'static_select', action_id: 'pick', ...extra });
    expectAccepted(await modal([select({ options: options(100), initial_option: option('o3') })]));
    expectRefused(
      await modal([select({ options: options(101) })]),
      'invalid_arguments',
      'must have 1 to 100 items [json-pointer:/view/blocks/0/element/options]',
    );
    expectRefused(
      await modal([select({ options: options(2), initial_option: option('elsewhere') })]),
      'invalid_arguments',
      'must match one of the options [json-pointer:/view/blocks/0/element/initial_option]',
    );
    expectRefused(
      await modal([
        select({ options: options(1), option_groups: [{ label: plain('g'), options: options(1) }] }),
      ]),
      'invalid_arguments',
      'must define either `options` or `option_groups`, not both [json-pointer:/view/blocks/0/element]',
    );
    expectRefused(
      await modal([select({ options: [{ text: plain('x'), value: 'v'.repeat(76) }] })]),
      'invalid_arguments',
      'must be 1 to 75 characters [json-pointer:/view/blocks/0/element/options/0/value]',
    );
    for (const type of ['checkboxes', 'radio_buttons']) {
      expectAccepted(await modal([input({ type, action_id: 'c', options: options(10) })]));
      expectRefused(
        await modal([input({ type, action_id: 'c', options: options(11) })]),
        'invalid_arguments',
        'must have 1 to 10 items [json-pointer:/view/blocks/0/element/options]',
      );
    }
    // A checkbox ticked at first is one of the checkboxes (the App Home's email choices rely on it).
    const three = options(3);
    expectAccepted(
      await modal([
        input({ type: 'checkboxes', action_id: 'c', options: three, initial_options: three.slice(1) }),
      ]),
    );
    expectRefused(
      await modal([
        input({
          type: 'checkboxes',
          action_id: 'c',
          options: three,
          initial_options: [{ text: plain('other'), value: 'other' }],
        }),
      ]),
      'invalid_arguments',
      'must match one of the options [json-pointer:/view/blocks/0/element/initial_options]',
    );
    expectRefused(
      await message([actions({ type: 'overflow', action_id: 'more', options: options(6) })]),
      'invalid_blocks',
      'must have 1 to 5 items [json-pointer:/blocks/0/elements/0/options]',
    );
  });

  it('takes a static select in an actions block of a message (the card priority select), with the same option rules', async () => {
    // https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element
    const options = (n: number) => Array.from({ length: n }, (_, i) => option(`o${i}`));
    const select = (extra: Block = {}): Block => ({
      type: 'static_select',
      action_id: 'ticket_priority',
      placeholder: plain('Change priority'),
      options: options(4),
      initial_option: option('o2'),
      ...extra,
    });
    expectAccepted(await message([actions(button('ticket_close'), select())]));
    expectRefused(
      await message([actions(select({ options: options(101), initial_option: undefined }))]),
      'invalid_blocks',
      'must have 1 to 100 items [json-pointer:/blocks/0/elements/0/options]',
    );
    expectRefused(
      await message([
        actions(
          select({ options: [{ text: plain('x'.repeat(76)), value: 'x' }], initial_option: undefined }),
        ),
      ]),
      'invalid_blocks',
      'must be less than 76 characters [json-pointer:/blocks/0/elements/0/options/0/text/text]',
    );
    expectRefused(
      await message([
        actions(select({ options: [{ text: md('*x*'), value: 'x' }], initial_option: undefined })),
      ]),
      'invalid_blocks',
      'must be plain_text [json-pointer:/blocks/0/elements/0/options/0/text/type]',
    );
    expectRefused(
      await message([actions(select(), select())]),
      'invalid_blocks',
      'duplicate action_id "ticket_priority" [json-pointer:/blocks/0/elements/1/action_id]',
    );
  });

  it('holds a plain-text input to max_length 1–3000, and its initial value to max_length', async () => {
    expectRefused(
      await modal([input(textInput({ max_length: 3001 }))]),
      'invalid_arguments',
      'must be between 1 and 3000 [json-pointer:/view/blocks/0/element/max_length]',
    );
    expectRefused(
      await modal([input(textInput({ max_length: 3, initial_value: 'four' }))]),
      'invalid_arguments',
      'must be less than 4 characters [json-pointer:/view/blocks/0/element/initial_value]',
    );
    expectRefused(
      await modal([input(textInput({ placeholder: md('not plain') }))]),
      'invalid_arguments',
      'must be plain_text [json-pointer:/view/blocks/0/element/placeholder/type]',
    );
  });

  it('refuses dispatch_action on an input block holding a file input', async () => {
    const file = { type: 'file_input', action_id: 'upload' };
    expectAccepted(await modal([input(file)]));
    expectRefused(
      await modal([input(file, { dispatch_action: true })]),
      'invalid_arguments',
      'unsupported type: file_input [json-pointer:/view/blocks/0/element/type]',
    );
  });

  it('takes a Home tab view in views.publish and a modal in views.open, views.update and views.push', async () => {
    expectRefused(
      await call('views.publish', {
        user_id: 'U0RULES001',
        view: { type: 'modal', title: plain('x'), blocks: [] },
      }),
      'invalid_arguments',
      'must be home [json-pointer:/view/type]',
    );
    for (const method of ['views.open', 'views.update', 'views.push']) {
      expectAccepted(await modal([section()], {}, method));
      expectRefused(
        await call(method, { trigger_id: 't', view_id: 'V1', view: { type: 'home', blocks: [] } }),
        'invalid_arguments',
        'must be modal [json-pointer:/view/type]',
      );
    }
  });

  it('holds a modal to a plain_text title, submit and close of 24 characters, private_metadata of 3000 and callback_id of 255', async () => {
    expectRefused(
      await modal([section()], { title: plain('t'.repeat(25)) }),
      'invalid_arguments',
      'must be less than 25 characters [json-pointer:/view/title/text]',
    );
    expectRefused(
      await modal([section()], { title: undefined }),
      'invalid_arguments',
      'must be a text object [json-pointer:/view/title]',
    );
    expectRefused(
      await modal([section()], { submit: plain('s'.repeat(25)) }),
      'invalid_arguments',
      'must be less than 25 characters [json-pointer:/view/submit/text]',
    );
    expectRefused(
      await modal([section()], { close: md('close') }),
      'invalid_arguments',
      'must be plain_text [json-pointer:/view/close/type]',
    );
    expectRefused(
      await modal([section()], { private_metadata: 'p'.repeat(3001) }),
      'invalid_arguments',
      'must be less than 3001 characters [json-pointer:/view/private_metadata]',
    );
    expectRefused(
      await modal([section()], { callback_id: 'c'.repeat(256) }),
      'invalid_arguments',
      'must be less than 256 characters [json-pointer:/view/callback_id]',
    );
  });
});
