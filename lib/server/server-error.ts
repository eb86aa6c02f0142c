/**
 * An error the local server answers with: OSS code, HTTP status and message, plus extra `<Error>` elements
 * (`StringToSign`, `ArgumentName`, `EC`…) and extra response headers (`x-oss-next-append-position`…).
 */
export class ServerError extends Error {
  readonly code: string;
  readonly status: number;
  /** Additional child elements of `<Error>`, in order, after Code/Message/RequestId/HostId. */
  readonly extra: Record<string, string>;
  /** Extra response headers. */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    extra: Record<string, string> = {},
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ServerError';
    this.status = status;
    this.code = code;
    this.extra = extra;
    this.headers = headers;
  }
}
