import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadTexts } from '../../src/i18n/index.js';
import { loadEmailTemplates } from '../../src/notifications/templates/index.js';
import { sampleData } from '../../src/notifications/templates/samples.js';
import { tempDir } from '../notifications/support.js';
import { describeEachDatabase } from '../support/db.js';
import { useSlackTestApp } from '../support/slackApp.js';
import { type RunningPage, startStatusPage, visibleText } from '../web/support.js';

// A company adds Spanish with one folder in LOCALES_DIR, translating only some texts, and rewords
// one English text: Slack, the status page and the emails all speak it, English filling the gaps.

const dir = tempDir('ticketbot-locales-es-');
const files: Record<string, Record<string, string>> = {
  'es/common.json': {
    'dates.locale': 'es-ES',
    'status.open': 'Abierto',
    'status.in_progress': 'En curso',
    'priority.normal': 'Normal',
    'field.priority': 'Prioridad',
  },
  'es/slack.json': { newTicketTitle: 'Nuevo ticket', submit: 'Crear' },
  'es/page.json': { 'list.heading': 'Tickets', 'filters.heading': 'Filtrar tickets' },
  'es/emails.json': { greeting: 'Hola {name}:', 'ticket_assigned.subject': '[#{id}] Asignado a ti: {title}' },
  'en/page.json': { 'app.title': 'ACME IT status' },
};
for (const [path, texts] of Object.entries(files)) {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), JSON.stringify(texts));
}

it('emails in the added language, English where it has no text', () => {
  const templates = loadEmailTemplates({
    texts: loadTexts({ localesDir: dir }),
    publicUrl: 'https://help.example.com',
  });
  const links = { statusPage: 'https://help.example.com/tickets/42', slackThread: null };
  const email = templates.render(
    'ticket_assigned',
    'es-MX',
    sampleData('ticket_assigned', 'https://help.example.com'),
    links,
  );
  expect(email.subject).toBe(
    '[#42] Asignado a ti: VPN drops every 10 minutes <since Monday> & on Wi-Fi only',
  );
  expect(email.text).toContain('Hola Sam Lee:');
  expect(email.text).toContain('Alex Kim assigned you this ticket.');
  expect(email.html).toContain('<html lang="es">');
});

describeEachDatabase('a language added with a folder (LOCALES_DIR)', (suite) => {
  const app = useSlackTestApp(suite, { LOCALES_DIR: dir });
  let page: RunningPage;
  beforeAll(async () => {
    page = await startStatusPage(suite.db, suite.url, { LOCALES_DIR: dir });
  });
  afterAll(async () => page?.close());

  it('Slack: a person whose locale is es-ES gets the Spanish texts, English for the rest', async () => {
    const spanish = 'U0ESPANOL1';
    app.slack.addUser(spanish, { name: 'Lucía', locale: 'es-ES' });
    const card = await app.createTicket(spanish, 'Impresora <atascada>');
    const update = await app.slack.waitForCall('views.update', (a) =>
      JSON.stringify(a.view).includes('Nuevo ticket'),
    );
    expect(update.args.view).toMatchObject({
      title: { text: 'Nuevo ticket' },
      submit: { text: 'Crear' },
      close: { text: 'Cancel' },
    });
    const shown = JSON.stringify(card.blocks);
    expect(shown).toContain('*Prioridad*');
    expect(shown).toContain('Abierto');
    expect(shown).toContain('*Requester*');
    const dm = await app.slack.waitForCall('chat.postMessage', (a) => a.channel === `D${spanish.slice(1)}`);
    // Not translated: in English, the title escaped for mrkdwn as always.
    expect(String(dm.args.text)).toMatch(
      /^Your ticket <[^|]+\|#\d+ Impresora &lt;atascada&gt;> is open\. Follow it in its thread\.$/,
    );
  });

  it('the status page: Spanish for a Spanish browser, and the reworded English text for others', async () => {
    const spanish = await fetch(`${page.url}/`, { headers: { 'Accept-Language': 'es-AR,es;q=0.9' } });
    const html = await spanish.text();
    expect(html).toContain('<html lang="es">');
    const text = visibleText(html);
    expect(text).toContain('Filtrar tickets');
    expect(text).toContain('Abierto');
    expect(text).toContain('Last activity');
    const english = visibleText(await (await fetch(`${page.url}/`)).text());
    expect(english).toContain('ACME IT status');
    expect(english).toContain('Filter tickets');
  });
});
