/**
 * Request and byte counters per operation, so specs can prove what was (or was not) re-sent.
 */

/** Counters of one operation. */
export interface OpStats {
  /** Requests routed to the operation (including failed ones). */
  requests: number;
  /** Request body bytes that actually arrived, including those of failed, rejected or reset requests. */
  bytesIn: number;
  /** Response body bytes written. */
  bytesOut: number;
  /** Requests answered with a status >= 300 (or dropped by a fault). */
  errors: number;
  /** Requests of the operation being handled right now (arrived, not yet answered or dropped). */
  inFlight: number;
  /** Most requests of the operation handled at once (how many parts a client really kept in flight). */
  peakInFlight: number;
}

/** Live counters of a server; read them at any time, {@link ServerStats.reset} between test cases. */
export class ServerStats {
  #ops = new Map<string, OpStats>();

  /** Counters of `op` (e.g. `'UploadPart'`), zeros when never seen. The object is live: it keeps counting. */
  op(op: string): OpStats {
    let s = this.#ops.get(op);
    if (s === undefined) {
      s = { requests: 0, bytesIn: 0, bytesOut: 0, errors: 0, inFlight: 0, peakInFlight: 0 };
      this.#ops.set(op, s);
    }
    return s;
  }

  /** Total over every operation. */
  get total(): OpStats {
    const t: OpStats = { requests: 0, bytesIn: 0, bytesOut: 0, errors: 0, inFlight: 0, peakInFlight: 0 };
    for (const s of this.#ops.values()) {
      t.requests += s.requests;
      t.bytesIn += s.bytesIn;
      t.bytesOut += s.bytesOut;
      t.errors += s.errors;
      t.inFlight += s.inFlight;
      t.peakInFlight = Math.max(t.peakInFlight, s.peakInFlight);
    }
    return t;
  }

  /** A plain-object copy, keyed by operation name. */
  snapshot(): Record<string, OpStats> {
    const out: Record<string, OpStats> = {};
    for (const [k, v] of this.#ops) out[k] = { ...v };
    return out;
  }

  /** Zeroes every counter. */
  reset(): void {
    this.#ops.clear();
  }
}
