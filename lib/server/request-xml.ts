/**
 * The request bodies only the server reads (CompleteMultipartUpload, DeleteMultipleObjects, PutObjectTagging),
 * parsed with the reading primitives of the shared codec (lib/core/xml.ts), so the client does not carry them.
 * Every failure is an Error with `code: 'MalformedXML'` and OSS's wording.
 */
import { asNode, list, optText, parseRoot, text, toInt, type CompletePart } from '../core/xml.js';

/** OSS's wording for MalformedXML. */
const MALFORMED_MESSAGE = 'The XML you provided was not well-formed or did not validate against our published schema';

function malformed(message: string): never {
  throw Object.assign(new Error(`${MALFORMED_MESSAGE}: ${message}`), { code: 'MalformedXML' });
}

/**
 * Parses a CompleteMultipartUpload request body into its parts, in document order. Does not check ranges,
 * ordering or duplicates (those are InvalidArgument / InvalidPartOrder / InvalidPart decisions for the server);
 * an empty `<CompleteMultipartUpload/>` yields `[]`. Unknown elements are ignored.
 * @throws Error with `code: 'MalformedXML'` for anything that is not well-formed XML, a wrong root element, a part
 *   without `<PartNumber>` or `<ETag>`, a repeated field, or a part number that is not a decimal integer.
 */
export function parseCompleteMultipartUpload(xml: string): CompletePart[] {
  const r = parseRoot(xml, 'CompleteMultipartUpload', malformed);
  return list(r, 'Part', malformed).map((p) => ({
    partNumber: toInt(text(p, 'PartNumber', malformed), 'PartNumber', malformed),
    etag: text(p, 'ETag', malformed).trim(),
  }));
}

/** A DeleteMultipleObjects request body: `<Delete>[<Quiet>]<Object><Key>…</Key>[<VersionId>]</Object>*</Delete>`. */
interface DeleteRequest {
  quiet: boolean;
  keys: string[];
}

/**
 * Parses a DeleteMultipleObjects request body. Keys are taken verbatim (XML-unescaped, never URL-decoded).
 * @throws Error with `code: 'MalformedXML'` for a malformed document, an `<Object>` without `<Key>`, or a `<Quiet>`
 *   that is neither true nor false.
 */
export function parseDeleteRequest(xml: string): DeleteRequest {
  const r = parseRoot(xml, 'Delete', malformed);
  const quiet = optText(r, 'Quiet', malformed);
  const q = quiet?.trim().toLowerCase();
  if (q !== undefined && q !== 'true' && q !== 'false') {
    malformed(`<Quiet> must be true or false, got ${JSON.stringify(quiet)}`);
  }
  return { quiet: q === 'true', keys: list(r, 'Object', malformed).map((o) => text(o, 'Key', malformed)) };
}

/**
 * Parses a PutObjectTagging body, `<Tagging><TagSet><Tag><Key>…</Key><Value>…</Value></Tag>*</TagSet></Tagging>`,
 * into `[key, value]` pairs in document order (limits are the server's decision). A missing `<Value>` is `''`.
 * @throws Error with `code: 'MalformedXML'`.
 */
export function parseTaggingRequest(xml: string): Array<[string, string]> {
  const r = parseRoot(xml, 'Tagging', malformed);
  const set = r['TagSet'];
  if (set === undefined) malformed('<TagSet> is missing');
  return list(asNode(set, 'TagSet', malformed), 'Tag', malformed).map((t) => [
    text(t, 'Key', malformed),
    optText(t, 'Value', malformed) ?? '',
  ]);
}
