// Which of the languages ticketbot has a person reads: from a Slack locale (`fr-FR`, `de_AT`) or a
// browser's Accept-Language. Only the primary subtag counts: de-DE, de-AT and de-CH all read `de`.

/** The language every text exists in, and the one used when nothing better is known. */
export const DEFAULT_LANGUAGE = 'en';

/** What a language folder may be called: a primary language subtag (ISO 639), lower case. */
export const LANGUAGE_CODE = /^[a-z]{2,3}$/;

function primaryOf(tag: string): string {
  return tag.trim().toLowerCase().split(/[-_]/)[0] ?? '';
}

/** 'fr-FR', 'fr_CA', 'fr' → 'fr' when French is there; anything else (or nothing) → English. */
export function matchLanguage(locale: string | null | undefined, languages: readonly string[]): string {
  const primary = primaryOf(locale ?? '');
  return languages.includes(primary) ? primary : DEFAULT_LANGUAGE;
}

/** The best of `languages` for an Accept-Language header ("de-CH, de;q=0.9, en;q=0.8"). */
export function matchAcceptLanguage(header: string | undefined, languages: readonly string[]): string {
  const ranked = (header ?? '')
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: tag.trim(), q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((entry) => entry.tag !== '' && entry.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    const primary = primaryOf(tag);
    if (languages.includes(primary)) return primary;
  }
  return DEFAULT_LANGUAGE;
}
