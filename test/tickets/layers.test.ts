import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The ticket rules know nothing of Slack or HTTP (README, "The folders"): Slack and the web call
// into src/tickets, never the other way round, and where a ticket is in Slack (its card, its
// lease, its rating DMs) is Slack's own bookkeeping, in src/slack/store/.

const root = resolve(import.meta.dirname, '../..');
const rules = join(root, 'src/tickets');

function sourcesIn(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourcesIn(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module a file imports or re-exports, statically or with import(). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g),
    ...text.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
  ].map((match) => match[1]!);
  return specifiers.map((specifier) =>
    specifier.startsWith('.') ? relative(root, resolve(dirname(file), specifier)) : specifier,
  );
}

describe('the ticket rules stand apart from Slack and the web', () => {
  const files = sourcesIn(rules);

  it('has rules to look at', () => {
    expect(files.length).toBeGreaterThan(5);
    expect(importsOf(join(rules, 'index.ts'))).toContain('src/tickets/createTicket.js');
  });

  it('imports nothing from src/slack, src/web or a Slack or HTTP library', () => {
    const found = files.flatMap((file) =>
      importsOf(file)
        .filter((target) => /^src\/(slack|web)(\/|$)|^@slack\/|^express($|\/)/.test(target))
        .map((target) => `${relative(root, file)} imports ${target}`),
    );
    expect(found).toEqual([]);
  });

  it('reads and writes none of Slack’s bookkeeping', () => {
    const found = files.flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return [
        'slack_cards',
        'slack_rating_prompts',
        'SlackCard',
        'SlackRatingPrompt',
        'slack_view_id',
        'lease',
      ]
        .filter((word) => text.includes(word))
        .map((word) => `${relative(root, file)} names ${word}`);
    });
    expect(found).toEqual([]);
  });
});
