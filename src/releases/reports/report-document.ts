/**
 * A report as a few kinds of blocks, rendered both as Markdown and as a printable HTML page. Built from
 * the record by the report builder; every piece of text is escaped by the renderer, never by the builder.
 */
export type Block =
  | { readonly kind: 'heading'; readonly level: 1 | 2 | 3; readonly text: string }
  | { readonly kind: 'paragraph'; readonly text: string }
  | { readonly kind: 'fields'; readonly rows: ReadonlyArray<readonly [string, string]> }
  | {
      readonly kind: 'table';
      readonly head: readonly string[];
      readonly rows: ReadonlyArray<readonly string[]>;
    }
  | { readonly kind: 'list'; readonly items: readonly string[] };

export interface ReportDocument {
  readonly title: string;
  readonly blocks: readonly Block[];
}

export const h = (level: 1 | 2 | 3, text: string): Block => ({ kind: 'heading', level, text });
export const p = (text: string): Block => ({ kind: 'paragraph', text });
export const fields = (rows: ReadonlyArray<readonly [string, string | null | undefined]>): Block => ({
  kind: 'fields',
  rows: rows.map(([label, value]) => [
    label,
    value === null || value === undefined || value === '' ? '—' : value,
  ]),
});
export const table = (
  head: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  empty = '（无 none）',
): Block => (rows.length > 0 ? { kind: 'table', head, rows } : { kind: 'paragraph', text: empty });
export const list = (items: readonly string[]): Block => ({ kind: 'list', items });

// ---- Markdown ----

/** Characters that would start Markdown syntax inside running text. */
const mdText = (s: string) => s.replace(/([\\`*_[\]<>#|])/g, '\\$1').replace(/\r?\n/g, '  \n');
const mdCell = (s: string) => mdText(s).replace(/ {2}\n/g, '<br>');

export function toMarkdown(doc: ReportDocument): string {
  const out: string[] = [];
  for (const block of doc.blocks) {
    switch (block.kind) {
      case 'heading':
        out.push(`${'#'.repeat(block.level)} ${mdText(block.text)}`);
        break;
      case 'paragraph':
        out.push(mdText(block.text));
        break;
      case 'list':
        out.push(block.items.map((item) => `- ${mdText(item)}`).join('\n'));
        break;
      case 'fields':
        out.push(
          [
            '| 项目 Item | 内容 Value |',
            '| --- | --- |',
            ...block.rows.map(([k, v]) => `| ${mdCell(k)} | ${mdCell(v)} |`),
          ].join('\n'),
        );
        break;
      case 'table':
        out.push(
          [
            `| ${block.head.map(mdCell).join(' | ')} |`,
            `| ${block.head.map(() => '---').join(' | ')} |`,
            ...block.rows.map((row) => `| ${row.map(mdCell).join(' | ')} |`),
          ].join('\n'),
        );
        break;
    }
  }
  return `${out.join('\n\n')}\n`;
}

// ---- HTML ----

export const escapeHtml = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
const htmlText = (s: string) => escapeHtml(s).replace(/\r?\n/g, '<br>');

const STYLE = `
  body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif;
         color: #1a1a1a; max-width: 210mm; margin: 0 auto; padding: 12mm; line-height: 1.5; font-size: 11pt; }
  h1 { font-size: 18pt; border-bottom: 2px solid #333; padding-bottom: 4px; }
  h2 { font-size: 13pt; margin-top: 18pt; border-bottom: 1px solid #999; }
  h3 { font-size: 11pt; }
  table { border-collapse: collapse; width: 100%; margin: 6pt 0; page-break-inside: auto; }
  th, td { border: 1px solid #888; padding: 3pt 6pt; vertical-align: top; text-align: left; word-break: break-all; }
  th { background: #eee; }
  table.fields th { width: 32%; }
  tr { page-break-inside: avoid; }
  code, .mono { font-family: "DejaVu Sans Mono", monospace; font-size: 9pt; }
  @page { size: A4; margin: 15mm; }
  @media print { body { padding: 0; } h2 { page-break-after: avoid; } }
`;

/**
 * The HTML report loads and runs nothing: only its own inline <style> applies (by 'unsafe-inline', not a
 * hash, so reports stored with an older style still render), and no script, even one smuggled past the
 * escaping, may run.
 */
export const REPORT_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function toHtml(doc: ReportDocument): string {
  const out: string[] = [];
  for (const block of doc.blocks) {
    switch (block.kind) {
      case 'heading':
        out.push(`<h${block.level}>${htmlText(block.text)}</h${block.level}>`);
        break;
      case 'paragraph':
        out.push(`<p>${htmlText(block.text)}</p>`);
        break;
      case 'list':
        out.push(`<ul>${block.items.map((item) => `<li>${htmlText(item)}</li>`).join('')}</ul>`);
        break;
      case 'fields':
        out.push(
          `<table class="fields"><tbody>${block.rows
            .map(([k, v]) => `<tr><th>${htmlText(k)}</th><td>${htmlText(v)}</td></tr>`)
            .join('')}</tbody></table>`,
        );
        break;
      case 'table':
        out.push(
          `<table><thead><tr>${block.head.map((c) => `<th>${htmlText(c)}</th>`).join('')}</tr></thead><tbody>${block.rows
            .map((row) => `<tr>${row.map((c) => `<td>${htmlText(c)}</td>`).join('')}</tr>`)
            .join('')}</tbody></table>`,
        );
        break;
    }
  }
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>${escapeHtml(doc.title)}</title>
<style>${STYLE}</style>
</head>
<body>
${out.join('\n')}
</body>
</html>
`;
}
