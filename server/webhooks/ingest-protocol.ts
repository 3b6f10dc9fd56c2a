import { PolarDataError } from '../db/polar-shapes.js';

/** What the ingest worker is started with. */
export type IngestWorkerData = {
  /** The database file (never `:memory:`), already migrated by the kit's own connection. */
  path: string;
  /** The kit connection's `synchronous` level (`PRAGMA synchronous`: 2 FULL, 1 NORMAL). */
  synchronous: number;
  /** The kit connection's busy timeout. */
  busyTimeoutMs: number;
};

/** One delivery of a batch, as sent to the worker: strings only (the worker parses the body itself). */
export type WireDelivery = { webhookId: string; body: string; at: string; receivedAt: string };

/** One batch: the worker answers it with a {@link BatchReply} of the same `seq`, after its COMMIT returned. */
export type BatchRequest = { seq: number; processedAt: string; deliveries: WireDelivery[] };

/** An error that crossed the thread boundary. */
export type WireError = { name: string; message: string; stack?: string; payloadInvalid: boolean };

export type WireResult =
  { outcome: 'processed' | 'ignored' | 'duplicate' } | { error: WireError; recordError?: WireError };

export type BatchReply = { seq: number; committed: boolean; results: WireResult[] };

export function toWireError(error: unknown): WireError {
  if (error instanceof Error) {
    return {
      name: error.name,
      message: error.message,
      ...(error.stack !== undefined ? { stack: error.stack } : {}),
      payloadInvalid: error instanceof PolarDataError,
    };
  }
  return { name: 'Error', message: String(error), payloadInvalid: false };
}

/** The error again, on this side: a `PolarDataError` stays one (it makes the answer a 400). */
export function fromWireError(wire: WireError): Error {
  const error = wire.payloadInvalid ? new PolarDataError(wire.message) : new Error(wire.message);
  error.name = wire.name;
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}
