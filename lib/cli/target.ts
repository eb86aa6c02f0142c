/**
 * The destination of `oss-stream cp`: `oss://bucket/key`. A key that is empty or ends with `/` names a "folder":
 * a file keeps its base name there (`cp app.log oss://b/logs/` → `logs/app.log`), as `cp` and `aws s3 cp` do.
 */
import { basename } from 'node:path';
import { invalidBucketNameMessage, isValidBucketName } from '../core/validate.js';
import { UsageError } from './args.js';

/** A parsed `oss://bucket/key`. */
export interface OssTarget {
  readonly bucket: string;
  readonly key: string;
}

/**
 * Parses `oss://bucket/key`. `sourcePath` (`undefined` for stdin) fills in a folder-like key.
 * @throws UsageError when the URL is malformed or a key is needed and missing.
 */
export function parseTarget(text: string, sourcePath: string | undefined): OssTarget {
  const m = /^oss:\/\/([^/]*)(?:\/(.*))?$/s.exec(text);
  if (m === null) throw new UsageError(`the destination must be oss://bucket/key, got ${JSON.stringify(text)}`);
  const bucket = m[1]!;
  // The library would refuse the name too, but only after the command has started connecting.
  if (!isValidBucketName(bucket)) throw new UsageError(invalidBucketNameMessage(bucket));
  let key = m[2] ?? '';
  if (key === '' || key.endsWith('/')) {
    if (sourcePath === undefined)
      throw new UsageError(`name the object to write stdin to: oss://${bucket}/${key}<name>`);
    key += basename(sourcePath);
  }
  return { bucket, key };
}
