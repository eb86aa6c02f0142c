/**
 * Upload objects › Append upload: position 0 creates an Appendable object, each result says where to go next.
 *
 * The two typed errors: ObjectNotAppendableError (the object exists and is not appendable) and
 * PositionNotEqualToLengthError (wrong position; `nextPosition` says the right one).
 * Run: node --import tsx examples/append.ts
 */
import { ObjectNotAppendableError, PositionNotEqualToLengthError } from 'oss-stream';
import { ossTarget, bucketFor } from './_local.js';

const oss = await ossTarget();
const bucket = bucketFor(oss);
try {
  const result = await bucket.appendObject('append.txt', 0, 'content of first append');
  // initCrc (the previous CRC64) lets the client check the whole object's CRC64 after this append
  const second = await bucket.appendObject('append.txt', result.nextPosition, 'content of second append', {
    initCrc: result.crc64,
  });
  console.log(`append.txt is ${second.nextPosition} bytes, CRC64 ${second.crc64}`);

  // An existing object that is not appendable
  await bucket.putObject('normal.txt', 'uploaded with putObject');
  try {
    await bucket.appendObject('normal.txt', 0, 'more');
  } catch (err) {
    if (!(err instanceof ObjectNotAppendableError)) throw err;
    console.log(`normal.txt: ${err.code}`);
  }

  // A position that is not the object's length: the error tells where to append
  try {
    await bucket.appendObject('append.txt', 0, 'content of third append');
  } catch (err) {
    if (!(err instanceof PositionNotEqualToLengthError)) throw err;
    console.log(`append.txt: ${err.code}, next position ${err.nextPosition}`);
    const third = await bucket.appendObject('append.txt', err.nextPosition, 'content of third append', {
      initCrc: second.crc64,
    });
    console.log(`append.txt is ${third.nextPosition} bytes`);
  }

  // Or ask the object itself where the next append goes
  const head = await bucket.headObject('append.txt');
  console.log(`headObject: ${head.objectType}, next append position ${head.nextAppendPosition}`);
} finally {
  await bucket.close();
  await oss.close();
}
