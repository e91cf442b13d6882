import { wordStartCondition, wordStartParams } from '../../db/values.js';

// Title search: every typed word must begin a word of the title, case-insensitively
// ("print" finds "Printer jams", "offline" finds "shows <offline>"). The LIKE form works
// everywhere; on MySQL with the FULLTEXT index (optional: src/db/fulltext.ts) the FULLTEXT form finds rare words without reading the table (InnoDB
// indexes words of 3+ letters, minus its stopwords, which are left to LIKE alone).

const INNODB_STOPWORDS = new Set(
  'a about an are as at be by com de en for from how i in is it la of on or that the this to was what when where who will with und www'.split(
    ' ',
  ),
);

export interface TitleSearch {
  /** Conditions on `t.title` that decide a match on any dialect. */
  like: string[];
  /** With the FULLTEXT index only: a condition implied by `like`, there to narrow the rows read. */
  fulltext?: string;
  params: Record<string, string>;
}

// A word also starts after punctuation: "<offline>", "(VPN)", "Wi-Fi", "e-mail", "#42". The title
// is matched with these turned into spaces (the FULLTEXT index splits words on them too).
const WORD_OPENERS = [...'<>([{"\'“‘«-/.:#@&*_'];
const SPACED_TITLE = WORD_OPENERS.reduce(
  (sql, c) => `REPLACE(${sql}, '${c.replace(/'/g, "''")}', ' ')`,
  't.title',
);

export function titleSearch(q: string, fulltextIndex: boolean): TitleSearch | undefined {
  const words = [...new Set(q.toLowerCase().split(/[^\p{L}\p{N}]+/u))]
    .filter((word) => word !== '')
    .slice(0, 8);
  if (words.length === 0) return undefined;
  const params: Record<string, string> = {};
  const like = words.map((word, i) => {
    Object.assign(params, wordStartParams(`word${i}`, word));
    return wordStartCondition(SPACED_TITLE, `word${i}`);
  });
  const indexed = fulltextIndex
    ? words.filter((word) => word.length >= 3 && !INNODB_STOPWORDS.has(word))
    : [];
  if (indexed.length === 0) return { like, params };
  params.fulltext = indexed.map((word) => `+${word}*`).join(' ');
  return { like, params, fulltext: 'MATCH (t.title) AGAINST (:fulltext IN BOOLEAN MODE)' };
}
