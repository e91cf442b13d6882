import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Texts } from '../i18n/index.js';
import { loadEmailTemplates } from './templates/index.js';
import { sampleData } from './templates/samples.js';
import { NOTIFICATIONS } from './types.js';

export interface PreviewOptions {
  outDir: string;
  publicUrl: string;
  texts: Texts;
  templatesDir?: string;
}

/**
 * Renders every notification in every language with the sample data into `outDir`:
 * <notification>.<lang>.html (the HTML part as sent), .txt (the text part) and index.html.
 * Returns the files written.
 */
export async function writePreviews(options: PreviewOptions): Promise<string[]> {
  const templates = loadEmailTemplates({
    texts: options.texts,
    overrideDir: options.templatesDir,
    publicUrl: options.publicUrl,
  });
  await mkdir(options.outDir, { recursive: true });
  const written: string[] = [];
  const rows: string[] = [];
  for (const notification of NOTIFICATIONS) {
    for (const lang of options.texts.languages) {
      const email = templates.render(notification, lang, sampleData(notification, options.publicUrl), {
        statusPage: notification === 'digest' ? `${options.publicUrl}/` : `${options.publicUrl}/tickets/42`,
        slackThread:
          notification === 'digest' ? null : 'https://slack.com/archives/C0HELPDESK/p1764160000000100',
      });
      const stem = `${notification}.${lang}`;
      await writeFile(join(options.outDir, `${stem}.html`), email.html);
      await writeFile(join(options.outDir, `${stem}.txt`), email.text);
      written.push(`${stem}.html`, `${stem}.txt`);
      rows.push(
        `<tr><td>${notification}</td><td>${lang}</td><td>${escapeHtml(email.subject)}</td>` +
          `<td><a href="${stem}.html">HTML</a> · <a href="${stem}.txt">text</a></td></tr>`,
      );
    }
  }
  const index = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ticketbot email previews</title>
<style>body{font-family:sans-serif;margin:2rem}td,th{padding:.3rem .8rem;text-align:left;border-bottom:1px solid #ddd}</style></head>
<body><h1>ticketbot email previews</h1><p>Sample data; templates from emails/${options.templatesDir ? ` overridden by ${escapeHtml(options.templatesDir)}` : ''}.</p>
<table><tr><th>notification</th><th>language</th><th>subject</th><th>parts</th></tr>${rows.join('\n')}</table></body></html>\n`;
  await writeFile(join(options.outDir, 'index.html'), index);
  written.push('index.html');
  return written;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
