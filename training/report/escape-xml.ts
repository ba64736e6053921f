// Characters XML 1.0 forbids outright (C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/FFFF):
// escaping cannot make them legal, so they become U+FFFD instead of breaking the document.
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Makes any value safe as text or as a quoted attribute value in HTML and SVG/XML. Every string
 * that reaches the report (model names, dataset paths, evaluation names, notes) passes through
 * here, so a name like `<script>` shows up as text and never as markup.
 */
export function escapeXml(value: unknown): string {
  return String(value).replace(FORBIDDEN, '\uFFFD').replace(/[&<>"']/g, (ch) => ENTITIES[ch]);
}
