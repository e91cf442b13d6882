import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import juice from 'juice';
import { describe, expect, it } from 'vitest';
import { writePreviews } from '../../src/notifications/preview.js';
import {
  EmailTemplateError,
  type EmailTemplates,
  loadEmailTemplates,
} from '../../src/notifications/templates/index.js';
import { createCssInliner } from '../../src/notifications/templates/inlineCss.js';
import { sampleData } from '../../src/notifications/templates/samples.js';
import { NOTIFICATIONS, type Notification } from '../../src/notifications/types.js';
import { texts } from '../support/texts.js';
import { tempDir } from './support.js';

const publicUrl = 'https://help.example.com';
const links = { statusPage: `${publicUrl}/tickets/42`, slackThread: 'https://slack.com/archives/C1/p1' };

/** `notification` in `language`, rendered with the sample data `npm run emails:preview` uses. */
function renderSample(templates: EmailTemplates, notification: Notification, language: string) {
  return templates.render(notification, language, sampleData(notification, publicUrl), links);
}

function overrideDir(files: Record<string, string>): string {
  const dir = tempDir('ticketbot-email-override-');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

describe('email templates', () => {
  it('render every notification in every language: subject, HTML with inlined CSS, text', () => {
    const templates = loadEmailTemplates({ texts, publicUrl });
    for (const notification of NOTIFICATIONS) {
      for (const lang of texts.languages) {
        const email = renderSample(templates, notification, lang);
        expect(email.subject.length, `${notification}/${lang}`).toBeGreaterThan(5);
        expect(email.html).toContain(`<html lang="${lang}">`);
        expect(email.html).toMatch(/<td class="header" style="[^"]*background-color/);
        expect(email.html).not.toMatch(/<style>[^<]*\.header\s*\{/);
        expect(email.text.trim().length).toBeGreaterThan(20);
      }
    }
    const fr = renderSample(templates, 'ticket_closed', 'fr-CA');
    expect(fr.subject).toBe('[#42] Résolu : VPN drops every 10 minutes <since Monday> & on Wi-Fi only');
    expect(fr.html).toContain('VPN drops every 10 minutes &lt;since Monday&gt; &amp; on Wi-Fi only');
    expect(fr.text).toContain('Notez l’aide reçue');
    // French puts a (no-break) space before a colon; English does not.
    expect(fr.text).toMatch(/^Technicien\u00a0: /m);
    expect(fr.text).not.toMatch(/\S: /);
    const en = renderSample(templates, 'ticket_closed', 'en');
    expect(en.text).toMatch(/^Technician: /m);
  });

  it('tell managers why they get new-ticket emails; the people on a ticket, why they get theirs', () => {
    const templates = loadEmailTemplates({ texts, publicUrl });
    const created = renderSample(templates, 'ticket_created', 'en');
    for (const part of [created.html, created.text]) {
      expect(part).toContain('your address is in MANAGER_EMAILS, which is told of every new ticket');
      expect(part).not.toContain('you take part in this ticket');
    }
    const render = (notification: 'ticket_assigned', lang: string) =>
      renderSample(templates, notification, lang);
    expect(render('ticket_assigned', 'fr').text).toContain('parce que vous participez à ce ticket');
  });

  it('show a long comment up to 5,000 characters, whole emoji, and say where the rest is', () => {
    const templates = loadEmailTemplates({ texts, publicUrl });
    const data = sampleData('ticket_commented', publicUrl);
    // 40,000 emoji: what a Slack reply may hold, 160 KB of UTF-8.
    const long = { ...data, comment: { author: 'Sam Lee', body: '😀'.repeat(40_000) } };
    for (const lang of texts.languages) {
      const email = templates.render('ticket_commented', lang, long, links);
      const shown = /(😀+)…/u.exec(email.text)?.[1] ?? '';
      expect(Array.from(shown)).toHaveLength(4999);
      expect(email.html).toContain(`${shown}…`);
      expect(email.text).toContain(links.statusPage);
      expect(Buffer.byteLength(email.html)).toBeLessThan(60_000);
    }
    const en = templates.render('ticket_commented', 'en', long, links);
    expect(en.text).toContain(
      'The comment goes on past what an email shows: read it whole on the status page.',
    );
    expect(en.html).toContain('read it whole on the status page');
    expect(templates.render('ticket_commented', 'fr', long, links).text).toContain('lisez-le en entier');
    // A comment that fits is shown whole, without the note.
    const whole = templates.render('ticket_commented', 'en', data, links);
    expect(whole.text).toContain('> Settings → VPN → "Office 2".');
    expect(whole.text).not.toContain('goes on past');
  });

  it('inlines CSS exactly as juice does, though it reuses work between emails of the same shape', () => {
    const inline = createCssInliner();
    const templates = loadEmailTemplates({ texts, publicUrl });
    const data = sampleData('ticket_assigned', publicUrl);
    const first = templates.render('ticket_assigned', 'en', data, links);
    const second = templates.render(
      'ticket_assigned',
      'en',
      { ...data, recipient: { name: 'Other <Name>' } },
      links,
    );
    expect(second.html).toBe(first.html.replace('Hello Sam Lee,', 'Hello Other &lt;Name&gt;,'));
    // Same markup shape, different text and links: identical to juicing each document directly.
    const html = `<html><head><style>.a{color:red} p{margin:0} a{color:blue}</style></head><body><p class="a">One &amp; two</p><a href="https://x/1">x</a></body></html>`;
    const other = html.replace('One &amp; two', 'Three <b>').replace('https://x/1', 'https://y/2');
    for (const doc of [html, other, html]) {
      expect(inline(doc)).toBe(
        juice(doc, { preserveMediaQueries: true, removeStyleTags: true, applyWidthAttributes: true }),
      );
    }
  });

  it('take overrides file by file from EMAIL_TEMPLATES_DIR, and text keys one by one', () => {
    const dir = overrideDir({
      'ticket_assigned/subject.pug': '| ACME IT: ticket #{ticket.id} is yours',
      'layout.pug': readFileSync('emails/layout.pug', 'utf8').replace("= t('brand')", '| ACME Service Desk'),
      'locales/fr.json': JSON.stringify({
        'ticket_closed.reopen': 'Toujours en panne ? Dites-le dans Slack.',
      }),
    });
    const templates = loadEmailTemplates({ texts, publicUrl, overrideDir: dir });
    expect(templates.overridden.sort()).toEqual([
      'layout.pug',
      'locales/fr.json',
      'ticket_assigned/subject.pug',
    ]);
    const assigned = renderSample(templates, 'ticket_assigned', 'en');
    expect(assigned.subject).toBe('ACME IT: ticket 42 is yours');
    expect(assigned.html).toContain('ACME Service Desk');
    expect(assigned.text).toContain('Alex Kim assigned you this ticket.');
    const closed = renderSample(templates, 'ticket_closed', 'fr');
    expect(closed.text).toContain('Toujours en panne ? Dites-le dans Slack.');
    expect(closed.text).toContain('Bonjour Camille Martin,');
    expect(closed.html).toContain('ACME Service Desk');
  });

  it('report every broken override at start-up, naming the file', () => {
    const dir = overrideDir({
      'ticket_closed/html.pug': 'extends ../layout.pug\nblock content\n  p= t(\n',
      'digest/text.pug': 'extends ../text-layout.pug\nblock content\n  +line(digest.nope.deeper)\n',
    });
    let error: unknown;
    try {
      loadEmailTemplates({ texts, publicUrl, overrideDir: dir });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(EmailTemplateError);
    const problems = (error as EmailTemplateError).problems.join('\n');
    expect(problems).toContain(join(dir, 'ticket_closed/html.pug'));
    expect(problems).toMatch(/digest \(en\).*deeper/);
    const badTexts = overrideDir({ 'locales/en.json': '{ not json' });
    expect(() => loadEmailTemplates({ texts, publicUrl, overrideDir: badTexts })).toThrow(
      join(badTexts, 'locales/en.json'),
    );

    const unknownOnly = overrideDir({ 'ticket_asigned/subject.pug': '| typo' });
    expect(loadEmailTemplates({ texts, publicUrl, overrideDir: unknownOnly }).warnings.join()).toContain(
      'ticket_asigned/subject.pug',
    );
    expect(() => loadEmailTemplates({ texts, publicUrl, overrideDir: join(dir, 'missing') })).toThrow(
      EmailTemplateError,
    );
  });

  it('write the digest in German, with plurals and numbers by Intl in every language', () => {
    const templates = loadEmailTemplates({ texts, publicUrl });
    const sample = sampleData('digest', publicUrl);
    const digest = sample.digest!;
    const one = { ...sample, digest: { ...digest, totals: { ...digest.totals, created: 1, closed: 0 } } };
    const de = templates.render('digest', 'de-DE', sample, {
      statusPage: `${publicUrl}/`,
      slackThread: null,
    });
    expect(de.subject).toBe('Helpdesk-Zusammenfassung: 7 neu, 5 geschlossen, 12 offen');
    expect(de.text).toContain('Offene Tickets: 12');
    expect(de.text).toContain('- Sam Lee: Offen 5, Geschlossen 3, Durchschnittliche Bewertung 4,5');
    expect(de.html).toContain('4,5 / 5 (2)');
    expect(de.html).toContain('Badge reader &lt;lobby&gt;');
    // Dates in the recipient's zone (Europe/Paris), as German writes them.
    expect(de.text).toContain(
      new Intl.DateTimeFormat('de-DE', {
        dateStyle: 'medium',
        timeStyle: 'short',
        timeZone: 'Europe/Paris',
      }).format(new Date(digest.start)),
    );
    const links = { statusPage: `${publicUrl}/`, slackThread: null };
    // French counts 0 and 1 in the singular (Intl.PluralRules): "1 nouveau", never "1 nouveaux".
    expect(templates.render('digest', 'fr', one, links).subject).toBe(
      'Récapitulatif du helpdesk : 1 nouveau, 0 fermé, 12 ouverts',
    );
    expect(templates.render('digest', 'en', one, links).subject).toBe(
      'Helpdesk digest: 1 new, 0 closed, 12 open',
    );
    expect(templates.render('digest', 'fr', sample, links).text).toContain('Note moyenne 4,5');
    expect(templates.render('digest', 'en', sample, links).text).toContain('Average rating 4.5');
  });

  it('give the digest the period’s service figures, and leave them out of a digest queued before them', () => {
    const templates = loadEmailTemplates({ texts, publicUrl });
    const sample = sampleData('digest', publicUrl);
    const links = { statusPage: `${publicUrl}/`, slackThread: null };
    const en = templates.render('digest', 'en', sample, links);
    expect(en.text).toContain(
      '- First response: Median 40 min, 90th percentile 3 h 30 min, Within target 83 % (5 of 6)',
    );
    expect(en.text).toContain(
      '- Resolution: Median 1 d 2 h, 90th percentile 2 d 5 h, Within target 80 % (4 of 5)',
    );
    expect(en.text).toContain('Ratings: 4.4 / 5 (5 ratings)');
    expect(en.html).toContain('Service in this period');
    const fr = templates.render('digest', 'fr', sample, links);
    expect(fr.text).toContain('Notes : 4,4 / 5 (5 notes)');
    expect(fr.text).toContain('Médiane 1 j 2 h');
    const { service: _, ...older } = sample.digest!;
    const before = templates.render('digest', 'en', { ...sample, digest: older }, links);
    expect(before.text).not.toContain('First response');
    expect(before.text).toContain('Open backlog: 12');
  });

  it('take German text keys from EMAIL_TEMPLATES_DIR too, and refuse one whose placeholders differ', () => {
    const dir = overrideDir({
      'locales/de.json': JSON.stringify({
        'ticket_assigned.intro': '{actor} hat Ihnen ein neues Ticket gegeben.',
      }),
    });
    const templates = loadEmailTemplates({ texts, publicUrl, overrideDir: dir });
    expect(templates.overridden).toEqual(['locales/de.json']);
    const assigned = renderSample(templates, 'ticket_assigned', 'de');
    expect(assigned.text).toContain('Alex Kim hat Ihnen ein neues Ticket gegeben.');
    expect(assigned.subject).toBe(
      '[#42] Ihnen zugewiesen: VPN drops every 10 minutes <since Monday> & on Wi-Fi only',
    );

    const wrong = overrideDir({
      'locales/de.json': JSON.stringify({ 'ticket_assigned.intro': '{wer} hat Ihnen ein Ticket gegeben.' }),
    });
    expect(() => loadEmailTemplates({ texts, publicUrl, overrideDir: wrong })).toThrow(
      new RegExp(
        `${join(wrong, 'locales/de.json')}: "ticket_assigned.intro" has the placeholders \\{wer\\}, but the English text has \\{actor\\}`,
      ),
    );
    const unknownLanguage = overrideDir({ 'locales/xx.json': '{}' });
    expect(loadEmailTemplates({ texts, publicUrl, overrideDir: unknownLanguage }).warnings.join()).toContain(
      'locales/xx.json',
    );
  });

  it('npm run emails:preview writes every email in every language, with an index', async () => {
    const out = tempDir('ticketbot-email-preview-');
    const files = await writePreviews({ outDir: out, publicUrl, texts });
    expect(files).toHaveLength(NOTIFICATIONS.length * texts.languages.length * 2 + 1);
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    expect(index).toContain('ticket_commented.fr.html');
    expect(readFileSync(join(out, 'digest.fr.html'), 'utf8')).toContain('Récapitulatif');
    expect(readFileSync(join(out, 'ticket_commented.en.txt'), 'utf8')).toContain(
      '> Could you try the <b>new</b> profile?',
    );
  });
});
