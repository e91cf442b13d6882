import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The same code runs from src/ (tsx, tests) and dist/src/ (npm start): look upwards for views/.

export function findViewsDir(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'views');
    if (existsSync(join(candidate, 'layout.pug'))) return candidate;
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error(`views/layout.pug not found above ${from}`);
    dir = parent;
  }
}

/** Bootstrap's compiled CSS from the installed npm package (served by the app, never a CDN). */
export function bootstrapCssDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('bootstrap/dist/css/bootstrap.min.css'));
}
