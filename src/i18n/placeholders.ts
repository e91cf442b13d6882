import { type MessageFormatElement, TYPE } from '@formatjs/icu-messageformat-parser';

// What a message expects from the code that formats it: each argument's name and kind. Every
// language must expect the same, or a sentence would come out with a hole (or throw) in one
// language only.

export type PlaceholderKind = 'argument' | 'number' | 'date' | 'time' | 'select' | 'plural' | 'selectordinal';

/** name → kinds it is used as (`{count}` and `{count, plural, …}` in one message are two). */
export type Placeholders = Map<string, Set<PlaceholderKind>>;

export function placeholdersOf(
  elements: MessageFormatElement[],
  found: Placeholders = new Map(),
): Placeholders {
  const add = (name: string, kind: PlaceholderKind) => {
    const kinds = found.get(name) ?? new Set<PlaceholderKind>();
    kinds.add(kind);
    found.set(name, kinds);
  };
  for (const element of elements) {
    switch (element.type) {
      case TYPE.argument:
        add(element.value, 'argument');
        break;
      case TYPE.number:
        add(element.value, 'number');
        break;
      case TYPE.date:
        add(element.value, 'date');
        break;
      case TYPE.time:
        add(element.value, 'time');
        break;
      case TYPE.select:
        add(element.value, 'select');
        for (const option of Object.values(element.options)) placeholdersOf(option.value, found);
        break;
      case TYPE.plural:
        add(element.value, element.pluralType === 'ordinal' ? 'selectordinal' : 'plural');
        for (const option of Object.values(element.options)) placeholdersOf(option.value, found);
        break;
      case TYPE.tag:
        placeholdersOf(element.children, found);
        break;
      default:
        break;
    }
  }
  return found;
}

/** `{id}, {count, plural}`: how a problem names a message's placeholders. */
export function describePlaceholders(placeholders: Placeholders): string {
  if (placeholders.size === 0) return 'none';
  return [...placeholders.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, kinds]) =>
      [...kinds]
        .sort()
        .map((kind) => (kind === 'argument' ? `{${name}}` : `{${name}, ${kind}}`))
        .join(', '),
    )
    .join(', ');
}

export function samePlaceholders(a: Placeholders, b: Placeholders): boolean {
  return describePlaceholders(a) === describePlaceholders(b);
}
