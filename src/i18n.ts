// ticketbot speaks English and French. Each part keeps its own catalog (Slack texts, emails,
// the status page); this picks the language for a person from their Slack or browser locale.

export const LANGUAGES = ['en', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];

/** 'fr-FR', 'fr_CA', 'fr' → 'fr'; anything else (or nothing) → 'en'. */
export function languageOf(locale: string | null | undefined): Language {
  const primary = (locale ?? '').toLowerCase().split(/[-_]/)[0];
  return (LANGUAGES as readonly string[]).includes(primary ?? '') ? (primary as Language) : 'en';
}
