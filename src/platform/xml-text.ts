import { TextDecoder } from 'node:util';

/** An uploaded XML file read as text, or why its bytes cannot be read. */
export type DecodedXml =
  | { readonly text: string; readonly encoding: string; readonly problem?: undefined }
  | { readonly problem: string; readonly text?: undefined };

/** The XML declaration's encoding pseudo-attribute (the declaration itself is ASCII in every ASCII-based encoding). */
const DECLARED_ENCODING = /^\s*<\?xml\s[^>]*?\bencoding\s*=\s*(["'])([^"']*)\1/;

/**
 * The text of an XML file from its bytes, as an XML reader finds the encoding (XML 1.0 appendix F): a `charset`
 * the sender named (an HTTP content type) first, then a byte order mark, then the XML declaration's encoding,
 * else UTF-8. Any encoding the runtime's TextDecoder knows is read (ISO-8859-1, windows-1252, GBK, GB18030,
 * Big5, Shift_JIS, UTF-16, ...); bytes that are not valid in it are refused rather than replaced, so a name or a
 * condition is never stored garbled. The text is kept as UTF-8 from then on, so a declaration that named another
 * encoding is rewritten to say UTF-8.
 */
export function decodeXml(bytes: Uint8Array, charset?: string): DecodedXml {
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1');
  let label: string;
  let source: string;
  if (charset) {
    label = charset;
    source = `the charset "${charset}" of the request's content type`;
  } else if (head.startsWith('\xFE\xFF') || head.startsWith('\x00<\x00?')) {
    label = 'utf-16be';
    source = 'its byte order';
  } else if (head.startsWith('\xFF\xFE') || head.startsWith('<\x00?\x00')) {
    label = 'utf-16le';
    source = 'its byte order';
  } else if (head.startsWith('\xEF\xBB\xBF')) {
    label = 'utf-8';
    source = 'its byte order mark';
  } else {
    const declared = DECLARED_ENCODING.exec(head)?.[2];
    label = declared ?? 'utf-8';
    source = declared === undefined ? 'the default' : `its XML declaration (encoding="${declared}")`;
    if (declared !== undefined && /^(utf-?16|ucs-?2|utf-?32)/i.test(declared.trim()))
      return {
        problem: `the XML declaration says encoding="${declared}", but the file is not written in it: save it as UTF-8`,
      };
  }

  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label.trim(), { fatal: true });
  } catch {
    return { problem: `the encoding "${label}" (from ${source}) is not supported: save the file as UTF-8` };
  }
  let text: string;
  try {
    text = decoder.encoding === 'windows-1252' ? decodeWindows1252(bytes) : decoder.decode(bytes);
  } catch {
    return {
      problem:
        `the file is not valid ${decoder.encoding} text (the encoding from ${source}): name the encoding it was ` +
        'saved in in its XML declaration (for example encoding="ISO-8859-1"), or save it as UTF-8',
    };
  }
  // XML allows no NUL anywhere, and PostgreSQL cannot store one in text.
  if (text.includes('\u0000'))
    return {
      problem: `the file contains a NUL character (at offset ${text.indexOf('\u0000')}), which XML does not allow`,
    };
  if (decoder.encoding !== 'utf-8') text = declareUtf8(text);
  return { text, encoding: decoder.encoding };
}

/** The same text with its XML declaration (when it names an encoding) saying UTF-8. */
function declareUtf8(text: string): string {
  const declaration = DECLARED_ENCODING.exec(text);
  if (!declaration) return text;
  const [whole, quote] = declaration;
  const at = whole.lastIndexOf('encoding');
  return `${text.slice(0, at)}encoding=${quote}UTF-8${quote}${text.slice(whole.length)}`;
}

/**
 * Bytes 0x80 to 0x9F of windows-1252 (which the Encoding Standard also reads for ISO-8859-1 and ASCII labels):
 * "€", typographic quotes, dashes. Node's TextDecoder reads them as C1 controls (nodejs/node#60888), losing a
 * designer's euro signs and quotes, so this one encoding is read here.
 */
const WINDOWS_1252_HIGH =
  '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F' +
  '\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178';

function decodeWindows1252(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('latin1')
    .replace(/[\u0080-\u009F]/g, (c) => WINDOWS_1252_HIGH[c.charCodeAt(0) - 0x80]!);
}
