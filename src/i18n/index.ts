import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DATE_LOCALE_KEY,
  type FileTexts,
  formatter,
  type LanguageTexts,
  type Message,
  readLocalesFolder,
  readTextFile,
  type Surface,
  TEXT_FILES,
  type TextFile,
} from './catalogue.js';
import { DEFAULT_LANGUAGE, matchAcceptLanguage, matchLanguage } from './languages.js';
import { describePlaceholders, samePlaceholders } from './placeholders.js';

// Every text ticketbot shows, in Slack, on the status page and in the emails, comes from one
// catalogue per language: locales/<language>/*.json, ICU MessageFormat read by FormatJS
// (plurals by Intl.PluralRules, numbers by Intl.NumberFormat). A language is a folder; LOCALES_DIR
// adds folders and overrides texts key by key. Loaded and checked once, at start-up.

export type { Surface } from './catalogue.js';
export { DEFAULT_LANGUAGE } from './languages.js';

/** A language code: the name of its folder in locales/ (`en`, `fr`, `de`). */
export type Language = string;

type CommonKey = keyof typeof import('../../locales/en/common.json', { with: { type: 'json' }});
/** The keys Slack's texts may use: slack.json's and common.json's, in English (all languages have them). */
export type SlackKey =
  | CommonKey
  | keyof typeof import('../../locales/en/slack.json', { with: { type: 'json' }});
/** The keys the status page may use: page.json's and common.json's. */
export type PageKey =
  | CommonKey
  | keyof typeof import('../../locales/en/page.json', { with: { type: 'json' }});

export type SlackTranslate = Translate<SlackKey>;
export type PageTranslate = Translate<PageKey>;

/**
 * What a message's placeholders are filled with. Nothing is escaped here: Slack texts are given
 * values already escaped for mrkdwn (src/slack/text.ts), and Pug escapes what the page and the
 * HTML emails show, so escaping here too would show `&amp;lt;`.
 */
export type Values = Record<string, unknown>;

export interface Translate<K extends string = string> {
  (key: K, values?: Values): string;
  /** The language asked for (a text missing in it comes in English). */
  readonly language: Language;
  has(key: string): key is K;
}

/** The built-in catalogues: locales/ at the repository root (also next to dist/ in a build). */
export const BUILT_IN_LOCALES_DIR = fileURLToPath(new URL('../../locales/', import.meta.url)).replace(
  /[/\\]dist[/\\]locales[/\\]?$/,
  '/locales/',
);

export class TextsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Texts have problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'TextsError';
  }
}

export interface LoadTextsOptions {
  /** LOCALES_DIR: more language folders, and texts that replace built-in ones key by key. */
  localesDir?: string;
  builtInDir?: string;
}

/** A folder of `<language>.json` files laid over one surface's texts (EMAIL_TEMPLATES_DIR/locales). */
export interface Overlay {
  translator(locale: string | null | undefined): Translate;
  /** The files it holds, `<language>.json`. */
  files: string[];
  problems: string[];
  warnings: string[];
}

export interface Texts {
  /** English first, then the others by code. */
  readonly languages: readonly Language[];
  /** Worth a warning at start-up: texts missing in a language (shown in English), unknown keys or files. */
  readonly warnings: readonly string[];
  /** Files taken from LOCALES_DIR, as `<language>/<file>.json`. */
  readonly overridden: readonly string[];
  /** The language for a Slack locale (`de-AT` → `de`); English when ticketbot has none closer. */
  languageOf(locale: string | null | undefined): Language;
  /** The language for a browser's Accept-Language header. */
  languageFromHeader(header: string | undefined): Language;
  /** Slack's texts (mrkdwn) for a locale or language. */
  slack(locale: string | null | undefined): Translate<SlackKey>;
  /** The status page's texts. */
  page(locale: string | null | undefined): Translate<PageKey>;
  /** The emails' texts. */
  emails(locale: string | null | undefined): Translate;
  /** The locale whose conventions dates follow in `language` (`en-GB`: 26 Nov 2026, 15:02). */
  dateLocale(language: Language): string;
  /** One surface's texts with `<dir>/<language>.json` laid over them (checked like the rest). */
  overlay(surface: Surface, dir: string | undefined): Overlay;
}

function isFolder(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/**
 * Reads the built-in catalogues and LOCALES_DIR, and checks them: every message parses, and has
 * the placeholders (names and kinds) of its English original. A problem throws TextsError, naming
 * each file; a language that lacks texts shows those in English, key by key, with a warning.
 */
export function loadTexts(options: LoadTextsOptions = {}): Texts {
  const problems: string[] = [];
  const warnings: string[] = [];
  const builtInDir = options.builtInDir ?? BUILT_IN_LOCALES_DIR;
  const builtIn = readLocalesFolder(builtInDir, problems, warnings);
  const reference = builtIn.get(DEFAULT_LANGUAGE);
  if (!reference)
    throw new TextsError([`${join(builtInDir, DEFAULT_LANGUAGE)}: the English texts are missing`]);

  const catalogues = new Map<Language, LanguageTexts>();
  for (const [language, texts] of builtIn) {
    catalogues.set(language, new Map([...texts].map(([file, entries]) => [file, new Map(entries)])));
  }
  const overridden: string[] = [];
  if (options.localesDir) {
    if (!isFolder(options.localesDir)) {
      throw new TextsError([`LOCALES_DIR: ${options.localesDir} is not a folder`]);
    }
    for (const [language, texts] of readLocalesFolder(options.localesDir, problems, warnings)) {
      const catalogue = catalogues.get(language) ?? new Map<TextFile, FileTexts>();
      catalogues.set(language, catalogue);
      for (const [file, entries] of texts) {
        overridden.push(join(language, `${file}.json`));
        const into = catalogue.get(file) ?? new Map<string, Message>();
        catalogue.set(file, into);
        for (const [key, message] of entries) into.set(key, message);
      }
    }
  }
  for (const [language, catalogue] of catalogues) {
    const folder = join(builtIn.has(language) ? builtInDir : (options.localesDir ?? builtInDir), language);
    checkCatalogue(language, folder, catalogue, reference, problems, warnings);
  }
  if (problems.length > 0) throw new TextsError(problems);

  const languages = [
    DEFAULT_LANGUAGE,
    ...[...catalogues.keys()].filter((language) => language !== DEFAULT_LANGUAGE).sort(),
  ];
  const own = (language: Language, file: TextFile): FileTexts =>
    catalogues.get(language)?.get(file) ?? new Map();
  const layersOf = (language: Language, surface: Surface, over?: Map<Language, FileTexts>): FileTexts[] => {
    const mine = [over?.get(language), own(language, surface), own(language, 'common')];
    const english = [
      over?.get(DEFAULT_LANGUAGE),
      own(DEFAULT_LANGUAGE, surface),
      own(DEFAULT_LANGUAGE, 'common'),
    ];
    return [...mine, ...(language === DEFAULT_LANGUAGE ? [] : english)].filter(
      (layer): layer is FileTexts => layer !== undefined,
    );
  };
  const languageOf = (locale: string | null | undefined) => matchLanguage(locale, languages);
  const memo = new Map<string, Translate>();
  const translatorFor = (surface: Surface, locale: string | null | undefined): Translate => {
    const language = languageOf(locale);
    const key = `${surface}|${language}`;
    let t = memo.get(key);
    if (!t) {
      t = translator(surface, language, layersOf(language, surface));
      memo.set(key, t);
    }
    return t;
  };

  return {
    languages,
    warnings,
    overridden,
    languageOf,
    languageFromHeader: (header) => matchAcceptLanguage(header, languages),
    slack: (locale) => translatorFor('slack', locale) as Translate<SlackKey>,
    page: (locale) => translatorFor('page', locale) as Translate<PageKey>,
    emails: (locale) => translatorFor('emails', locale),
    dateLocale: (language) => own(language, 'common').get(DATE_LOCALE_KEY)?.text ?? language,
    overlay(surface, dir) {
      const files: string[] = [];
      const problems: string[] = [];
      const warnings: string[] = [];
      const layers = new Map<Language, FileTexts>();
      for (const language of dir && isFolder(dir) ? languages : []) {
        const path = join(dir!, `${language}.json`);
        if (!existsSync(path)) continue;
        files.push(`${language}.json`);
        const read = readTextFile(path, language, problems);
        if (!read) continue;
        const unknown: string[] = [];
        for (const [key, message] of read) {
          const original = reference.get(surface)?.get(key) ?? reference.get('common')?.get(key);
          if (!original) unknown.push(key);
          else checkPlaceholders(message, original, problems);
        }
        if (unknown.length > 0) warnings.push(`${path}: keys no built-in text has: ${unknown.join(', ')}`);
        layers.set(language, read);
      }
      const overlaid = new Map<Language, Translate>();
      const translatorOf = (locale: string | null | undefined) => {
        const language = languageOf(locale);
        let t = overlaid.get(language);
        if (!t) {
          t = translator(surface, language, layersOf(language, surface, layers));
          overlaid.set(language, t);
        }
        return t;
      };
      return { files, problems, warnings, translator: translatorOf };
    },
  };
}

/** The checks every catalogue passes at start-up; `folder` is where its files were read. */
function checkCatalogue(
  language: Language,
  folder: string,
  catalogue: LanguageTexts,
  reference: LanguageTexts,
  problems: string[],
  warnings: string[],
): void {
  const common = catalogue.get('common') ?? new Map<string, Message>();
  for (const file of TEXT_FILES) {
    const original = reference.get(file) ?? new Map<string, Message>();
    const entries = catalogue.get(file) ?? new Map<string, Message>();
    const unknown = new Map<string, string[]>();
    for (const [key, message] of entries) {
      if (file !== 'common' && (common.has(key) || reference.get('common')?.has(key))) {
        problems.push(
          `${message.source}: "${key}" is a text of common.json, shared by every surface: change it there`,
        );
        continue;
      }
      const english = original.get(key);
      if (english) checkPlaceholders(message, english, problems);
      else unknown.set(message.source, [...(unknown.get(message.source) ?? []), key]);
    }
    for (const [source, keys] of unknown) {
      warnings.push(
        file === 'emails'
          ? `${source}: keys no built-in email uses (a template of your own may): ${keys.join(', ')}`
          : `${source}: keys ticketbot does not use: ${keys.join(', ')}`,
      );
    }
    if (language === DEFAULT_LANGUAGE) continue;
    const missing = [...original.keys()].filter((key) => !entries.has(key) && key !== DATE_LOCALE_KEY);
    if (missing.length > 0) {
      const shown = missing.slice(0, 10).join(', ') + (missing.length > 10 ? ', …' : '');
      warnings.push(
        `${join(folder, `${file}.json`)}: ${missing.length} of ${original.size} texts missing, shown in English: ${shown}`,
      );
    }
  }
  const dateLocale = common.get(DATE_LOCALE_KEY);
  if (dateLocale) {
    try {
      Intl.getCanonicalLocales(dateLocale.text);
    } catch {
      problems.push(
        `${dateLocale.source}: "${DATE_LOCALE_KEY}" must be a locale such as de-DE (got "${dateLocale.text}")`,
      );
    }
  }
}

function checkPlaceholders(message: Message, english: Message, problems: string[]): void {
  if (samePlaceholders(message.placeholders, english.placeholders)) return;
  problems.push(
    `${message.source}: "${message.key}" has the placeholders ${describePlaceholders(message.placeholders)}, but the English text has ${describePlaceholders(english.placeholders)}`,
  );
}

const formatters = new WeakMap<Message, (values?: Values) => string>();

function translator(surface: Surface, language: Language, layers: FileTexts[]): Translate {
  const lookup = new Map<string, Message>();
  for (const layer of [...layers].reverse()) for (const [key, message] of layer) lookup.set(key, message);
  const t = (key: string, values?: Values) => {
    const message = lookup.get(key);
    if (!message)
      throw new Error(`No text for "${key}" in locales/${language}/${surface}.json or common.json`);
    let format = formatters.get(message);
    if (!format) {
      format = formatter(message);
      formatters.set(message, format);
    }
    return format(values);
  };
  return Object.assign(t, { language, has: (key: string) => lookup.has(key) }) as Translate;
}
