import { resolve } from 'node:path';
import { ConfigError, loadConfig } from '../../config.js';
import { loadTexts, TextsError } from '../../i18n/index.js';
import { exitIfNodeTooOld } from '../../nodeVersion.js';
import { writePreviews } from '../preview.js';
import { EmailTemplateError } from '../templates/index.js';

// `npm run emails:preview [-- out-dir]`: every email, every language, sample data, as files to
// open in a browser. Honours EMAIL_TEMPLATES_DIR and LOCALES_DIR (from the environment or .env).

exitIfNodeTooOld();
try {
  process.loadEnvFile('.env');
} catch {
  // no .env: the environment alone
}
const outDir = resolve(process.argv[2] ?? 'email-previews');
try {
  const config = loadConfig(process.env);
  const files = await writePreviews({
    outDir,
    publicUrl: config.publicUrl,
    texts: loadTexts({ localesDir: config.localesDir }),
    templatesDir: config.mail.templatesDir,
  });
  process.stdout.write(`Wrote ${files.length} files. Open ${resolve(outDir, 'index.html')} in a browser.\n`);
} catch (error) {
  if (error instanceof ConfigError || error instanceof TextsError || error instanceof EmailTemplateError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
