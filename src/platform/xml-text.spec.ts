import { decodeXml } from './xml-text';

const declared = (encoding: string, body: string) =>
  `<?xml version="1.0" encoding="${encoding}" standalone="yes"?>\n<a name="${body}"/>`;

describe('reading an uploaded XML file by its encoding', () => {
  it('reads UTF-8 when nothing names an encoding, and after a byte order mark', () => {
    const text = '<a name="Prüfung 审批"/>';
    expect(decodeXml(Buffer.from(text, 'utf8'))).toEqual({ text, encoding: 'utf-8' });
    expect(decodeXml(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]))).toEqual({
      text,
      encoding: 'utf-8',
    });
  });

  it.each([
    ['ISO-8859-1', 'latin1'],
    ['windows-1252', 'latin1'],
    ['iso-8859-1', 'latin1'],
  ] as const)('reads a file declared %s, and declares the text UTF-8 from then on', (encoding, bytesAs) => {
    const bytes = Buffer.from(declared(encoding, 'Prüfung à côté'), bytesAs);
    expect(bytes.includes(Buffer.from('ü', 'utf8'))).toBe(false);
    expect(decodeXml(bytes)).toEqual({
      text: declared('UTF-8', 'Prüfung à côté'),
      encoding: 'windows-1252',
    });
  });

  it('reads the euro sign, quotes and dashes of windows-1252 (also under an ISO-8859-1 label)', () => {
    const bytes = (encoding: string) =>
      Buffer.concat([
        Buffer.from(`<?xml version="1.0" encoding="${encoding}"?><a name="`),
        Buffer.from([0x80, 0x20, 0x84, 0x93, 0x94, 0x20, 0x96, 0x20, 0x99, 0xe9]),
        Buffer.from('"/>'),
      ]);
    for (const encoding of ['windows-1252', 'ISO-8859-1'])
      expect(decodeXml(bytes(encoding)).text).toBe(
        '<?xml version="1.0" encoding="UTF-8"?><a name="€ „“” – ™é"/>',
      );
  });

  it('reads GBK and UTF-16 files', () => {
    // 审批 in GBK
    const gbk = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="GBK"?><a name="'),
      Buffer.from([0xc9, 0xf3, 0xc5, 0xfa]),
      Buffer.from('"/>'),
    ]);
    expect(decodeXml(gbk).text).toBe('<?xml version="1.0" encoding="UTF-8"?><a name="审批"/>');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(declared('UTF-16', 'é'), 'utf16le')]);
    expect(decodeXml(utf16).text).toBe(declared('UTF-8', 'é'));
  });

  it('lets the sender name the charset, ahead of the declaration', () => {
    const bytes = Buffer.from(declared('ISO-8859-1', 'é'), 'utf8');
    expect(decodeXml(bytes, 'utf-8').text).toBe(declared('ISO-8859-1', 'é'));
  });

  it('names an encoding it does not know', () => {
    expect(decodeXml(Buffer.from(declared('EBCDIC-FR', 'x'))).problem).toMatch(
      /^the encoding "EBCDIC-FR" \(from its XML declaration \(encoding="EBCDIC-FR"\)\) is not supported: save the file as UTF-8$/,
    );
    expect(decodeXml(Buffer.from('<a/>'), 'x-unknown').problem).toMatch(/charset "x-unknown"/);
  });

  it('refuses bytes that are not valid in the encoding instead of replacing them', () => {
    const latin1WithoutDeclaration = Buffer.from('<a name="Prüfung"/>', 'latin1');
    expect(decodeXml(latin1WithoutDeclaration).problem).toMatch(
      /not valid utf-8 text \(the encoding from the default\).*encoding="ISO-8859-1"/,
    );
    expect(decodeXml(Buffer.from(declared('UTF-16', 'x'))).problem).toMatch(/save it as UTF-8/);
    expect(decodeXml(Buffer.from('<a>\u0000</a>')).problem).toMatch(/NUL character \(at offset 3\)/);
  });
});
