/**
 * Part sizing: oss2's `determine_part_size` for known totals, and the growth schedule for unknown-length streams.
 */
import { LIMITS, type OssLimits } from '../config.js';
import { OssArgumentError } from '../errors.js';

/**
 * The part size oss2 would pick for `total` bytes (`determine_part_size`): `total` itself when it is below
 * `preferred`; otherwise `preferred`, doubled until the parts fit in 10,000 and are at least 100 KiB.
 *
 * @param total - object size in bytes
 * @param preferred - preferred part size (default 10 MiB, as oss2)
 * @example
 * ```ts
 * determinePartSize(10 * 1024 ** 3);           // 10485760 → 1024 parts
 * determinePartSize(1024 * 1024, 128 * 1024);  // 131072 → 8 parts
 * ```
 */
export function determinePartSize(total: number, preferred = 10 * 1024 * 1024, limits: OssLimits = LIMITS): number {
  if (!Number.isSafeInteger(total) || total < 0)
    throw new OssArgumentError(`total must be a non-negative integer, got ${total}`, 'total');
  if (!Number.isSafeInteger(preferred) || preferred < 1) {
    throw new OssArgumentError(`preferred part size must be a positive integer, got ${preferred}`, 'preferred');
  }
  if (total > limits.maxObjectSize) {
    throw new OssArgumentError(
      `${total} bytes exceeds the largest OSS object (${limits.maxObjectSize} bytes)`,
      'total',
    );
  }
  if (total < preferred) return total;
  let size = preferred;
  while (size * limits.maxParts < total || size < limits.minPartSize) size *= 2;
  return size;
}

/** Number of parts `total` bytes make with `partSize` (an empty object is one empty part). */
export function partCount(total: number, partSize: number): number {
  return Math.max(1, Math.ceil(total / partSize));
}

/**
 * Part size for part number `partNumber` of a stream of unknown length that started at `base`: doubles every
 * `growEvery` parts, so 10,000 parts of a 8 MiB base reach far past the 48.8 TiB ceiling while a small stream only
 * ever allocates `base`-sized buffers. Capped at the maximum part size.
 */
export function growingPartSize(
  partNumber: number,
  base: number,
  growEvery = 1000,
  limits: OssLimits = LIMITS,
): number {
  const steps = Math.floor((partNumber - 1) / growEvery);
  return Math.min(base * 2 ** steps, limits.maxPartSize);
}
