import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type MessageFormatElement, parse, TYPE } from '@formatjs/icu-messageformat-parser';
import { IntlMessageFormat } from 'intl-messageformat';
import { LANGUAGE_CODE } from './languages.js';
import { type Placeholders, placeholdersOf } from './placeholders.js';

// The files of a locales folder: locales/<language>/<file>.json, each a flat JSON object of
// "key": "ICU message". Reading them reports problems (stop start-up) and warnings (logged) that
// name the file, the way the email templates do.

/** The files of a language folder: texts shared by every surface, then one file per surface. */
export const TEXT_FILES = ['common', 'slack', 'page', 'emails'] as const;
export type TextFile = (typeof TEXT_FILES)[number];
export type Surface = Exclude<TextFile, 'common'>;

/** The catalogue key that says which locale's conventions dates follow (not a sentence). */
export const DATE_LOCALE_KEY = 'dates.locale';

/**
 * Tags stay literal: Slack's mrkdwn writes links as <url|label>, and a message is never markup
 * to expand (the page and the emails escape what they show; Slack gets mrkdwn as written).
 */
const PARSE_OPTIONS = { ignoreTag: true, requiresOtherClause: true, shouldParseSkeletons: true } as const;

export interface Message {
  key: string;
  /** The language the text is written in (an English fallback keeps English plural rules). */
  language: string;
  /** The file it came from, for problems and warnings. */
  source: string;
  text: string;
  ast: MessageFormatElement[];
  placeholders: Placeholders;
}

export type FileTexts = Map<string, Message>;
export type LanguageTexts = Map<TextFile, FileTexts>;

/** Parses one message; a syntax error is a problem naming the file and the key. */
export function parseMessage(
  key: string,
  text: string,
  language: string,
  source: string,
  problems: string[],
): Message | undefined {
  try {
    const ast = parse(text, PARSE_OPTIONS);
    return { key, language, source, text, ast, placeholders: placeholdersOf(ast) };
  } catch (error) {
    problems.push(`${source}: "${key}" is not a valid ICU message (${(error as Error).message})`);
    return undefined;
  }
}

/** {"key": "message", …} → messages; anything else is a problem naming the file. */
export function readTextFile(path: string, language: string, problems: string[]): FileTexts | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    problems.push(`${path}: ${(error as Error).message}`);
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(`${path}: must be a JSON object of "key": "text"`);
    return undefined;
  }
  const texts: FileTexts = new Map();
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') {
      problems.push(`${path}: "${key}" must be a string`);
      continue;
    }
    const message = parseMessage(key, value, language, path, problems);
    if (message) texts.set(key, message);
  }
  return texts;
}

/** Each language folder of a locales folder, with the text files it holds. */
export function readLocalesFolder(
  root: string,
  problems: string[],
  warnings: string[],
): Map<string, LanguageTexts> {
  const languages = new Map<string, LanguageTexts>();
  for (const name of readdirSync(root).sort()) {
    const folder = join(root, name);
    if (name.startsWith('.') || !statSync(folder).isDirectory()) continue;
    if (!LANGUAGE_CODE.test(name)) {
      problems.push(`${folder}: a language folder is named by its language code in lower case (de, pt, …)`);
      continue;
    }
    const texts: LanguageTexts = new Map();
    for (const file of TEXT_FILES) {
      const path = join(folder, `${file}.json`);
      if (!existsSync(path)) continue;
      const read = readTextFile(path, name, problems);
      if (read) texts.set(file, read);
    }
    for (const other of readdirSync(folder)) {
      if (other.startsWith('.') || TEXT_FILES.some((file) => other === `${file}.json`)) continue;
      warnings.push(
        `${join(folder, other)}: not a text file ticketbot reads (${TEXT_FILES.map((f) => `${f}.json`).join(', ')}); ignored`,
      );
    }
    languages.set(name, texts);
  }
  return languages;
}

/** Formats a message; values missing from `values` make it throw (a bug the tests catch). */
export function formatter(message: Message): (values?: Record<string, unknown>) => string {
  const only = message.ast.length === 1 ? message.ast[0] : undefined;
  if (message.ast.length === 0) return () => '';
  if (only?.type === TYPE.literal) {
    const text = only.value;
    return () => text;
  }
  const compiled = new IntlMessageFormat(message.ast, message.language, undefined, PARSE_OPTIONS);
  return (values) => {
    const out = compiled.format(values as Record<string, string | number>);
    return Array.isArray(out) ? out.join('') : String(out);
  };
}
