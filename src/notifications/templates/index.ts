import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pug from 'pug';
import type { Overlay, Texts } from '../../i18n/index.js';
import { dateTimeFormat, formatNumber, isTimeZone } from '../../i18n/intl.js';
import { durationParts } from '../../sla/standing.js';
import {
  NOTIFICATIONS,
  type Notification,
  type NotificationData,
  type RenderedEmail,
  TEMPLATE_PARTS,
  type TemplateLocals,
  type TemplatePart,
} from '../types.js';
import { TemplateTree } from './files.js';
import { createCssInliner } from './inlineCss.js';
import { sampleData } from './samples.js';

export { TemplateTree } from './files.js';

/** The built-in templates: emails/ at the repository root (also next to dist/ in a build). */
export const BUILT_IN_TEMPLATES_DIR = fileURLToPath(new URL('../../../emails/', import.meta.url)).replace(
  /[/\\]dist[/\\]emails[/\\]?$/,
  '/emails/',
);

export class EmailTemplateError extends Error {
  constructor(readonly problems: string[]) {
    super(`Email templates have problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EmailTemplateError';
  }
}

export interface EmailLinks {
  statusPage: string | null;
  slackThread: string | null;
}

export interface EmailTemplates {
  render(
    template: Notification,
    locale: string | null,
    data: NotificationData,
    links: EmailLinks,
  ): RenderedEmail;
  /** Template files taken from EMAIL_TEMPLATES_DIR. */
  overridden: string[];
  /** Things worth a warning (unknown files in the override folder, unknown text keys). */
  warnings: string[];
}

export interface LoadTemplatesOptions {
  /** The texts (src/i18n); EMAIL_TEMPLATES_DIR/locales/<language>.json is laid over their email texts. */
  texts: Texts;
  overrideDir?: string;
  builtInDir?: string;
  publicUrl: string;
}

type Compiled = (locals: TemplateLocals) => string;

/**
 * Compiles every template (built-in, or overridden file by file) and renders each once per
 * language with sample data, so a broken override stops start-up with every problem listed
 * instead of failing when a real email is due.
 */
export function loadEmailTemplates(options: LoadTemplatesOptions): EmailTemplates {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (
    options.overrideDir &&
    !(existsSync(options.overrideDir) && statSync(options.overrideDir).isDirectory())
  ) {
    throw new EmailTemplateError([`EMAIL_TEMPLATES_DIR: ${options.overrideDir} is not a folder`]);
  }
  const { texts } = options;
  const tree = new TemplateTree(
    options.builtInDir ?? BUILT_IN_TEMPLATES_DIR,
    options.overrideDir,
    texts.languages,
  );
  // Email texts come from locales/<language>/emails.json (and common.json); an override folder's
  // locales/<language>.json replaces them key by key, for the emails only.
  const overlay = texts.overlay('emails', tree.override && join(tree.override, 'locales'));
  problems.push(...overlay.problems);
  warnings.push(...overlay.warnings);
  for (const file of tree.unknownOverrides())
    warnings.push(`${file}: not a template ticketbot knows; ignored unless included`);

  const compiled = new Map<string, Compiled>();
  for (const notification of NOTIFICATIONS) {
    for (const part of TEMPLATE_PARTS) {
      const logical = join(notification, `${part}.pug`);
      const filename = tree.physical(logical);
      try {
        compiled.set(
          key(notification, part),
          pug.compileFile(filename, { plugins: [tree.pugPlugin()] } as pug.Options) as Compiled,
        );
      } catch (error) {
        problems.push(`${describe(tree, logical)}: ${firstLines((error as Error).message)}`);
      }
    }
  }

  const inlineCss = createCssInliner();
  const templates: EmailTemplates = {
    overridden: [...overriddenFiles(tree, overlay)],
    warnings,
    render: (template, locale, data, links) =>
      render(
        { compiled, texts, overlay, inlineCss, publicUrl: options.publicUrl },
        template,
        locale,
        data,
        links,
      ),
  };
  // Render what compiled (with readable texts) to catch runtime mistakes: unknown variables, keys.
  if (overlay.problems.length === 0) {
    const compiledFully = NOTIFICATIONS.filter((n) =>
      TEMPLATE_PARTS.every((part) => compiled.has(key(n, part))),
    );
    for (const notification of compiledFully) {
      for (const lang of texts.languages) {
        try {
          const email = templates.render(notification, lang, sampleData(notification, options.publicUrl), {
            statusPage: `${options.publicUrl}/tickets/1`,
            slackThread: 'https://slack.com/archives/C0HELPDESK/p1764160000000100',
          });
          if (email.subject === '')
            problems.push(`${notification}/subject.pug (${lang}): renders an empty subject`);
          if (email.text.trim() === '')
            problems.push(`${notification}/text.pug (${lang}): renders an empty text part`);
        } catch (error) {
          problems.push(`${notification} (${lang}): ${firstLines((error as Error).message)}`);
        }
      }
    }
  }
  if (problems.length > 0) throw new EmailTemplateError(problems);
  return templates;
}

interface Renderer {
  compiled: Map<string, Compiled>;
  texts: Texts;
  overlay: Overlay;
  inlineCss: (html: string) => string;
  publicUrl: string;
}

function render(
  { compiled, texts, overlay, inlineCss, publicUrl }: Renderer,
  template: Notification,
  locale: string | null,
  data: NotificationData,
  links: EmailLinks,
): RenderedEmail {
  const lang = texts.languageOf(locale);
  const dates = dateTimeFormat(
    texts.dateLocale(lang),
    data.timeZone && isTimeZone(data.timeZone) ? data.timeZone : 'UTC',
  );
  const t = overlay.translator(lang);
  const locals: TemplateLocals = {
    ...data,
    // ticketbot's own assignment: its name says which rule, in the recipient's language, so
    // templates (overridden ones too) read `actor.name` as for a person.
    actor: data.actor?.rule ? { ...data.actor, name: t(`actor.${data.actor.rule}`) } : data.actor,
    comment: data.comment && excerptOf(data.comment),
    lang,
    t,
    formatDate: (iso) => dates.format(typeof iso === 'string' ? new Date(iso) : iso),
    formatNumber: (value, fractionDigits) => formatNumber(lang, value, fractionDigits),
    formatSpan: (seconds) => {
      if (seconds === null || !Number.isFinite(seconds)) return '–';
      const parts = durationParts(seconds / 60);
      return t(parts.days > 0 ? 'sla.days' : parts.hours > 0 ? 'sla.hours' : 'sla.minutes', parts);
    },
    links,
    publicUrl,
  };
  const part = (name: TemplatePart) => {
    const fn = compiled.get(key(template, name));
    if (!fn) throw new Error(`No ${name} template for ${template}`);
    return fn(locals);
  };
  // Headers are one line: a template's line breaks and runs of spaces collapse.
  const subject = part('subject').replace(/\s+/g, ' ').trim().slice(0, 250);
  locals.subject = subject;
  const html = inlineCss(part('html'));
  const text = `${part('text')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
  return { subject, html, text };
}

/**
 * How much of a comment an email shows. A Slack reply may run to 40,000 characters; Gmail clips
 * a message whose HTML passes about 102 KB, hiding the rest and the footer
 * (https://www.spamresource.com/2022/01/what-is-gmail-clipping-and-what-to-do.html), and 40,000
 * emoji are 160 KB before encoding. 5,000 characters stay well below that whatever they are; the
 * email then says the comment goes on, and the status page shows it whole.
 */
export const EMAIL_COMMENT_MAX = 5000;

function excerptOf(comment: { author: string; body: string }): {
  author: string;
  body: string;
  cut: boolean;
} {
  const body = String(comment.body);
  // Characters are code points, as for COMMENT_MAX: an emoji is one, and never split in half.
  const characters = Array.from(body);
  if (characters.length <= EMAIL_COMMENT_MAX) return { ...comment, body, cut: false };
  return { ...comment, body: `${characters.slice(0, EMAIL_COMMENT_MAX - 1).join('')}…`, cut: true };
}

function key(notification: Notification, part: TemplatePart): string {
  return `${notification}/${part}`;
}

function describe(tree: TemplateTree, logical: string): string {
  return tree.isOverridden(logical) ? `${join(tree.override ?? '', logical)} (override)` : logical;
}

function firstLines(message: string): string {
  return message.split('\n').slice(0, 6).join(' | ');
}

function* overriddenFiles(tree: TemplateTree, overlay: Overlay): Generator<string> {
  const candidates = [
    'layout.pug',
    'text-layout.pug',
    'mixins.pug',
    'styles.css',
    ...NOTIFICATIONS.flatMap((n) => TEMPLATE_PARTS.map((part) => join(n, `${part}.pug`))),
  ];
  for (const logical of candidates) if (tree.isOverridden(logical)) yield logical;
  for (const file of overlay.files) yield join('locales', file);
}
