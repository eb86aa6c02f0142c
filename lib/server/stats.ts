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
}

/** Live counters of a server; read them at any time, {@link ServerStats.reset} between test cases. */
export class ServerStats {
  #ops = new Map<string, OpStats>();
  #inFlight = new Map<string, { now: number; peak: number }>();

  /** Counters of `op` (e.g. `'UploadPart'`), zeros when never seen. The object is live: it keeps counting. */
  op(op: string): OpStats {
    let s = this.#ops.get(op);
    if (s === undefined) {
      s = { requests: 0, bytesIn: 0, bytesOut: 0, errors: 0 };
      this.#ops.set(op, s);
    }
    return s;
  }

  /** A request of `op` arrived; the returned function marks it answered (or dropped). */
  started(op: string): () => void {
    let g = this.#inFlight.get(op);
    if (g === undefined) this.#inFlight.set(op, (g = { now: 0, peak: 0 }));
    const gauge = g;
    gauge.now += 1;
    gauge.peak = Math.max(gauge.peak, gauge.now);
    return () => {
      gauge.now -= 1;
    };
  }

  /** Most requests of `op` handled at once since the last reset (how many parts a client really kept in flight). */
  peakInFlight(op: string): number {
    return this.#inFlight.get(op)?.peak ?? 0;
  }

  /** Total over every operation. */
  get total(): OpStats {
    const t: OpStats = { requests: 0, bytesIn: 0, bytesOut: 0, errors: 0 };
    for (const s of this.#ops.values()) {
      t.requests += s.requests;
      t.bytesIn += s.bytesIn;
      t.bytesOut += s.bytesOut;
      t.errors += s.errors;
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
    // Requests still in flight keep counting down their own gauge; the peak starts again from what is in flight.
    for (const g of this.#inFlight.values()) g.peak = g.now;
  }
}
