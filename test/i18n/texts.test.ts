import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@formatjs/icu-messageformat-parser';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { BUILT_IN_LOCALES_DIR, loadTexts, TextsError } from '../../src/i18n/index.js';
import { describePlaceholders, placeholdersOf } from '../../src/i18n/placeholders.js';
import { createLogger } from '../../src/logger.js';
import { startTicketbot } from '../../src/server.js';
import { tempDir } from '../notifications/support.js';
import { problemsFrom } from '../support/problems.js';

// The catalogues in locales/ and what LOCALES_DIR may add: every language has every text, with
// the placeholders of the English one; a broken override stops start-up naming the file.

const FILES = ['common', 'slack', 'page', 'emails'];

function read(language: string, file: string): Record<string, string> {
  return JSON.parse(readFileSync(join(BUILT_IN_LOCALES_DIR, language, `${file}.json`), 'utf8'));
}

/** A LOCALES_DIR made of `files` (path → JSON object or raw text). */
function localesDir(files: Record<string, unknown>): string {
  const dir = tempDir('ticketbot-locales-');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

const problemsOf = (options: Parameters<typeof loadTexts>[0]) =>
  problemsFrom(() => loadTexts(options), TextsError);

describe('the built-in catalogues', () => {
  const languages = readdirSync(BUILT_IN_LOCALES_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);

  it('are English, French and German, one folder each, with the same four files', () => {
    expect(languages.sort()).toEqual(['de', 'en', 'fr']);
    for (const language of languages) {
      expect(readdirSync(join(BUILT_IN_LOCALES_DIR, language)).sort(), language).toEqual(
        FILES.map((file) => `${file}.json`).sort(),
      );
    }
  });

  it('have every key in every language, and no key English lacks', () => {
    for (const language of languages) {
      for (const file of FILES) {
        expect(Object.keys(read(language, file)).sort(), `${language}/${file}.json`).toEqual(
          Object.keys(read('en', file)).sort(),
        );
      }
    }
  });

  it('have the same placeholders in every language: names and kinds (plural, select, number…)', () => {
    for (const language of languages) {
      for (const file of FILES) {
        const english = read('en', file);
        for (const [key, text] of Object.entries(read(language, file))) {
          const shape = (message: string) =>
            describePlaceholders(placeholdersOf(parse(message, { ignoreTag: true })));
          expect(shape(text), `${language}/${file}.json "${key}"`).toBe(shape(english[key]!));
        }
      }
    }
  });

  it('write shared labels once: no key of common.json again in a surface file', () => {
    const common = new Set(Object.keys(read('en', 'common')));
    for (const file of FILES.slice(1)) {
      expect(
        Object.keys(read('en', file)).filter((key) => common.has(key)),
        file,
      ).toEqual([]);
    }
  });

  it('load without a warning', () => {
    const texts = loadTexts();
    expect(texts.languages).toEqual(['en', 'de', 'fr']);
    expect(texts.warnings).toEqual([]);
    expect(texts.overridden).toEqual([]);
  });
});

describe('the language a person reads', () => {
  const texts = loadTexts();

  it('from a Slack locale: fr-FR, fr_CA → fr; de-DE, de-AT, de-CH → de; anything else → en', () => {
    const cases: Array<[string | null | undefined, string]> = [
      ['fr-FR', 'fr'],
      ['fr_CA', 'fr'],
      ['de-DE', 'de'],
      ['de-AT', 'de'],
      ['de-CH', 'de'],
      ['DE', 'de'],
      ['en-US', 'en'],
      ['pt-BR', 'en'],
      ['', 'en'],
      [null, 'en'],
      [undefined, 'en'],
    ];
    for (const [locale, language] of cases) expect(texts.languageOf(locale), String(locale)).toBe(language);
    expect(texts.slack('de-AT').language).toBe('de');
  });

  it('from a browser: the best-ranked language ticketbot has', () => {
    expect(texts.languageFromHeader('de-CH, fr;q=0.9, en;q=0.8')).toBe('de');
    expect(texts.languageFromHeader('it-IT, fr;q=0.5, de;q=0.4')).toBe('fr');
    expect(texts.languageFromHeader('en;q=0.2, de;q=0.9')).toBe('de');
    expect(texts.languageFromHeader('de;q=0, fr;q=0.1')).toBe('fr');
    expect(texts.languageFromHeader('it')).toBe('en');
    expect(texts.languageFromHeader(undefined)).toBe('en');
  });
});

describe('formatting', () => {
  const texts = loadTexts();

  it('counts with Intl.PluralRules and writes numbers with Intl.NumberFormat, per language', () => {
    const subject = (language: string, created: number) =>
      texts.emails(language)('digest.subject', { created, closed: 2, open: 1234 });
    expect(subject('en', 1)).toBe('Helpdesk digest: 1 new, 2 closed, 1,234 open');
    expect(subject('fr', 0)).toBe('Récapitulatif du helpdesk : 0 nouveau, 2 fermés, 1\u202f234 ouverts');
    expect(subject('fr', 1)).toBe('Récapitulatif du helpdesk : 1 nouveau, 2 fermés, 1\u202f234 ouverts');
    expect(subject('de', 1)).toBe('Helpdesk-Zusammenfassung: 1 neu, 2 geschlossen, 1.234 offen');
    expect(texts.page('fr')('emails.more', { count: 1 })).toBe('Le plus récent.');
    expect(texts.page('fr')('emails.more', { count: 50 })).toBe('Les 50 plus récents.');
    expect(texts.slack('de')('replyTooLong', { id: 7, max: 40_000 })).toContain('(40.000 Zeichen)');
    expect(texts.slack('en')('replyTooLong', { id: 7, max: 40_000 })).toContain('(40,000 characters)');
  });

  it('escapes nothing itself (each surface escapes for where the text goes), and keeps mrkdwn links whole', () => {
    const t = texts.slack('en');
    expect(
      t('dmCreated', { id: 3, title: 'a &lt;b&gt; & c', link: 'https://x.slack.com/archives/C1/p1' }),
    ).toBe(
      'Your ticket <https://x.slack.com/archives/C1/p1|#3 a &lt;b&gt; & c> is open. Follow it in its thread.',
    );
    expect(texts.page('en')('list.unknownRequester', { name: '<b>Bob</b>' })).toBe(
      'No one is called “<b>Bob</b>”.',
    );
  });

  it('throws on a key no catalogue has, or a placeholder left without a value', () => {
    expect(() => texts.slack('en')('nope' as never)).toThrow('No text for "nope"');
    expect(() => texts.slack('fr')('commentLabel')).toThrow(/id/);
  });
});

describe('LOCALES_DIR', () => {
  it('replaces texts key by key, in any language, and says which files it took', () => {
    const dir = localesDir({
      'en/slack.json': { homeMine: 'My tickets' },
      'fr/common.json': { 'status.closed': 'Résolu' },
    });
    const texts = loadTexts({ localesDir: dir });
    expect(texts.slack('en')('homeMine')).toBe('My tickets');
    expect(texts.slack('en')('homeAssigned')).toBe('Assigned to me');
    // common.json is shared: Slack, the page and the emails all say it.
    expect(texts.slack('fr')('status.closed')).toBe('Résolu');
    expect(texts.page('fr')('status.closed')).toBe('Résolu');
    expect(texts.emails('fr')('status.closed')).toBe('Résolu');
    expect([...texts.overridden].sort()).toEqual(['en/slack.json', 'fr/common.json']);
    expect(texts.warnings).toEqual([]);
  });

  it('adds a language with a folder; a text it lacks comes in English, with a warning naming the file', () => {
    const dir = localesDir({
      'es/common.json': { 'dates.locale': 'es-ES', 'status.open': 'Abierto' },
      'es/slack.json': { newTicketTitle: 'Nuevo ticket', homeMore: '…y {count} más' },
    });
    const texts = loadTexts({ localesDir: dir });
    expect(texts.languages).toEqual(['en', 'de', 'es', 'fr']);
    expect(texts.languageOf('es-MX')).toBe('es');
    expect(texts.languageFromHeader('es-AR,es;q=0.9')).toBe('es');
    const t = texts.slack('es-MX');
    expect(t('newTicketTitle')).toBe('Nuevo ticket');
    expect(t('status.open')).toBe('Abierto');
    expect(t('homeMore', { count: 3 })).toBe('…y 3 más');
    expect(t('submit')).toBe('Create');
    expect(texts.page('es')('status.closed')).toBe('Closed');
    expect(texts.dateLocale('es')).toBe('es-ES');
    const warnings = texts.warnings.join('\n');
    const slackTexts = Object.keys(read('en', 'slack')).length;
    const pageTexts = Object.keys(read('en', 'page')).length;
    expect(warnings).toContain(
      `${join(dir, 'es', 'slack.json')}: ${slackTexts - 2} of ${slackTexts} texts missing, shown in English:`,
    );
    expect(warnings).toContain(`${join(dir, 'es', 'page.json')}: ${pageTexts} of ${pageTexts} texts missing`);
    expect(warnings).toContain(`${join(dir, 'es', 'emails.json')}:`);
  });

  it('an added language without dates.locale writes dates the way its own code says', () => {
    const texts = loadTexts({ localesDir: localesDir({ 'it/common.json': { 'status.open': 'Aperto' } }) });
    expect(texts.dateLocale('it')).toBe('it');
    expect(texts.dateLocale('en')).toBe('en-GB');
  });

  it('refuses a broken or mismatched file, naming it and the key, every problem at once', () => {
    const dir = localesDir({
      'fr/slack.json': {
        homeMore: '…et {nombre} de plus',
        commentLabel: 'Commentaire sur le ticket n°{id',
        ratingThanks: 7,
      },
      'fr/page.json': { 'emails.more': 'Les {count} plus récents.' },
      'de/emails.json': '{ not json',
      'de/slack.json': { 'status.open': 'Auf' },
      'es/common.json': { 'dates.locale': 'not a locale!' },
      'Deutsch/slack.json': {},
    });
    const problems = problemsOf({ localesDir: dir }).join('\n');
    const slack = join(dir, 'fr', 'slack.json');
    expect(problems).toContain(
      `${slack}: "homeMore" has the placeholders {nombre}, but the English text has {count}`,
    );
    expect(problems).toContain(`${slack}: "commentLabel" is not a valid ICU message`);
    expect(problems).toContain(`${slack}: "ratingThanks" must be a string`);
    expect(problems).toContain(
      `${join(dir, 'fr', 'page.json')}: "emails.more" has the placeholders {count}, but the English text has {count, plural}`,
    );
    expect(problems).toContain(join(dir, 'de', 'emails.json'));
    expect(problems).toContain(`${join(dir, 'de', 'slack.json')}: "status.open" is a text of common.json`);
    expect(problems).toContain(`${join(dir, 'es', 'common.json')}: "dates.locale" must be a locale`);
    expect(problems).toContain(`${join(dir, 'Deutsch')}: a language folder is named by its language code`);
  });

  it('warns of a key ticketbot does not use and of a file it does not read', () => {
    const dir = localesDir({ 'en/slack.json': { homeMyne: 'Mine' }, 'en/slak.json': {} });
    const warnings = loadTexts({ localesDir: dir }).warnings.join('\n');
    expect(warnings).toContain(`${join(dir, 'en', 'slack.json')}: keys ticketbot does not use: homeMyne`);
    expect(warnings).toContain(`${join(dir, 'en', 'slak.json')}: not a text file ticketbot reads`);
  });

  it('is read from the environment, and a missing folder or a broken file stops start-up naming it', async () => {
    const dir = localesDir({ 'de/slack.json': { homeMore: '…und {anzahl} weitere' } });
    expect(loadConfig({ LOCALES_DIR: ` ${dir} ` }).localesDir).toBe(dir);
    expect(loadConfig({ LOCALES_DIR: '' }).localesDir).toBeUndefined();
    const config = loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      LOCALES_DIR: dir,
    });
    const started = startTicketbot(config, createLogger('silent'));
    await expect(started).rejects.toBeInstanceOf(TextsError);
    await expect(started).rejects.toThrow(`${join(dir, 'de', 'slack.json')}: "homeMore"`);
    const missing = { ...config, localesDir: join(dir, 'nowhere') };
    await expect(startTicketbot(missing, createLogger('silent'))).rejects.toThrow(
      `LOCALES_DIR: ${join(dir, 'nowhere')} is not a folder`,
    );
  });
});
