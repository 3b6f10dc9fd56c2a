/**
 * The ingest worker: a `node:worker_threads` thread with its own connection to the kit's database file, which
 * runs the batches of verified webhook deliveries the event loop sends it (`createBatchWriter`, the code the
 * kit runs inline for `:memory:`). Its COMMIT, and the fsync of `synchronous=FULL`, block this thread instead
 * of the one serving HTTP. It answers each batch after its COMMIT returned.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openConnection } from '../db/open.js';
import type { PolarWebhookEvent } from '../polar/verify-webhook.js';
import { createBatchWriter } from './ingest-batch.js';
import type { Delivery, DeliveryResult } from './ingest-batch.js';
import { toWireError } from './ingest-protocol.js';
import type { BatchReply, BatchRequest, IngestWorkerData, WireResult } from './ingest-protocol.js';

const data = workerData as IngestWorkerData;
// The kit's connection created and migrated the database; this one only sets its own pragmas.
const db = openConnection({ path: data.path });
db.pragma(`synchronous = ${Math.trunc(data.synchronous)}`);
db.pragma(`busy_timeout = ${Math.trunc(data.busyTimeoutMs)}`);
const writer = createBatchWriter(db);
const port = parentPort!;

port.on('message', (request: BatchRequest) => {
  // The bodies were parsed once on the event loop to check them; a copy of the text is cheaper to send
  // than the parsed objects, and parsing it again happens here, off the event loop.
  const deliveries: Delivery[] = request.deliveries.map((d) => ({
    webhookId: d.webhookId,
    event: JSON.parse(d.body) as PolarWebhookEvent,
    body: d.body,
    at: d.at,
    receivedAt: d.receivedAt,
  }));
  const { committed, results } = writer.commit(deliveries, request.processedAt);
  const reply: BatchReply = { seq: request.seq, committed, results: results.map(toWire) };
  port.postMessage(reply);
});

function toWire(result: DeliveryResult): WireResult {
  if ('outcome' in result) return { outcome: result.outcome };
  return result.recordError === undefined
    ? { error: toWireError(result.error) }
    : { error: toWireError(result.error), recordError: toWireError(result.recordError) };
}
