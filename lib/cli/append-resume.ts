/**
 * Where `oss-stream cp --append FILE` starts: a second run of the same command must not append the file twice. When
 * the Appendable object's bytes are a prefix of the file (its length fits and its CRC64 equals the CRC64 of the
 * file's first `length` bytes), the run continues from that offset; when they are not, it refuses, since appending
 * would mix two histories. Appending a different file to a log on purpose goes through stdin (`cat FILE | cp -`).
 */
import { createReadStream } from 'node:fs';
import { Crc64, crc64Equal, OssError, OssServiceError, type Bucket } from '../index.js';

/** Where the file's append starts: `offset` in the file, at `position` of the object. */
interface AppendStart {
  /** Bytes of the file already in the object: reading starts here. */
  readonly offset: number;
  /** The object's length (explicit: another writer in between is caught); `'auto'`: the stream checks. */
  readonly position: number | 'auto';
}

/** CRC64 of the first `length` bytes of the file at `path`. */
async function prefixCrc64(path: string, length: number): Promise<string> {
  const crc = new Crc64();
  if (length === 0) return crc.digest();
  for await (const chunk of createReadStream(path, { start: 0, end: length - 1 })) crc.update(chunk as Buffer);
  return crc.digest();
}

/**
 * Decides where appending the file at `path` (`size` bytes) to `key` starts.
 * @throws OssError `AppendSourceMismatch` when the object holds bytes that are not the start of the file.
 */
export async function appendStartFor(bucket: Bucket, key: string, path: string, size: number): Promise<AppendStart> {
  let head;
  try {
    head = await bucket.headObject(key);
  } catch (err) {
    if (err instanceof OssServiceError && err.status === 404) return { offset: 0, position: 0 };
    throw err;
  }
  // A Normal or Multipart object: the append stream reports ObjectNotAppendable, as for stdin.
  if (head.objectType !== 'Appendable') return { offset: 0, position: 'auto' };
  const length = head.nextAppendPosition ?? head.size;
  if (length === 0) return { offset: 0, position: 0 };
  const refuse = (why: string): OssError =>
    new OssError(
      `oss://${bucket.name}/${key} is ${length} bytes long and ${why}, so appending ${path} would not continue it. ` +
        `To append the whole file anyway, pipe it: cat ${path} | oss-stream cp --append - oss://${bucket.name}/${key}`,
      { code: 'AppendSourceMismatch' },
    );
  if (length > size) throw refuse(`the file only ${size}`);
  if (head.crc64 === undefined) throw refuse('reports no CRC64 to check it against the file');
  if (!crc64Equal(await prefixCrc64(path, length), head.crc64)) {
    throw refuse(`its bytes are not the file's first ${length} bytes`);
  }
  return { offset: length, position: length };
}
