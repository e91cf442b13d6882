// Block Kit as Slack checks it, for the test Slack to refuse what the real one refuses. Each
// function returns the problems found, worded like Slack's own answers ("<what> [json-pointer:<where>]",
// e.g. "must be less than 3001 characters [json-pointer:/blocks/1/text/text]", metabase#74943); none
// means Slack accepts it. The wording is ours; the rules are Slack's, each with its source.
//
// Surfaces: a message (chat.postMessage, chat.update, chat.postEphemeral), a modal (views.open,
// views.update, views.push) and a Home tab (views.publish). Which blocks each takes, from each block's
// reference page under https://docs.slack.dev/reference/block-kit/blocks/ (the "Surfaces" column,
// published as https://docs.slack.dev/blocks.json):
//
// | block           | message | modal | home | page                                                  |
// |-----------------|---------|-------|------|-------------------------------------------------------|
// | actions         | yes     | yes   | yes  | actions-block                                         |
// | context         | yes     | yes   | yes  | context-block                                         |
// | divider         | yes     | yes   | yes  | divider-block                                         |
// | header          | yes     | yes   | yes  | header-block                                          |
// | image           | yes     | yes   | yes  | image-block                                           |
// | rich_text       | yes     | yes   | yes  | rich-text-block                                       |
// | section         | yes     | yes   | yes  | section-block                                         |
// | video           | yes     | yes   | yes  | video-block                                           |
// | input           | NO (1)  | yes   | yes  | input-block                                           |
// | markdown        | yes     | no    | no   | markdown-block                                        |
// | table           | yes     | no    | no   | table-block                                           |
// | context_actions | yes     | no    | no   | context-actions-block                                 |
// | alert           | no      | yes   | no   | alert-block                                           |
// | file            | no (2)  | no    | no   | file-block                                            |
//
// (1) blocks.json lists Messages for the input block, but Slack refuses one posted with
//     chat.postMessage: "unsupported surface for input block [json-pointer:/blocks/1]"
//     (https://github.com/slack-ruby/slack-ruby-client/issues/367, 2021) and `invalid_blocks`
//     (https://github.com/slackapi/python-slack-sdk/issues/1257, 2022). The block's page sends readers
//     to "collecting input in modals or in Home tabs" only. Slack's answer wins.
// (2) "You can't add this block to app surfaces directly": Slack produces it for remote files.
//
// Which elements go in which blocks, and on which surfaces, from each element's page under
// https://docs.slack.dev/reference/block-kit/block-elements/ ("Works with block types" and the
// surfaces it is available in; the same columns as https://api.slack.com/reference/block-kit/block-elements):
//
// | element                                   | blocks                   | surfaces            |
// |-------------------------------------------|--------------------------|---------------------|
// | button                                    | section, actions         | all                 |
// | checkboxes, radio_buttons                 | section, actions, input  | all                 |
// | datepicker, timepicker                    | section, actions, input  | all                 |
// | datetimepicker                            | actions, input           | message, modal      |
// | static/external/users/conversations/      | section, actions, input  | all                 |
// |   channels_select, and their multi_*      |                          |                     |
// | overflow                                  | section, actions         | all                 |
// | image (element)                           | section, context         | all                 |
// | plain_text_input                          | input                    | all (input's own)   |
// | rich_text_input                           | input                    | modal, home         |
// | email_text_input, url_text_input,         | input                    | modal               |
// |   number_input, file_input                |                          |                     |
// | workflow_button                           | section, actions         | message             |
//
// So a plain-text input sits in an input block only, never in an actions block (whose page lists the
// elements it holds, plain_text_input not among them), and reaches the user in a modal or a Home tab.
// A block or element type not in these tables is refused, as Slack refuses an unknown type
// ("unsupported type", https://docs.slack.dev/reference/methods/blocks.validate); add a row, with its
// source, before ticketbot uses one.

type Json = Record<string, unknown>;
export type Surface = 'message' | 'modal' | 'home';

const ALL: readonly Surface[] = ['message', 'modal', 'home'];

const BLOCK_SURFACES: Record<string, readonly Surface[]> = {
  actions: ALL,
  context: ALL,
  divider: ALL,
  header: ALL,
  image: ALL,
  rich_text: ALL,
  section: ALL,
  video: ALL,
  input: ['modal', 'home'],
  markdown: ['message'],
  table: ['message'],
  context_actions: ['message'],
  alert: ['modal'],
  file: [],
};

type Host = 'section' | 'actions' | 'input' | 'context';
const SELECT_HOSTS: readonly Host[] = ['section', 'actions', 'input'];
const SELECTS = ['static', 'external', 'users', 'conversations', 'channels'].flatMap((kind) => [
  `${kind}_select`,
  `multi_${kind}_select`,
]);

const ELEMENTS: Record<string, { hosts: readonly Host[]; surfaces: readonly Surface[] }> = {
  button: { hosts: ['section', 'actions'], surfaces: ALL },
  checkboxes: { hosts: SELECT_HOSTS, surfaces: ALL },
  radio_buttons: { hosts: SELECT_HOSTS, surfaces: ALL },
  datepicker: { hosts: SELECT_HOSTS, surfaces: ALL },
  timepicker: { hosts: SELECT_HOSTS, surfaces: ALL },
  datetimepicker: { hosts: ['actions', 'input'], surfaces: ['message', 'modal'] },
  ...Object.fromEntries(SELECTS.map((type) => [type, { hosts: SELECT_HOSTS, surfaces: ALL }])),
  overflow: { hosts: ['section', 'actions'], surfaces: ALL },
  image: { hosts: ['section', 'context'], surfaces: ALL },
  plain_text_input: { hosts: ['input'], surfaces: ALL },
  rich_text_input: { hosts: ['input'], surfaces: ['modal', 'home'] },
  email_text_input: { hosts: ['input'], surfaces: ['modal'] },
  url_text_input: { hosts: ['input'], surfaces: ['modal'] },
  number_input: { hosts: ['input'], surfaces: ['modal'] },
  file_input: { hosts: ['input'], surfaces: ['modal'] },
  workflow_button: { hosts: ['section', 'actions'], surfaces: ['message'] },
};

// Blocks per surface: "up to 50 blocks in each message, and 100 blocks in modals or Home tabs"
// (https://docs.slack.dev/block-kit).
const MAX_BLOCKS: Record<Surface, number> = { message: 50, modal: 100, home: 100 };

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

class Problems {
  readonly found: string[] = [];
  add(pointer: string, what: string): void {
    this.found.push(`${what} [json-pointer:${pointer}]`);
  }
}

/** The blocks of a message or view on `surface`; `base` is their JSON pointer (a view's are under /view). */
export function validateBlocks(blocks: unknown, surface: Surface, base = '/blocks'): string[] {
  const problems = new Problems();
  checkBlocks(blocks, surface, base, problems);
  return problems.found;
}

function checkBlocks(blocks: unknown, surface: Surface, base: string, problems: Problems): void {
  if (!Array.isArray(blocks)) return void problems.add(base, 'must be an array');
  if (blocks.length > MAX_BLOCKS[surface])
    problems.add(base, `must have no more than ${MAX_BLOCKS[surface]} items`);
  const blockIds = new Set<string>();
  for (const [index, block] of blocks.entries()) {
    const at = `${base}/${index}`;
    if (!isObject(block)) {
      problems.add(at, 'must be an object');
      continue;
    }
    // block_id: 255 characters, unique per message or view (each block's page, e.g.
    // https://docs.slack.dev/reference/block-kit/blocks/actions-block).
    if (block.block_id !== undefined) {
      const id = String(block.block_id);
      if (id.length > 255) problems.add(`${at}/block_id`, 'must be less than 256 characters');
      if (blockIds.has(id)) problems.add(`${at}/block_id`, `duplicate block_id "${id}"`);
      blockIds.add(id);
    }
    const type = String(block.type);
    const surfaces = BLOCK_SURFACES[type];
    if (!surfaces) {
      problems.add(`${at}/type`, `unsupported type: ${type}`);
      continue;
    }
    if (!surfaces.includes(surface)) {
      problems.add(at, `unsupported surface for ${type} block`);
      continue;
    }
    checkBlock(block, type, at, surface, problems);
  }
}

function checkBlock(block: Json, type: string, at: string, surface: Surface, problems: Problems): void {
  switch (type) {
    // https://docs.slack.dev/reference/block-kit/blocks/section-block: text 1–3000 characters, or
    // fields (at most 10, each at most 2000); one of the two is required.
    case 'section':
      if (block.text === undefined && block.fields === undefined)
        problems.add(at, 'must define either `text` or `fields`');
      if (block.text !== undefined) text(block.text, `${at}/text`, 3000, problems);
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields) || block.fields.length === 0 || block.fields.length > 10)
          problems.add(`${at}/fields`, 'must have 1 to 10 items');
        else
          for (const [i, field] of block.fields.entries()) text(field, `${at}/fields/${i}`, 2000, problems);
      }
      if (block.accessory !== undefined)
        element(block.accessory, 'section', `${at}/accessory`, surface, problems);
      return;
    // https://docs.slack.dev/reference/block-kit/blocks/header-block: plain_text only, 150 characters.
    case 'header':
      return void text(block.text, `${at}/text`, 150, problems, 'plain_text');
    // https://docs.slack.dev/reference/block-kit/blocks/context-block: 1 to 10 elements, each an
    // image element or a text object.
    case 'context': {
      if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10)
        return void problems.add(`${at}/elements`, 'must have 1 to 10 items');
      for (const [i, item] of block.elements.entries()) {
        const where = `${at}/elements/${i}`;
        if (isObject(item) && (item.type === 'plain_text' || item.type === 'mrkdwn'))
          text(item, where, 3000, problems);
        else element(item, 'context', where, surface, problems);
      }
      return;
    }
    // https://docs.slack.dev/reference/block-kit/blocks/actions-block: 1 to 25 interactive
    // elements; an action_id is unique within its block.
    case 'actions': {
      if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 25)
        return void problems.add(`${at}/elements`, 'must have 1 to 25 items');
      const actionIds = new Set<string>();
      block.elements.forEach((item, i) => {
        element(item, 'actions', `${at}/elements/${i}`, surface, problems);
        const id = isObject(item) && item.action_id !== undefined ? String(item.action_id) : '';
        if (id && actionIds.has(id))
          problems.add(`${at}/elements/${i}/action_id`, `duplicate action_id "${id}"`);
        actionIds.add(id);
      });
      return;
    }
    // https://docs.slack.dev/reference/block-kit/blocks/input-block: label and hint plain_text,
    // 2000 characters; one element; dispatch_action is "incompatible with the file_input block
    // element", which then raises "an unsupported type error".
    case 'input':
      text(block.label, `${at}/label`, 2000, problems, 'plain_text');
      if (block.hint !== undefined) text(block.hint, `${at}/hint`, 2000, problems, 'plain_text');
      if (block.dispatch_action !== undefined && typeof block.dispatch_action !== 'boolean')
        problems.add(`${at}/dispatch_action`, 'must be a boolean');
      if (block.dispatch_action === true && isObject(block.element) && block.element.type === 'file_input')
        problems.add(`${at}/element/type`, 'unsupported type: file_input');
      return void element(block.element, 'input', `${at}/element`, surface, problems);
    // https://docs.slack.dev/reference/block-kit/blocks/image-block: alt_text (2000 characters) and
    // either image_url (3000 characters) or slack_file.
    case 'image':
      if (block.image_url === undefined && block.slack_file === undefined)
        problems.add(at, 'must define either `image_url` or `slack_file`');
      if (block.image_url !== undefined && String(block.image_url).length > 3000)
        problems.add(`${at}/image_url`, 'must be less than 3001 characters');
      if (typeof block.alt_text !== 'string' || block.alt_text.length === 0)
        problems.add(`${at}/alt_text`, 'must be provided');
      else if (block.alt_text.length > 2000)
        problems.add(`${at}/alt_text`, 'must be less than 2001 characters');
      if (block.title !== undefined) text(block.title, `${at}/title`, 2000, problems, 'plain_text');
      return;
    // https://docs.slack.dev/reference/block-kit/blocks/markdown-block: standard markdown, 12,000
    // characters at most.
    case 'markdown':
      if (typeof block.text !== 'string' || block.text.length === 0)
        problems.add(`${at}/text`, 'must be provided');
      else if (block.text.length > 12_000) problems.add(`${at}/text`, 'must be less than 12001 characters');
      return;
    // https://docs.slack.dev/reference/block-kit/blocks/rich-text-block: an array of rich text
    // sections, lists, quotes or preformatted elements.
    case 'rich_text':
      if (!Array.isArray(block.elements)) problems.add(`${at}/elements`, 'must be an array');
      return;
    default:
      return;
  }
}

/**
 * A text object (https://docs.slack.dev/reference/block-kit/composition-objects/text-object):
 * `plain_text` or `mrkdwn`, 1 to `max` characters; `emoji` "is only usable when type is
 * plain_text", `verbatim` "only usable when type is mrkdwn".
 */
function text(value: unknown, at: string, max: number, problems: Problems, only?: 'plain_text'): void {
  if (!isObject(value)) return void problems.add(at, 'must be a text object');
  if (value.type !== 'plain_text' && value.type !== 'mrkdwn')
    problems.add(`${at}/type`, `unsupported type: ${String(value.type)}`);
  else if (only && value.type !== only) problems.add(`${at}/type`, `must be ${only}`);
  if (value.emoji !== undefined && value.type !== 'plain_text')
    problems.add(`${at}/emoji`, 'invalid additional property: emoji');
  if (value.verbatim !== undefined && value.type !== 'mrkdwn')
    problems.add(`${at}/verbatim`, 'invalid additional property: verbatim');
  const content = value.text;
  if (typeof content !== 'string' || content.length === 0)
    problems.add(`${at}/text`, 'must be more than 0 characters');
  else if (content.length > max) problems.add(`${at}/text`, `must be less than ${max + 1} characters`);
}

function element(value: unknown, host: Host, at: string, surface: Surface, problems: Problems): void {
  if (!isObject(value)) return void problems.add(at, 'must be an element');
  const type = String(value.type);
  const rule = ELEMENTS[type];
  if (!rule) return void problems.add(`${at}/type`, `unsupported type: ${type}`);
  if (!rule.hosts.includes(host))
    return void problems.add(`${at}/type`, `unsupported type in ${host} block: ${type}`);
  if (!rule.surfaces.includes(surface))
    return void problems.add(at, `unsupported surface for ${type} element`);
  // action_id: 255 characters (each interactive element's page).
  if (value.action_id !== undefined && String(value.action_id).length > 255)
    problems.add(`${at}/action_id`, 'must be less than 256 characters');
  // placeholder: plain_text, 150 characters (the select, input and picker pages).
  if (value.placeholder !== undefined)
    text(value.placeholder, `${at}/placeholder`, 150, problems, 'plain_text');
  switch (type) {
    // https://docs.slack.dev/reference/block-kit/block-elements/button-element: text plain_text
    // (75 characters), value 2000, url 3000.
    case 'button':
      text(value.text, `${at}/text`, 75, problems, 'plain_text');
      if (value.value !== undefined && String(value.value).length > 2000)
        problems.add(`${at}/value`, 'must be less than 2001 characters');
      if (value.url !== undefined && String(value.url).length > 3000)
        problems.add(`${at}/url`, 'must be less than 3001 characters');
      return;
    // https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element and
    // multi-select-menu-element: `options` (at most 100) or `option_groups`, not both; an
    // initial option is one of the options.
    case 'static_select':
    case 'multi_static_select': {
      if (value.options !== undefined && value.option_groups !== undefined)
        return void problems.add(at, 'must define either `options` or `option_groups`, not both');
      if (value.option_groups !== undefined) {
        if (
          !Array.isArray(value.option_groups) ||
          value.option_groups.length === 0 ||
          value.option_groups.length > 100
        )
          problems.add(`${at}/option_groups`, 'must have 1 to 100 items');
        return;
      }
      const values = options(value.options, `${at}/options`, 100, problems);
      const initial = type === 'static_select' ? [value.initial_option] : (value.initial_options ?? []);
      if (Array.isArray(initial))
        for (const chosen of initial)
          if (isObject(chosen) && !values.includes(String(chosen.value)))
            problems.add(`${at}/initial_option`, 'must match one of the options');
      return;
    }
    // https://docs.slack.dev/reference/block-kit/block-elements/checkboxes-element and
    // radio-button-group-element: "A maximum of 10 options are allowed."
    // Their initial options "exactly match one or more of the options" (checkboxes-element page).
    case 'checkboxes':
    case 'radio_buttons': {
      const values = options(value.options, `${at}/options`, 10, problems, true);
      const initial = type === 'radio_buttons' ? [value.initial_option] : (value.initial_options ?? []);
      if (Array.isArray(initial))
        for (const chosen of initial)
          if (isObject(chosen) && !values.includes(String(chosen.value)))
            problems.add(`${at}/initial_options`, 'must match one of the options');
      return;
    }
    // https://docs.slack.dev/reference/block-kit/block-elements/overflow-menu-element: "An array
    // of up to five option objects".
    case 'overflow':
      options(value.options, `${at}/options`, 5, problems);
      return;
    // https://docs.slack.dev/reference/block-kit/block-elements/plain-text-input-element:
    // min_length 0–3000, max_length 1–3000.
    case 'plain_text_input': {
      const maxLength = value.max_length === undefined ? 3000 : Number(value.max_length);
      if (!(maxLength >= 1 && maxLength <= 3000))
        problems.add(`${at}/max_length`, 'must be between 1 and 3000');
      if (
        value.min_length !== undefined &&
        !(Number(value.min_length) >= 0 && Number(value.min_length) <= 3000)
      )
        problems.add(`${at}/min_length`, 'must be between 0 and 3000');
      if (typeof value.initial_value === 'string' && value.initial_value.length > maxLength)
        problems.add(`${at}/initial_value`, `must be less than ${maxLength + 1} characters`);
      return;
    }
    // https://docs.slack.dev/reference/block-kit/block-elements/image-element: alt_text, and
    // image_url or slack_file.
    case 'image':
      if (value.image_url === undefined && value.slack_file === undefined)
        problems.add(at, 'must define either `image_url` or `slack_file`');
      if (typeof value.alt_text !== 'string' || value.alt_text.length === 0)
        problems.add(`${at}/alt_text`, 'must be provided');
      return;
    default:
      return;
  }
}

/**
 * Option objects (https://docs.slack.dev/reference/block-kit/composition-objects/option-object):
 * text 75 characters (plain_text, or mrkdwn in checkboxes and radio buttons), value 1–75
 * characters in @slack/types (kept at 75, the stricter figure). Returns their values.
 */
function options(
  list: unknown,
  at: string,
  max: number,
  problems: Problems,
  mrkdwnAllowed = false,
): string[] {
  if (!Array.isArray(list) || list.length === 0 || list.length > max) {
    problems.add(at, `must have 1 to ${max} items`);
    return [];
  }
  return list.map((option, i) => {
    if (!isObject(option)) {
      problems.add(`${at}/${i}`, 'must be an option object');
      return '';
    }
    text(option.text, `${at}/${i}/text`, 75, problems, mrkdwnAllowed ? undefined : 'plain_text');
    // `description`: "A plain_text text object … Maximum length for the text in this field is 75
    // characters" (the option object reference above).
    if (option.description !== undefined)
      text(option.description, `${at}/${i}/description`, 75, problems, 'plain_text');
    const optionValue = String(option.value ?? '');
    if (optionValue.length === 0 || optionValue.length > 75)
      problems.add(`${at}/${i}/value`, 'must be 1 to 75 characters');
    return optionValue;
  });
}

/**
 * A view. "Modal view objects are used within" views.open, views.update and views.push
 * (https://docs.slack.dev/reference/views/modal-views), Home tab views within views.publish
 * (https://docs.slack.dev/reference/views/home-tab-views). A modal's title is plain_text of 24
 * characters at most, so are close and submit, and "submit is required when an input block is
 * within the blocks array"; private_metadata 3000 characters, callback_id 255.
 */
export function validateView(view: unknown, expected?: 'modal' | 'home'): string[] {
  const problems = new Problems();
  if (!isObject(view)) {
    problems.add('/view', 'must be an object');
    return problems.found;
  }
  if (view.type !== 'modal' && view.type !== 'home')
    problems.add('/view/type', `unsupported type: ${String(view.type)}`);
  else if (expected && view.type !== expected) problems.add('/view/type', `must be ${expected}`);
  const surface: Surface = view.type === 'home' ? 'home' : 'modal';
  if (surface === 'modal') {
    text(view.title, '/view/title', 24, problems, 'plain_text');
    if (view.submit !== undefined) text(view.submit, '/view/submit', 24, problems, 'plain_text');
    if (view.close !== undefined) text(view.close, '/view/close', 24, problems, 'plain_text');
    const hasInput =
      Array.isArray(view.blocks) && view.blocks.some((block) => isObject(block) && block.type === 'input');
    if (hasInput && view.submit === undefined)
      problems.add('/view/submit', 'must be provided when the view has input blocks');
  }
  if (view.private_metadata !== undefined && String(view.private_metadata).length > 3000)
    problems.add('/view/private_metadata', 'must be less than 3001 characters');
  if (view.callback_id !== undefined && String(view.callback_id).length > 255)
    problems.add('/view/callback_id', 'must be less than 256 characters');
  checkBlocks(view.blocks, surface, '/view/blocks', problems);
  return problems.found;
}
