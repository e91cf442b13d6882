import { loadTexts } from '../../src/i18n/index.js';

/** The built-in texts, as ticketbot loads them without LOCALES_DIR. */
export const texts = loadTexts();
