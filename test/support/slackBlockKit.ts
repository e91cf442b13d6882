// Block Kit's limits as Slack enforces them (https://docs.slack.dev/reference/block-kit/blocks and its element pages), for the test
// Slack to reject what the real one would. Returns the problems found; none means Slack accepts it.

type Json = Record<string, unknown>;
type Surface = 'message' | 'modal' | 'home';

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function validateBlocks(blocks: unknown, surface: Surface): string[] {
  const problems: string[] = [];
  if (!Array.isArray(blocks)) return ['blocks must be an array'];
  const max = surface === 'message' ? 50 : 100;
  if (blocks.length > max) problems.push(`${blocks.length} blocks, more than ${max}`);
  const blockIds = new Set<string>();
  for (const [index, block] of blocks.entries()) {
    const at = `blocks[${index}]`;
    if (!isObject(block)) {
      problems.push(`${at} is not an object`);
      continue;
    }
    if (block.block_id !== undefined) {
      const id = String(block.block_id);
      if (id.length > 255) problems.push(`${at}.block_id longer than 255`);
      if (blockIds.has(id)) problems.push(`${at}.block_id "${id}" repeated`);
      blockIds.add(id);
    }
    switch (block.type) {
      case 'section':
        if (block.text === undefined && block.fields === undefined)
          problems.push(`${at} has neither text nor fields`);
        if (block.text !== undefined) text(block.text, `${at}.text`, 3000, problems);
        if (block.fields !== undefined) {
          if (!Array.isArray(block.fields) || block.fields.length > 10)
            problems.push(`${at}.fields: at most 10`);
          else
            for (const [i, field] of block.fields.entries())
              text(field, `${at}.fields[${i}]`, 2000, problems);
        }
        if (block.accessory !== undefined) element(block.accessory, `${at}.accessory`, problems);
        break;
      case 'header':
        text(block.text, `${at}.text`, 150, problems, 'plain_text');
        break;
      case 'context':
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10) {
          problems.push(`${at}.elements: 1 to 10`);
        } else
          for (const [i, item] of block.elements.entries())
            text(item, `${at}.elements[${i}]`, 3000, problems);
        break;
      case 'actions': {
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 25) {
          problems.push(`${at}.elements: 1 to 25`);
          break;
        }
        const actionIds = new Set<string>();
        block.elements.forEach((item, i) => {
          element(item, `${at}.elements[${i}]`, problems);
          const id = isObject(item) ? String(item.action_id ?? '') : '';
          if (id && actionIds.has(id)) problems.push(`${at}: action_id "${id}" repeated`);
          actionIds.add(id);
        });
        break;
      }
      case 'input':
        text(block.label, `${at}.label`, 2000, problems, 'plain_text');
        if (block.hint !== undefined) text(block.hint, `${at}.hint`, 2000, problems, 'plain_text');
        element(block.element, `${at}.element`, problems);
        break;
      case 'divider':
        break;
      default:
        problems.push(`${at}: unsupported block type ${String(block.type)}`);
    }
  }
  return problems;
}

function text(value: unknown, at: string, max: number, problems: string[], only?: 'plain_text'): void {
  if (!isObject(value)) return void problems.push(`${at} is not a text object`);
  if (value.type !== 'plain_text' && value.type !== 'mrkdwn')
    problems.push(`${at}.type must be plain_text or mrkdwn`);
  if (only && value.type !== only) problems.push(`${at} must be ${only}`);
  const content = value.text;
  if (typeof content !== 'string' || content.length === 0) problems.push(`${at}.text is empty`);
  else if (content.length > max)
    problems.push(`${at}.text is ${content.length} characters, more than ${max}`);
}

function element(value: unknown, at: string, problems: string[]): void {
  if (!isObject(value)) return void problems.push(`${at} is not an element`);
  if (value.action_id !== undefined && String(value.action_id).length > 255)
    problems.push(`${at}.action_id longer than 255`);
  if (value.placeholder !== undefined)
    text(value.placeholder, `${at}.placeholder`, 150, problems, 'plain_text');
  switch (value.type) {
    case 'button':
      text(value.text, `${at}.text`, 75, problems, 'plain_text');
      if (value.value !== undefined && String(value.value).length > 2000)
        problems.push(`${at}.value longer than 2000`);
      if (value.url !== undefined && String(value.url).length > 3000)
        problems.push(`${at}.url longer than 3000`);
      break;
    case 'static_select': {
      const options = value.options;
      if (!Array.isArray(options) || options.length === 0 || options.length > 100) {
        problems.push(`${at}.options: 1 to 100`);
        break;
      }
      const values = options.map((option, i) => {
        if (!isObject(option)) {
          problems.push(`${at}.options[${i}] is not an option`);
          return '';
        }
        text(option.text, `${at}.options[${i}].text`, 75, problems, 'plain_text');
        const optionValue = String(option.value ?? '');
        if (optionValue.length === 0 || optionValue.length > 75)
          problems.push(`${at}.options[${i}].value: 1 to 75 characters`);
        return optionValue;
      });
      if (isObject(value.initial_option) && !values.includes(String(value.initial_option.value))) {
        problems.push(`${at}.initial_option is not one of the options`);
      }
      break;
    }
    case 'users_select':
      break;
    case 'plain_text_input': {
      const maxLength = value.max_length === undefined ? 3000 : Number(value.max_length);
      if (maxLength < 1 || maxLength > 3000) problems.push(`${at}.max_length: 1 to 3000`);
      if (typeof value.initial_value === 'string' && value.initial_value.length > maxLength) {
        problems.push(`${at}.initial_value longer than max_length`);
      }
      break;
    }
    default:
      problems.push(`${at}: unsupported element type ${String(value.type)}`);
  }
}

export function validateView(view: unknown): string[] {
  if (!isObject(view)) return ['view is not an object'];
  const problems: string[] = [];
  const surface: Surface = view.type === 'home' ? 'home' : 'modal';
  if (view.type !== 'modal' && view.type !== 'home') problems.push('view.type must be modal or home');
  if (surface === 'modal') {
    text(view.title, 'view.title', 24, problems, 'plain_text');
    if (view.submit !== undefined) text(view.submit, 'view.submit', 24, problems, 'plain_text');
    if (view.close !== undefined) text(view.close, 'view.close', 24, problems, 'plain_text');
    const hasInput =
      Array.isArray(view.blocks) && view.blocks.some((block) => isObject(block) && block.type === 'input');
    if (hasInput && view.submit === undefined) problems.push('view.submit is required with input blocks');
  }
  if (view.private_metadata !== undefined && String(view.private_metadata).length > 3000)
    problems.push('private_metadata longer than 3000');
  if (view.callback_id !== undefined && String(view.callback_id).length > 255)
    problems.push('callback_id longer than 255');
  problems.push(...validateBlocks(view.blocks, surface));
  return problems;
}
