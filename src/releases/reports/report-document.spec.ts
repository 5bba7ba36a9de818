import { fields, h, list, p, table, toHtml, toMarkdown } from './report-document';

const doc = {
  title: 'Report <1>',
  blocks: [
    h(1, 'Report <1>'),
    p('line one\nline two'),
    fields([
      ['名称 | name', 'a|b'],
      ['empty', null],
    ]),
    table(['#', 'file'], [['1', '<script>alert(1)</script>']]),
    table(['x'], []),
    list(['*bold*', 'plain']),
  ],
};

describe('report documents', () => {
  it('renders Markdown with table cells and text escaped', () => {
    const md = toMarkdown(doc);
    expect(md).toContain('# Report \\<1\\>');
    expect(md).toContain('line one  \nline two');
    expect(md).toContain('| 名称 \\| name | a\\|b |');
    expect(md).toContain('| empty | — |');
    expect(md).toContain('| 1 | \\<script\\>alert(1)\\</script\\> |');
    expect(md).toContain('（无 none）');
    expect(md).toContain('- \\*bold\\*');
  });

  it('renders a printable HTML page with everything escaped', () => {
    const html = toHtml(doc);
    expect(html).toMatch(/^<!doctype html>\n<html lang="zh-CN">/);
    expect(html).toContain('<title>Report &lt;1&gt;</title>');
    expect(html).toContain('<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>');
    expect(html).not.toContain('<script>');
    expect(html).toContain('line one<br>line two');
    expect(html).toContain('@media print');
  });
});
