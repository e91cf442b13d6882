import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { NOTIFICATIONS, TEMPLATE_PARTS } from '../types.js';

/** Shared files a template may include or extend, besides each notification's own three. */
export const SHARED_FILES = ['layout.pug', 'text-layout.pug', 'mixins.pug', 'styles.css'];

/**
 * Where each template file comes from: the override folder when it has that file, else the
 * built-in emails/ folder. Paths inside templates (`extends ../layout.pug`) are read as paths in
 * this merged tree, so overriding layout.pug alone restyles every email.
 */
export class TemplateTree {
  constructor(
    readonly builtIn: string,
    readonly override?: string,
    /** The languages whose `locales/<language>.json` an override folder may hold. */
    private readonly languages: readonly string[] = [],
  ) {}

  /** The file on disk for a path relative to the tree's root. */
  physical(logical: string): string {
    if (this.override) {
      const candidate = join(this.override, logical);
      if (existsSync(candidate)) return candidate;
    }
    return join(this.builtIn, logical);
  }

  isOverridden(logical: string): boolean {
    return this.override !== undefined && existsSync(join(this.override, logical));
  }

  /** The path relative to the tree's root of a file in either folder. */
  logical(physical: string): string {
    for (const root of [this.override, this.builtIn]) {
      if (!root) continue;
      const inside = relative(root, physical);
      if (!inside.startsWith('..') && !isAbsolute(inside)) return inside;
    }
    throw new Error(`${physical} is outside the email templates folder`);
  }

  /** A pug plugin resolving include/extends through the merged tree. */
  pugPlugin() {
    return {
      resolve: (filename: string, source: string) => {
        const wanted = filename.trim();
        const base = wanted.startsWith('/') ? '' : join(this.logical(source), '..');
        const logical = normalize(join(base, wanted));
        if (logical.startsWith('..') || isAbsolute(logical)) {
          throw new Error(`"${wanted}" points outside the email templates folder`);
        }
        return this.physical(logical);
      },
    };
  }

  /** Files in the override folder that ticketbot does not know: usually a misspelt name. */
  unknownOverrides(): string[] {
    if (!this.override) return [];
    const known = new Set([
      ...SHARED_FILES,
      ...NOTIFICATIONS.flatMap((n) => TEMPLATE_PARTS.map((part) => join(n, `${part}.pug`))),
      ...this.languages.map((language) => join('locales', `${language}.json`)),
    ]);
    return listFiles(this.override)
      .filter((file) => !known.has(file) && !file.split(sep).some((part) => part.startsWith('.')))
      .filter((file) => file.endsWith('.pug') || file.endsWith('.json') || file.endsWith('.css'));
  }
}

function listFiles(root: string, prefix = ''): string[] {
  const files: string[] = [];
  for (const name of readdirSync(join(root, prefix))) {
    const path = join(prefix, name);
    if (statSync(join(root, path)).isDirectory()) files.push(...listFiles(root, path));
    else files.push(path);
  }
  return files;
}
