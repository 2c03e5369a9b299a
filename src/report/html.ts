// A self-contained HTML page: headings, tables and inline SVG charts, no scripts.
import { escapeXml } from './svg.js';

export type Block =
  | { kind: 'heading'; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'table'; header: string[]; rows: (string | number)[][]; caption?: string }
  | { kind: 'charts'; svgs: string[] };

export function renderPage(title: string, blocks: readonly Block[]): string {
  const body = blocks
    .map((b) => {
      switch (b.kind) {
        case 'heading':
          return `<h2>${escapeXml(b.text)}</h2>`;
        case 'text':
          return `<p>${escapeXml(b.text)}</p>`;
        case 'table': {
          const head = b.header.map((h) => `<th>${escapeXml(h)}</th>`).join('');
          const rows = b.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeXml(String(c))}</td>`).join('')}</tr>`).join('\n');
          const cap = b.caption ? `<caption>${escapeXml(b.caption)}</caption>` : '';
          return `<table>${cap}<thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
        }
        case 'charts':
          return `<div class="charts">${b.svgs.join('\n')}</div>`;
      }
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
caption { text-align: left; font-weight: bold; padding: 4px 0; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
.charts svg { border: 1px solid #eee; }
</style></head>
<body><h1>${escapeXml(title)}</h1>
${body}
</body></html>
`;
}
