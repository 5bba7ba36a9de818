import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { firstProcessingInstruction, MAX_XML_DEPTH, nestsDeeperThan, untrustedXmlProblem } from './xml-guard';

describe('XML nesting depth', () => {
  it('counts start tags, not self-closing ones, comments, CDATA, declarations or quoted ">"', () => {
    expect(nestsDeeperThan('<a><b><c/></b></a>', 2)).toBe(false);
    expect(nestsDeeperThan('<a><b><c></c></b></a>', 2)).toBe(true);
    expect(
      nestsDeeperThan('<?xml version="1.0"?><!-- <x><y><z> --><a x="1 > 0"><![CDATA[<p><q>]]></a>', 1),
    ).toBe(false);
    expect(nestsDeeperThan('<a><b x="/>"><c>', 2)).toBe(true);
    expect(nestsDeeperThan('<a><b', 1)).toBe(true);
  });

  it('lets the shipped flows through', () => {
    const dir = join(__dirname, '..', '..', 'processes');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.bpmn'))) {
      expect(nestsDeeperThan(readFileSync(join(dir, file), 'utf8'), MAX_XML_DEPTH)).toBe(false);
      expect(nestsDeeperThan(readFileSync(join(dir, file), 'utf8'), 12)).toBe(false);
    }
  });
});

describe('firstProcessingInstruction', () => {
  it('finds a processing instruction after the XML declaration, outside comments and CDATA', () => {
    expect(firstProcessingInstruction('<?xml version="1.0"?><a/>')).toBeUndefined();
    expect(
      firstProcessingInstruction('\uFEFF <?xml version="1.0" encoding="UTF-8"?>\n<a><!-- <?x?> --></a>'),
    ).toBeUndefined();
    expect(firstProcessingInstruction('<a><![CDATA[<?x?>]]></a>')).toBeUndefined();
    expect(
      firstProcessingInstruction('<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="x.xsl"?><a/>'),
    ).toBe('xml-stylesheet');
    expect(firstProcessingInstruction('<?xml-stylesheet href="x.xsl"?><a/>')).toBe('xml-stylesheet');
    expect(firstProcessingInstruction('<a><?php echo 1 ?></a>')).toBe('php');
    expect(firstProcessingInstruction('<a/><?xml version="1.0"?>')).toBe('xml');
  });
});

describe('untrustedXmlProblem', () => {
  it('names what keeps an uploaded document from the parser, and lets a plain one through', () => {
    expect(untrustedXmlProblem('<?xml version="1.0"?><a><b/></a>')).toBeUndefined();
    expect(untrustedXmlProblem('<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>')).toBe(
      'document type declarations and entities are not allowed',
    );
    expect(untrustedXmlProblem('<?xml-stylesheet href="x.xsl"?><a/>')).toMatch(
      /processing instructions are not allowed \(found <\?xml-stylesheet\)/,
    );
    expect(untrustedXmlProblem(`${'<a>'.repeat(MAX_XML_DEPTH + 1)}`)).toBe(
      `elements may nest at most ${MAX_XML_DEPTH} levels deep`,
    );
  });
});
