/**
 * Detailed error codes (`<EC>`, `x-oss-ec`) for the errors this server answers, where the OSS documentation
 * publishes one (protocol reference §4). Codes without a documented EC are answered without one rather than
 * with an invented value.
 */

const EC: Readonly<Record<string, string>> = Object.freeze({
  NoSuchKey: '0026-00000001',
  NoSuchBucket: '0015-00000101',
  FileAlreadyExists: '0026-00000002',
  PositionNotEqualToLength: '0026-00000016',
  ObjectNotAppendable: '0026-00000017',
  InvalidPartOrder: '0042-00000209',
  EntityTooSmall: '0042-00000213',
  CallbackFailed: '0007-00000203',
});

/** The EC of `code`, if documented. */
export function ecFor(code: string): string | undefined {
  return EC[code];
}
