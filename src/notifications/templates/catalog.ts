import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LANGUAGES, type Language } from '../../i18n.js';

export type Catalog = Record<string, string>;
export type Catalogs = Record<Language, Catalog>;

/**
 * The email texts per language, from emails/locales/<lang>.json. An override folder's
 * locales/<lang>.json replaces keys one by one, so a company can reword a single sentence.
 */
export function loadCatalogs(dirs: { builtIn: string; override?: string }, problems: string[]): Catalogs {
  const catalogs = {} as Catalogs;
  for (const lang of LANGUAGES) {
    const builtIn = readCatalog(join(dirs.builtIn, 'locales', `${lang}.json`), problems) ?? {};
    const overridePath = dirs.override ? join(dirs.override, 'locales', `${lang}.json`) : undefined;
    const override =
      overridePath && existsSync(overridePath) ? readCatalog(overridePath, problems) : undefined;
    catalogs[lang] = { ...builtIn, ...override };
  }
  return catalogs;
}

function readCatalog(path: string, problems: string[]): Catalog | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      problems.push(`${path}: must be a JSON object of "key": "text"`);
      return undefined;
    }
    const catalog: Catalog = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value !== 'string') problems.push(`${path}: "${key}" must be a string`);
      else catalog[key] = value;
    }
    return catalog;
  } catch (error) {
    problems.push(`${path}: ${(error as Error).message}`);
    return undefined;
  }
}

/**
 * Looks a key up and fills `{name}` placeholders. A missing key throws, so a typo in a
 * template is caught by the start-up check rather than mailed out as a bare key.
 */
export function translator(
  catalog: Catalog,
  fallback: Catalog,
): (key: string, vars?: Record<string, unknown>) => string {
  return (key, vars) => {
    const text = catalog[key] ?? fallback[key];
    if (text === undefined) throw new Error(`No text for "${key}" in emails/locales`);
    if (!vars) return text;
    return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
      name in vars ? String(vars[name] ?? '') : whole,
    );
  };
}
