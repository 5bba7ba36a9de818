/** Deeper than any BPMN or DMN file nests (definitions, process, sub-elements, extensions: about ten levels). */
export const MAX_XML_DEPTH = 100;

/**
 * Why an uploaded XML text (BPMN, DMN) must not reach a parser, or undefined when it may. Checked before any
 * parsing: document type declarations are the door to entity expansion and external entities, processing
 * instructions (xml-stylesheet and the like) ask a reader to fetch or run something, and a deep nesting costs a
 * recursive reader its stack.
 */
export function untrustedXmlProblem(xml: string): string | undefined {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return 'document type declarations and entities are not allowed';
  const instruction = firstProcessingInstruction(xml);
  if (instruction !== undefined)
    return `processing instructions are not allowed (found <?${instruction}); only the XML declaration is`;
  if (nestsDeeperThan(xml, MAX_XML_DEPTH)) return `elements may nest at most ${MAX_XML_DEPTH} levels deep`;
  return undefined;
}

/**
 * Whether the element nesting of an XML text goes deeper than `limit`, found in one linear scan before any
 * parser (or, later, a browser's modeler) walks the tree recursively. Comments, CDATA, processing
 * instructions, declarations and quoted attribute values are skipped; the text need not be well-formed.
 */
export function nestsDeeperThan(xml: string, limit: number): boolean {
  let depth = 0;
  let i = xml.indexOf('<');
  while (i !== -1 && i < xml.length) {
    if (xml.startsWith('<!--', i)) i = skipPast(xml, i + 4, '-->');
    else if (xml.startsWith('<![CDATA[', i)) i = skipPast(xml, i + 9, ']]>');
    else if (xml.startsWith('<?', i)) i = skipPast(xml, i + 2, '?>');
    else if (xml.startsWith('<!', i)) i = skipPast(xml, i + 2, '>');
    else if (xml.startsWith('</', i)) {
      depth = Math.max(0, depth - 1);
      i = skipPast(xml, i + 2, '>');
    } else {
      // A start tag: find its end outside quoted attribute values.
      let j = i + 1;
      let quote: string | undefined;
      for (; j < xml.length; j++) {
        const c = xml[j];
        if (quote) {
          if (c === quote) quote = undefined;
        } else if (c === '"' || c === "'") quote = c;
        else if (c === '>') break;
      }
      if (xml[j - 1] !== '/' && ++depth > limit) return true;
      i = j + 1;
    }
    if (i === -1) break;
    i = xml.indexOf('<', i);
  }
  return false;
}

/**
 * The target of the first processing instruction in an XML text (such as `xml-stylesheet`), skipping comments
 * and CDATA; the XML declaration at the very start does not count. Undefined when there is none.
 */
export function firstProcessingInstruction(xml: string): string | undefined {
  const declaration = /^\uFEFF?\s*<\?xml[\s?]/.exec(xml);
  let i = declaration ? skipPast(xml, declaration[0].length, '?>') : xml.indexOf('<');
  if (i !== -1) i = xml.indexOf('<', i);
  while (i !== -1 && i < xml.length) {
    if (xml.startsWith('<!--', i)) i = skipPast(xml, i + 4, '-->');
    else if (xml.startsWith('<![CDATA[', i)) i = skipPast(xml, i + 9, ']]>');
    else if (xml.startsWith('<?', i)) return /^[^\s?]*/.exec(xml.slice(i + 2, i + 66))![0] || '?';
    else i += 1;
    if (i === -1) break;
    i = xml.indexOf('<', i);
  }
  return undefined;
}

function skipPast(xml: string, from: number, end: string): number {
  const at = xml.indexOf(end, from);
  return at === -1 ? -1 : at + end.length;
}
