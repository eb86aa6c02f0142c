import { expect } from 'chai';
import { OssError } from '../../lib/errors.js';
import { buildCompleteMultipartUpload } from '../../lib/core/xml.js';
import { parseCompleteMultipartUpload, parseDeleteRequest, parseTaggingRequest } from '../../lib/server/request-xml.js';

const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

describe('server/request-xml', () => {
  describe('parseCompleteMultipartUpload', () => {
    it('reads pretty-printed bodies with &quot; ETags and a declaration', () => {
      const xml = `${DECL}<CompleteMultipartUpload>
<Part>
  <PartNumber> 1 </PartNumber>
  <ETag>&quot;3349DC700140D7F86A0784842780A001&quot;</ETag>
</Part>
<Part><PartNumber>3</PartNumber><ETag>"8EFDA8BE206636A695359836FE0A0E0A"</ETag><Unknown>ignored</Unknown></Part>
</CompleteMultipartUpload>`;
      expect(parseCompleteMultipartUpload(xml)).to.deep.equal([
        { partNumber: 1, etag: '"3349DC700140D7F86A0784842780A001"' },
        { partNumber: 3, etag: '"8EFDA8BE206636A695359836FE0A0E0A"' },
      ]);
    });

    it('keeps order and duplicates for the server to judge', () => {
      const xml = buildCompleteMultipartUpload([
        { partNumber: 2, etag: 'b' },
        { partNumber: 1, etag: 'a' },
        { partNumber: 2, etag: 'c' },
      ]);
      expect(parseCompleteMultipartUpload(xml).map((p) => p.partNumber)).to.deep.equal([2, 1, 2]);
    });

    const part = (inner: string) => `<CompleteMultipartUpload><Part>${inner}</Part></CompleteMultipartUpload>`;
    const MALFORMED: Array<[string, string, RegExp]> = [
      ['empty body', '', /empty body/],
      ['not XML', 'hello', /not well-formed/],
      ['truncated', '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>', /not well-formed/],
      [
        'wrong root',
        '<CompleteUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part></CompleteUpload>',
        /root element <CompleteMultipartUpload>/,
      ],
      ['two roots', '<CompleteMultipartUpload/><CompleteMultipartUpload/>', /must appear once/],
      [
        'a second root',
        '<CompleteMultipartUpload/><X/>',
        /root element <CompleteMultipartUpload>, got <CompleteMultipartUpload>, <X>/,
      ],
      ['text in the root', '<CompleteMultipartUpload>hello</CompleteMultipartUpload>', /must contain elements/],
      ['missing PartNumber', part('<ETag>e</ETag>'), /<PartNumber> is missing/],
      ['missing ETag', part('<PartNumber>1</PartNumber>'), /<ETag> is missing/],
      [
        'fractional PartNumber',
        part('<PartNumber>1.5</PartNumber><ETag>e</ETag>'),
        /<PartNumber> must be a non-negative integer, got "1.5"/,
      ],
      ['negative PartNumber', part('<PartNumber>-1</PartNumber><ETag>e</ETag>'), /non-negative integer/],
      ['hex PartNumber', part('<PartNumber>0x10</PartNumber><ETag>e</ETag>'), /non-negative integer/],
      ['empty PartNumber', part('<PartNumber></PartNumber><ETag>e</ETag>'), /non-negative integer/],
      ['huge PartNumber', part('<PartNumber>99999999999999999999</PartNumber><ETag>e</ETag>'), /non-negative integer/],
      [
        'repeated PartNumber',
        part('<PartNumber>1</PartNumber><PartNumber>2</PartNumber><ETag>e</ETag>'),
        /must appear once/,
      ],
      ['nested ETag', part('<PartNumber>1</PartNumber><ETag><x/></ETag>'), /must contain text/],
      ['DOCTYPE', '<!DOCTYPE c [<!ENTITY e "x">]><CompleteMultipartUpload/>', /DOCTYPE/],
      ['unclosed entity', part('<PartNumber>1</PartNumber><ETag>a & b</ETag>'), /not well-formed/],
    ];
    for (const [name, xml, re] of MALFORMED) {
      it(`rejects ${name} with a MalformedXML Error`, () => {
        try {
          parseCompleteMultipartUpload(xml);
        } catch (err) {
          expect(err).to.be.instanceOf(Error);
          expect(err).not.to.be.instanceOf(OssError);
          expect((err as { code?: string }).code).to.equal('MalformedXML');
          expect((err as Error).message).to.match(/^The XML you provided was not well-formed/);
          expect((err as Error).message).to.match(re);
          return;
        }
        expect.fail('expected MalformedXML');
      });
    }
  });

  describe('parseDeleteRequest and parseTaggingRequest', () => {
    it('read keys and tags verbatim, in document order', () => {
      const del =
        '<Delete><Quiet> TRUE </Quiet><Object><Key> a&amp;b </Key></Object><Object><Key>c%2F</Key></Object></Delete>';
      expect(parseDeleteRequest(del)).to.deep.equal({ quiet: true, keys: [' a&b ', 'c%2F'] });
      const tags = '<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag><Tag><Key>e</Key></Tag></TagSet></Tagging>';
      expect(parseTaggingRequest(tags)).to.deep.equal([
        ['k', 'v'],
        ['e', ''],
      ]);
    });

    it('reject what OSS rejects with MalformedXML', () => {
      for (const fn of [
        () => parseDeleteRequest('<Delete><Quiet>maybe</Quiet></Delete>'),
        () => parseDeleteRequest('<Delete><Object><VersionId>1</VersionId></Object></Delete>'),
        () => parseTaggingRequest('<Tagging/>'),
      ]) {
        expect(fn).to.throw(Error).with.property('code', 'MalformedXML');
      }
    });
  });
});
