import juice from 'juice';

const JUICE_OPTIONS: juice.Options = {
  preserveMediaQueries: true,
  removeStyleTags: true,
  applyWidthAttributes: true,
};
const CACHE_LIMIT = 500;

/**
 * Inlines the <style> rules into style attributes with juice, which takes ~4 ms per email:
 * more than sending it. juice's result depends on the markup's structure (tags, classes, ids)
 * and not on the text between tags or on link targets, so those are masked, the masked
 * skeleton is inlined once and cached, and the real text is put back. Emails of one template
 * share a skeleton; a stylesheet using selectors that read text or attributes turns masking off.
 */
export function createCssInliner(): (html: string) => string {
  const cache = new Map<string, string>();
  return (html) => {
    const styles = [...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/gi)]
      .map((m) => m[1] ?? '')
      .join('\n');
    if (/:(empty|contains|has)\b/i.test(styles)) return juice(html, JUICE_OPTIONS);
    const maskLinks = !styles.includes('[');
    const saved: string[] = [];
    const mask = (value: string) => `%%TB${saved.push(value) - 1}%%`;
    const skeleton = html.replace(
      /(<style\b[^>]*>[\s\S]*?<\/style>)|>([^<]+)<|(\shref=")([^"]*)"/gi,
      (
        whole,
        style: string | undefined,
        text: string | undefined,
        hrefStart: string | undefined,
        href: string | undefined,
      ) => {
        if (style !== undefined) return style;
        if (text !== undefined) return `>${mask(text)}<`;
        if (hrefStart !== undefined && maskLinks) return `${hrefStart}${mask(href ?? '')}"`;
        return whole;
      },
    );
    let inlined = cache.get(skeleton);
    if (inlined === undefined) {
      inlined = juice(skeleton, JUICE_OPTIONS);
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(skeleton, inlined);
    }
    return inlined.replace(/%%TB(\d+)%%/g, (_whole, index: string) => saved[Number(index)] ?? '');
  };
}
