import { expect } from 'chai';
import fc from 'fast-check';
import { LIMITS } from '../../lib/config.js';
import { OssError } from '../../lib/errors.js';
import {
  buildCompleteMultipartUpload,
  buildCompleteMultipartUploadResult,
  buildErrorXml,
  buildInitiateMultipartUploadResult,
  buildListAllMyBucketsResult,
  buildListBucketResult,
  buildListMultipartUploadsResult,
  buildListPartsResult,
  parseCompleteMultipartUploadResult,
  parseErrorXml,
  parseInitiateMultipartUploadResult,
  parseListAllMyBucketsResult,
  parseListBucketResult,
  parseListMultipartUploadsResult,
  parseListPartsResult,
  type ListBucketResult,
  type ListMultipartUploadsResult,
  type ListPartsResult,
} from '../../lib/core/xml.js';
import { parseCompleteMultipartUpload } from '../../lib/server/request-xml.js';

const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Keys that break naive XML or URL handling. */
const NASTY_KEYS = [
  'plain.txt',
  'a&b<c>d"e\'f.txt',
  '&amp; is literal text',
  '&#65; also literal',
  ']]> and <![CDATA[',
  '  leading and trailing spaces  ',
  'tab\tnewline\nend',
  'carriage\rreturn',
  '中文/目录/文件.txt',
  'emoji 😀/ok',
  'a/b c+d?#%.txt',
  '0004B9895DBBB6EC98E36',
  '12345',
  'true',
];

const expectCode = (fn: () => unknown, code: string, re?: RegExp): void => {
  try {
    fn();
  } catch (err) {
    expect((err as { code?: string }).code).to.equal(code);
    if (re !== undefined) expect((err as Error).message).to.match(re);
    return;
  }
  expect.fail(`expected an error with code ${code}`);
};

const invalidResponse = (fn: () => unknown, re: RegExp): void => {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(OssError);
    expect((err as OssError).code).to.equal('InvalidResponse');
    expect((err as Error).message).to.match(re);
    return;
  }
  expect.fail('expected an InvalidResponse OssError');
};

const listParts = (over: Partial<ListPartsResult> = {}): ListPartsResult => ({
  bucket: 'examplebucket',
  key: 'multipart.data',
  uploadId: '0004B999EF5A239BB9138C6227D69F95',
  partNumberMarker: 0,
  nextPartNumberMarker: 2,
  maxParts: 1000,
  isTruncated: false,
  parts: [
    {
      partNumber: 1,
      lastModified: '2012-02-23T07:01:34.000Z',
      etag: '"3349DC700140D7F86A0784842780A001"',
      size: 6291456,
      hashCrc64ecma: '18446744073709551615',
    },
    { partNumber: 2, lastModified: '2012-02-23T07:01:12.000Z', etag: '"3349DC700140D7F86A0784842780A002"', size: 1024 },
  ],
  ...over,
});

const listUploads = (over: Partial<ListMultipartUploadsResult> = {}): ListMultipartUploadsResult => ({
  bucket: 'oss-example',
  keyMarker: '',
  uploadIdMarker: '',
  nextKeyMarker: 'oss.avi',
  nextUploadIdMarker: '0004B99B8E707874FC2D692FA5D77D3F',
  delimiter: '',
  prefix: '',
  maxUploads: 1000,
  isTruncated: false,
  uploads: [
    { key: 'multipart.data', uploadId: '0004B999EF518A1FE585B0C9360DC4C8', initiated: '2012-02-23T04:18:23.000Z' },
    {
      key: 'oss.avi',
      uploadId: '0004B99B8E707874FC2D692FA5D77D3F',
      initiated: '2012-02-23T06:14:27.000Z',
      storageClass: 'Standard',
    },
  ],
  commonPrefixes: [],
  ...over,
});

const listBucket = (over: Partial<ListBucketResult> = {}): ListBucketResult => ({
  name: 'examplebucket',
  prefix: 'fun/',
  marker: '',
  maxKeys: 100,
  delimiter: '/',
  isTruncated: true,
  nextMarker: 'fun/movie/007.avi',
  contents: [
    {
      key: 'fun/movie/001.avi',
      lastModified: '2012-02-24T08:43:07.000Z',
      etag: '"5B3C1A2E053D763E1B002CC607C5A0FE"',
      type: 'Normal',
      size: 344606,
      storageClass: 'Standard',
    },
  ],
  commonPrefixes: ['fun/movie/', 'fun/test/'],
  ...over,
});

describe('core/xml', () => {
  describe('client: CompleteMultipartUpload body', () => {
    it('writes a declaration and the parts in the order given, ETags verbatim (quotes not escaped)', () => {
      const xml = buildCompleteMultipartUpload([
        { partNumber: 1, etag: '"3349DC700140D7F86A0784842780A001"' },
        { partNumber: 5, etag: '"8EFDA8BE206636A695359836FE0A0E0A"' },
      ]);
      expect(xml).to.equal(
        `${DECL}<CompleteMultipartUpload>` +
          '<Part><PartNumber>1</PartNumber><ETag>"3349DC700140D7F86A0784842780A001"</ETag></Part>' +
          '<Part><PartNumber>5</PartNumber><ETag>"8EFDA8BE206636A695359836FE0A0E0A"</ETag></Part>' +
          '</CompleteMultipartUpload>',
      );
    });

    it('escapes markup in ETags and round-trips through the server parser', () => {
      const parts = [
        { partNumber: 1, etag: '"a&b<c>"' },
        { partNumber: 2, etag: '12345678901234567890' },
        { partNumber: 10000, etag: "'x'" },
      ];
      const xml = buildCompleteMultipartUpload(parts);
      expect(xml).to.contain('<ETag>"a&amp;b&lt;c&gt;"</ETag>');
      expect(parseCompleteMultipartUpload(xml)).to.deep.equal(parts);
    });

    it('writes an empty element for no parts', () => {
      expect(buildCompleteMultipartUpload([])).to.equal(`${DECL}<CompleteMultipartUpload></CompleteMultipartUpload>`);
      expect(parseCompleteMultipartUpload(buildCompleteMultipartUpload([]))).to.deep.equal([]);
    });
  });

  describe('client: parsing results as OSS sends them', () => {
    it('InitiateMultipartUploadResult keeps a numeric-looking upload id a string', () => {
      const xml = `${DECL}<InitiateMultipartUploadResult xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com">
    <Bucket>oss-example</Bucket>
    <Key>multipart.data</Key>
    <UploadId>0004B9894A22E5B1888A1E29F8236E2D</UploadId>
</InitiateMultipartUploadResult>`;
      expect(parseInitiateMultipartUploadResult(xml)).to.deep.equal({
        bucket: 'oss-example',
        key: 'multipart.data',
        uploadId: '0004B9894A22E5B1888A1E29F8236E2D',
      });
      const digits = parseInitiateMultipartUploadResult(
        '<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>007</Key><UploadId>000123456789012345678901</UploadId></InitiateMultipartUploadResult>',
      );
      expect(digits.uploadId).to.equal('000123456789012345678901');
      expect(digits.key).to.equal('007');
    });

    it('CompleteMultipartUploadResult decodes &quot; in the ETag', () => {
      const xml = `${DECL}<CompleteMultipartUploadResult xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com">
  <EncodingType>url</EncodingType>
  <Location>http://oss-example.oss-cn-hangzhou.aliyuncs.com/multipart.data</Location>
  <Bucket>oss-example</Bucket>
  <Key>dir%2Fmultipart%20data%2B1</Key>
  <ETag>&quot;B864DB6A936D376F9F8D3ED3BBE540DD-3&quot;</ETag>
</CompleteMultipartUploadResult>`;
      expect(parseCompleteMultipartUploadResult(xml)).to.deep.equal({
        location: 'http://oss-example.oss-cn-hangzhou.aliyuncs.com/multipart.data',
        bucket: 'oss-example',
        key: 'dir/multipart data+1',
        etag: '"B864DB6A936D376F9F8D3ED3BBE540DD-3"',
        encodingType: 'url',
      });
      expect(parseCompleteMultipartUploadResult(xml, false).key).to.equal('dir%2Fmultipart%20data%2B1');
    });

    it('ListPartsResult: one part is still an array; numbers only where numeric; CRC64 stays a string', () => {
      const xml = `${DECL}<ListPartsResult xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com">
    <Bucket>multipart_upload</Bucket>
    <Key>multipart.data</Key>
    <UploadId>0004B999EF5A239BB9138C6227D69F95</UploadId>
    <NextPartNumberMarker>1</NextPartNumberMarker>
    <MaxParts>1000</MaxParts>
    <IsTruncated>false</IsTruncated>
    <Part>
        <PartNumber>1</PartNumber>
        <LastModified>2012-02-23T07:01:34.000Z</LastModified>
        <ETag>&quot;12345678901234567890123456789012&quot;</ETag>
        <HashCrc64ecma>11051210869376104954</HashCrc64ecma>
        <Size>6291456</Size>
    </Part>
</ListPartsResult>`;
      const r = parseListPartsResult(xml);
      expect(r).to.deep.equal({
        bucket: 'multipart_upload',
        key: 'multipart.data',
        uploadId: '0004B999EF5A239BB9138C6227D69F95',
        partNumberMarker: 0,
        nextPartNumberMarker: 1,
        maxParts: 1000,
        isTruncated: false,
        parts: [
          {
            partNumber: 1,
            lastModified: '2012-02-23T07:01:34.000Z',
            etag: '"12345678901234567890123456789012"',
            size: 6291456,
            hashCrc64ecma: '11051210869376104954',
          },
        ],
      });
      expect(r.parts).to.be.an('array');
    });

    it('ListPartsResult: an ETag made of digits stays a string, zero parts give []', () => {
      const xml =
        '<ListPartsResult><Bucket>b</Bucket><Key>k</Key><UploadId>1</UploadId><PartNumberMarker>0</PartNumberMarker>' +
        '<NextPartNumberMarker>0</NextPartNumberMarker><MaxParts>1</MaxParts><IsTruncated>true</IsTruncated>' +
        '<Part><PartNumber>7</PartNumber><LastModified>x</LastModified><ETag>98765432109876543210</ETag><Size>0</Size></Part></ListPartsResult>';
      const r = parseListPartsResult(xml);
      expect(r.parts[0]!.etag).to.equal('98765432109876543210');
      expect(r.uploadId).to.equal('1');
      expect(r.isTruncated).to.equal(true);
      const empty = parseListPartsResult(xml.replace(/<Part>.*<\/Part>/, ''));
      expect(empty.parts).to.deep.equal([]);
    });

    it('Size is exact up to the 48.8 TiB object limit', () => {
      const size = LIMITS.maxObjectSize;
      const xml = buildListPartsResult(listParts({ parts: [{ partNumber: 1, lastModified: '', etag: '"e"', size }] }));
      expect(xml).to.contain(`<Size>${size}</Size>`);
      expect(parseListPartsResult(xml).parts[0]!.size).to.equal(size);
      expect(String(parseListPartsResult(xml).parts[0]!.size)).to.equal('53656167435468');
    });

    it('ListMultipartUploadsResult: single upload and single common prefix are arrays', () => {
      const xml = `${DECL}<ListMultipartUploadsResult xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com">
    <Bucket>oss-example</Bucket>
    <KeyMarker></KeyMarker>
    <UploadIdMarker></UploadIdMarker>
    <NextKeyMarker>oss.avi</NextKeyMarker>
    <NextUploadIdMarker>0004B99B8E707874FC2D692FA5D77D3F</NextUploadIdMarker>
    <Delimiter>/</Delimiter>
    <Prefix></Prefix>
    <MaxUploads>1000</MaxUploads>
    <IsTruncated>false</IsTruncated>
    <Upload>
        <Key>multipart.data</Key>
        <UploadId>0004B999EF518A1FE585B0C9360DC4C8</UploadId>
        <Initiated>2012-02-23T04:18:23.000Z</Initiated>
    </Upload>
    <CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>
</ListMultipartUploadsResult>`;
      expect(parseListMultipartUploadsResult(xml)).to.deep.equal({
        bucket: 'oss-example',
        keyMarker: '',
        uploadIdMarker: '',
        nextKeyMarker: 'oss.avi',
        nextUploadIdMarker: '0004B99B8E707874FC2D692FA5D77D3F',
        delimiter: '/',
        prefix: '',
        maxUploads: 1000,
        isTruncated: false,
        uploads: [
          {
            key: 'multipart.data',
            uploadId: '0004B999EF518A1FE585B0C9360DC4C8',
            initiated: '2012-02-23T04:18:23.000Z',
          },
        ],
        commonPrefixes: ['dir/'],
      });
    });

    it('ListBucketResult with encoding-type=url (go2 SDK test document) decodes keys and markers', () => {
      const xml = `${DECL}<ListBucketResult xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com">
  <Name>oss-example</Name>
  <Prefix>hello%20world%21</Prefix>
  <Marker>hello%20</Marker>
  <MaxKeys>100</MaxKeys>
  <Delimiter>hello%20%21world</Delimiter>
  <IsTruncated>false</IsTruncated>
  <EncodingType>url</EncodingType>
  <Contents>
    <Key>fun%2Fmovie%2F001.avi</Key>
    <LastModified>2012-02-24T08:43:07.000Z</LastModified>
    <ETag>&quot;5B3C1A2E053D763E1B002CC607C5A0FE&quot;</ETag>
    <Type>Normal</Type>
    <Size>344606</Size>
    <StorageClass>Standard</StorageClass>
    <Owner><ID>00220120222</ID><DisplayName>user-example</DisplayName></Owner>
  </Contents>
</ListBucketResult>`;
      expect(parseListBucketResult(xml)).to.deep.equal({
        name: 'oss-example',
        prefix: 'hello world!',
        marker: 'hello ',
        maxKeys: 100,
        delimiter: 'hello !world',
        isTruncated: false,
        encodingType: 'url',
        contents: [
          {
            key: 'fun/movie/001.avi',
            lastModified: '2012-02-24T08:43:07.000Z',
            etag: '"5B3C1A2E053D763E1B002CC607C5A0FE"',
            type: 'Normal',
            size: 344606,
            storageClass: 'Standard',
          },
        ],
        commonPrefixes: [],
      });
    });

    it('urlDecode: true forces decoding, false suppresses it', () => {
      const xml =
        '<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>a%2Bb%20c</Key><UploadId>u</UploadId></InitiateMultipartUploadResult>';
      expect(parseInitiateMultipartUploadResult(xml).key).to.equal('a%2Bb%20c');
      expect(parseInitiateMultipartUploadResult(xml, true).key).to.equal('a+b c');
      invalidResponse(
        () => parseInitiateMultipartUploadResult(xml.replace('a%2Bb', '%E4%B8'), true),
        /percent-encoding/,
      );
    });

    it('decodes entities and character references exactly once, keeps whitespace', () => {
      const xml =
        '<InitiateMultipartUploadResult><Bucket>b</Bucket>' +
        '<Key> &amp;#65; &#65;&#x4E2D;&#x1F600; &lt;&gt;&quot;&apos;\t</Key><UploadId>u</UploadId></InitiateMultipartUploadResult>';
      expect(parseInitiateMultipartUploadResult(xml).key).to.equal(' &#65; A中😀 <>"\'\t');
    });

    it('rejects documents that are not the expected result with InvalidResponse', () => {
      invalidResponse(() => parseListPartsResult(''), /empty body/);
      invalidResponse(
        () => parseListPartsResult('<html><body>502 Bad Gateway</body></html>'),
        /expected root element <ListPartsResult>, got <html>/,
      );
      invalidResponse(() => parseListPartsResult('<ListPartsResult><Bucket>b</Bucket>'), /not well-formed/);
      invalidResponse(
        () =>
          parseInitiateMultipartUploadResult(
            '<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key></InitiateMultipartUploadResult>',
          ),
        /<UploadId> is missing/,
      );
      invalidResponse(
        () =>
          parseInitiateMultipartUploadResult(
            '<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><Key>k2</Key><UploadId>u</UploadId></InitiateMultipartUploadResult>',
          ),
        /<Key> must appear once/,
      );
      const badSize = buildListPartsResult(listParts()).replace('<Size>1024</Size>', '<Size>1e3</Size>');
      invalidResponse(() => parseListPartsResult(badSize), /<Size> must be a non-negative integer, got "1e3"/);
      const badBool = buildListPartsResult(listParts()).replace(
        '<IsTruncated>false</IsTruncated>',
        '<IsTruncated>no</IsTruncated>',
      );
      invalidResponse(() => parseListPartsResult(badBool), /<IsTruncated> must be true or false/);
      invalidResponse(() => parseListPartsResult('<!DOCTYPE x [<!ENTITY a "b">]><ListPartsResult/>'), /DOCTYPE/);
    });
  });

  describe('parseErrorXml', () => {
    it('returns every child element as a string, in document order', () => {
      const xml = `${DECL}<Error>
  <Code>SignatureDoesNotMatch</Code>
  <Message>The request signature we calculated does not match the signature you provided.</Message>
  <RequestId>57ABD896CCB80C366955****</RequestId>
  <HostId>oss-example.oss-cn-hangzhou.aliyuncs.com</HostId>
  <OSSAccessKeyId>ak</OSSAccessKeyId>
  <SignatureProvided>abc=</SignatureProvided>
  <StringToSign>PUT

text/plain
Wed, 28 Dec 2022 10:27:41 GMT
/examplebucket/a&amp;b</StringToSign>
  <EC>0002-00000040</EC>
  <RecommendDoc>https://api.aliyun.com/troubleshoot?q=0002-00000040</RecommendDoc>
</Error>`;
      const f = parseErrorXml(xml)!;
      expect(Object.keys(f)).to.deep.equal([
        'Code',
        'Message',
        'RequestId',
        'HostId',
        'OSSAccessKeyId',
        'SignatureProvided',
        'StringToSign',
        'EC',
        'RecommendDoc',
      ]);
      expect(f['StringToSign']).to.equal('PUT\n\ntext/plain\nWed, 28 Dec 2022 10:27:41 GMT\n/examplebucket/a&b');
      expect(f['EC']).to.equal('0002-00000040');
      expect(f['RequestId']).to.equal('57ABD896CCB80C366955****');
    });

    it('returns null for anything that is not an <Error> document', () => {
      for (const body of [
        '',
        '   ',
        'Bad Gateway',
        '<html><body>oops</body></html>',
        '<Error><Code>X</Code>',
        '{"Code":"X"}',
        '<ListPartsResult/>',
      ]) {
        expect(parseErrorXml(body), body).to.equal(null);
      }
      expect(parseErrorXml('<Error/>')).to.deep.equal({});
    });
  });

  describe('server: builders', () => {
    it('buildErrorXml puts Code, Message, RequestId, HostId first, then the rest in the order given', () => {
      const xml = buildErrorXml({
        EC: '0017-00000220',
        ArgumentName: 'PartNumber',
        Message: 'Part number must be an integer between 1 and 10000, inclusive.',
        HostId: 'bucket.oss-cn-hangzhou.aliyuncs.com',
        Code: 'InvalidArgument',
        ArgumentValue: '0',
        RequestId: '5C3D9175B6FC201293AD****',
      });
      expect(xml).to.equal(
        `${DECL}<Error><Code>InvalidArgument</Code>` +
          '<Message>Part number must be an integer between 1 and 10000, inclusive.</Message>' +
          '<RequestId>5C3D9175B6FC201293AD****</RequestId><HostId>bucket.oss-cn-hangzhou.aliyuncs.com</HostId>' +
          '<EC>0017-00000220</EC><ArgumentName>PartNumber</ArgumentName><ArgumentValue>0</ArgumentValue></Error>',
      );
      const fields = {
        Code: 'SignatureDoesNotMatch',
        Message: 'a<b & "c"',
        RequestId: 'r',
        HostId: 'h',
        StringToSign: 'PUT\n\n\nx\n/b/k&<>',
      };
      expect(parseErrorXml(buildErrorXml(fields))).to.deep.equal(fields);
    });

    it('buildListPartsResult writes the protocol order and escapes quotes like OSS', () => {
      const xml = buildListPartsResult(listParts({ storageClass: 'Standard', parts: [listParts().parts[0]!] }));
      expect(xml).to.equal(
        `${DECL}<ListPartsResult><Bucket>examplebucket</Bucket><Key>multipart.data</Key>` +
          '<UploadId>0004B999EF5A239BB9138C6227D69F95</UploadId><StorageClass>Standard</StorageClass>' +
          '<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>1000</MaxParts>' +
          '<IsTruncated>false</IsTruncated><Part><PartNumber>1</PartNumber><LastModified>2012-02-23T07:01:34.000Z</LastModified>' +
          '<ETag>&quot;3349DC700140D7F86A0784842780A001&quot;</ETag><HashCrc64ecma>18446744073709551615</HashCrc64ecma>' +
          '<Size>6291456</Size></Part></ListPartsResult>',
      );
    });

    it('buildInitiate/Complete results write the protocol order', () => {
      expect(
        buildInitiateMultipartUploadResult({ bucket: 'b', key: 'a b', uploadId: 'U', encodingType: 'url' }),
      ).to.equal(
        `${DECL}<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>a%20b</Key><UploadId>U</UploadId><EncodingType>url</EncodingType></InitiateMultipartUploadResult>`,
      );
      expect(
        buildCompleteMultipartUploadResult({ location: 'http://b.h/k', bucket: 'b', key: 'k', etag: '"E-2"' }),
      ).to.equal(
        `${DECL}<CompleteMultipartUploadResult><Location>http://b.h/k</Location><Bucket>b</Bucket><Key>k</Key><ETag>&quot;E-2&quot;</ETag></CompleteMultipartUploadResult>`,
      );
    });

    it('buildListMultipartUploadsResult and buildListBucketResult write the protocol order', () => {
      const up = buildListMultipartUploadsResult(
        listUploads({ uploads: [listUploads().uploads[1]!], commonPrefixes: ['d/'] }),
      );
      expect(up).to.equal(
        `${DECL}<ListMultipartUploadsResult><Bucket>oss-example</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>` +
          '<NextKeyMarker>oss.avi</NextKeyMarker><NextUploadIdMarker>0004B99B8E707874FC2D692FA5D77D3F</NextUploadIdMarker>' +
          '<Delimiter></Delimiter><Prefix></Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>' +
          '<Upload><Key>oss.avi</Key><UploadId>0004B99B8E707874FC2D692FA5D77D3F</UploadId><StorageClass>Standard</StorageClass>' +
          '<Initiated>2012-02-23T06:14:27.000Z</Initiated></Upload><CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes>' +
          '</ListMultipartUploadsResult>',
      );
      const lb = buildListBucketResult(listBucket({ commonPrefixes: ['fun/movie/'] }));
      expect(lb).to.equal(
        `${DECL}<ListBucketResult><Name>examplebucket</Name><Prefix>fun/</Prefix><Marker></Marker><MaxKeys>100</MaxKeys>` +
          '<Delimiter>/</Delimiter><IsTruncated>true</IsTruncated><NextMarker>fun/movie/007.avi</NextMarker>' +
          '<Contents><Key>fun/movie/001.avi</Key><LastModified>2012-02-24T08:43:07.000Z</LastModified>' +
          '<ETag>&quot;5B3C1A2E053D763E1B002CC607C5A0FE&quot;</ETag><Type>Normal</Type><Size>344606</Size>' +
          '<StorageClass>Standard</StorageClass><Owner><ID></ID><DisplayName></DisplayName></Owner></Contents><CommonPrefixes><Prefix>fun/movie/</Prefix></CommonPrefixes>' +
          '</ListBucketResult>',
      );
    });

    it('with encodingType url, encodes key fields like OSS (RFC 3986, "/" as %2F) and not ids', () => {
      const xml = buildListBucketResult(
        listBucket({
          encodingType: 'url',
          prefix: 'a b/',
          contents: [{ ...listBucket().contents[0]!, key: "a b/c+d!'()*~\u0001中" }],
        }),
      );
      expect(xml).to.contain('<Prefix>a%20b%2F</Prefix>');
      expect(xml).to.contain('<Key>a%20b%2Fc%2Bd%21%27%28%29%2A~%01%E4%B8%AD</Key>');
      expect(xml).to.contain('<EncodingType>url</EncodingType><IsTruncated>');
      const up = buildListMultipartUploadsResult(listUploads({ encodingType: 'url', nextUploadIdMarker: 'a b' }));
      expect(up).to.contain('<NextUploadIdMarker>a b</NextUploadIdMarker>');
    });
  });

  describe('round trips: every builder parses back to its input', () => {
    for (const encodingType of [undefined, 'url']) {
      const enc = encodingType === undefined ? {} : { encodingType };
      const label = encodingType === undefined ? 'plain' : 'encoding-type=url';

      it(`Initiate / Complete results with special keys (${label})`, () => {
        for (const key of NASTY_KEYS) {
          const init = { bucket: 'b', key, uploadId: '0004B9895DBBB6EC98E36', ...enc };
          expect(parseInitiateMultipartUploadResult(buildInitiateMultipartUploadResult(init)), key).to.deep.equal(init);
          const done = {
            location: `http://b.oss-cn-hangzhou.aliyuncs.com/${key}`,
            bucket: 'b',
            key,
            etag: '"12345678901234567890-3"',
            ...enc,
          };
          expect(parseCompleteMultipartUploadResult(buildCompleteMultipartUploadResult(done)), key).to.deep.equal(done);
        }
      });

      it(`ListParts with special keys, one part and no parts (${label})`, () => {
        for (const key of NASTY_KEYS) {
          for (const parts of [[], [listParts().parts[0]!], listParts().parts]) {
            const r = listParts({ key, parts, ...enc });
            expect(parseListPartsResult(buildListPartsResult(r)), key).to.deep.equal(r);
          }
        }
      });

      it(`ListMultipartUploads with special keys and markers (${label})`, () => {
        for (const key of NASTY_KEYS) {
          const r = listUploads({
            keyMarker: key,
            nextKeyMarker: key,
            prefix: key,
            delimiter: key,
            uploads: [{ key, uploadId: '123', initiated: '2012-02-23T04:18:23.000Z' }],
            commonPrefixes: [key],
            ...enc,
          });
          expect(parseListMultipartUploadsResult(buildListMultipartUploadsResult(r)), key).to.deep.equal(r);
        }
        const empty = listUploads({ uploads: [], commonPrefixes: [], ...enc });
        expect(parseListMultipartUploadsResult(buildListMultipartUploadsResult(empty))).to.deep.equal(empty);
      });

      it(`ListBucket with special keys, with and without NextMarker (${label})`, () => {
        for (const key of NASTY_KEYS) {
          const r = listBucket({
            prefix: key,
            marker: key,
            delimiter: key,
            nextMarker: key,
            contents: [{ ...listBucket().contents[0]!, key }],
            commonPrefixes: [key],
            ...enc,
          });
          expect(parseListBucketResult(buildListBucketResult(r)), key).to.deep.equal(r);
        }
        const { nextMarker: _drop, ...rest } = listBucket({
          isTruncated: false,
          contents: [],
          commonPrefixes: [],
          ...enc,
        });
        expect(parseListBucketResult(buildListBucketResult(rest))).to.deep.equal(rest);
      });
    }

    it('ListAllMyBuckets, with one bucket, several, and none', () => {
      const one = {
        owner: { id: '51264', displayName: '51264' },
        buckets: [
          {
            name: 'app-base-oss',
            creationDate: '2014-02-17T18:12:43.000Z',
            extranetEndpoint: 'oss-cn-shanghai.aliyuncs.com',
            intranetEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
            location: 'oss-cn-shanghai',
            region: 'cn-shanghai',
            storageClass: 'Standard',
          },
        ],
      };
      const xml = buildListAllMyBucketsResult(one);
      expect(xml).to.equal(
        `${DECL}<ListAllMyBucketsResult><Owner><ID>51264</ID><DisplayName>51264</DisplayName></Owner><Buckets><Bucket>` +
          '<CreationDate>2014-02-17T18:12:43.000Z</CreationDate><ExtranetEndpoint>oss-cn-shanghai.aliyuncs.com</ExtranetEndpoint>' +
          '<IntranetEndpoint>oss-cn-shanghai-internal.aliyuncs.com</IntranetEndpoint><Location>oss-cn-shanghai</Location>' +
          '<Name>app-base-oss</Name><Region>cn-shanghai</Region><StorageClass>Standard</StorageClass></Bucket></Buckets>' +
          '</ListAllMyBucketsResult>',
      );
      expect(parseListAllMyBucketsResult(xml)).to.deep.equal(one);
      const two = {
        buckets: [
          { name: 'a-1', creationDate: 'x' },
          { name: 'b-2', creationDate: 'y' },
        ],
      };
      expect(parseListAllMyBucketsResult(buildListAllMyBucketsResult(two))).to.deep.equal(two);
      expect(parseListAllMyBucketsResult(buildListAllMyBucketsResult({ buckets: [] }))).to.deep.equal({ buckets: [] });
    });

    it('ListAllMyBuckets with paging fields, in the order OSS writes them', () => {
      const paged = {
        paging: { prefix: 'my', marker: 'mybucket', maxKeys: 10, isTruncated: true, nextMarker: 'mybucket10' },
        owner: { id: '1', displayName: '1' },
        buckets: [{ name: 'mybucket1', creationDate: '2014-02-17T18:12:43.000Z' }],
      };
      const xml = buildListAllMyBucketsResult(paged);
      expect(xml).to.equal(
        `${DECL}<ListAllMyBucketsResult><Prefix>my</Prefix><Marker>mybucket</Marker><MaxKeys>10</MaxKeys>` +
          '<IsTruncated>true</IsTruncated><NextMarker>mybucket10</NextMarker><Owner><ID>1</ID><DisplayName>1</DisplayName></Owner>' +
          '<Buckets><Bucket><CreationDate>2014-02-17T18:12:43.000Z</CreationDate><Name>mybucket1</Name></Bucket></Buckets>' +
          '</ListAllMyBucketsResult>',
      );
      expect(parseListAllMyBucketsResult(xml)).to.deep.equal(paged);
      const last = { paging: { prefix: '', marker: 'a', maxKeys: 100, isTruncated: false }, buckets: [] };
      expect(parseListAllMyBucketsResult(buildListAllMyBucketsResult(last))).to.deep.equal(last);
    });

    it('property: any well-formed Unicode key survives ListBucket and ListParts, plain and url-encoded', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.boolean(), (key, url) => {
          const enc = url ? { encodingType: 'url' } : {};
          const lb = listBucket({
            prefix: key,
            contents: [{ ...listBucket().contents[0]!, key }],
            commonPrefixes: [key],
            ...enc,
          });
          expect(parseListBucketResult(buildListBucketResult(lb))).to.deep.equal(lb);
          const lp = listParts({ key, ...enc });
          expect(parseListPartsResult(buildListPartsResult(lp))).to.deep.equal(lp);
        }),
        { numRuns: 300 },
      );
    });

    it('property: CompleteMultipartUpload bodies round-trip', () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              partNumber: fc.integer({ min: 1, max: 10_000 }),
              etag: fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.trim()),
            }),
            { maxLength: 20 },
          ),
          (parts) => {
            expect(parseCompleteMultipartUpload(buildCompleteMultipartUpload(parts))).to.deep.equal(parts);
          },
        ),
        { numRuns: 200 },
      );
    });
  });

  it('throws nothing but MalformedXML from the server parser for random input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        try {
          parseCompleteMultipartUpload(`<CompleteMultipartUpload>${s}</CompleteMultipartUpload>`);
        } catch (err) {
          expectCode(() => {
            throw err;
          }, 'MalformedXML');
        }
      }),
      { numRuns: 300 },
    );
  });
});
