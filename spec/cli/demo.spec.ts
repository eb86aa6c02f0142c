// `npm start` runs `oss-stream demo`: a real upload through createUploadStream against the embedded local server.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('cli/demo (npm start)', function () {
  this.timeout(60_000);

  it('uploads a generated log with progress, reads it back and verifies CRC64', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', 'lib/cli/main.ts', 'demo', '--size', '24', '--part-size', '8'],
        { cwd: ROOT, timeout: 50_000 },
        (err, out, errOut) =>
          resolve({
            code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1,
            stdout: out,
            stderr: errOut,
          }),
      ),
    );
    expect(code, stderr).to.equal(0);
    expect(stderr).to.match(/Started the embedded local OSS server at http:\/\/127\.0\.0\.1:\d+/);
    expect(stderr).to.match(/24\.0 MiB of 24\.0 MiB/); // plain progress lines when stderr is not a terminal
    expect(stdout).to.match(
      /^OK demo\/app-\d{4}-\d{2}-\d{2}\.log: 24\.0 MiB in [\d.]+ s \(\d+ MB\/s\), multipart 3 parts, etag "[0-9A-F]+-3", crc64 \d+, request id [0-9A-F]+; read back and CRC-verified/,
    );
  });
});
