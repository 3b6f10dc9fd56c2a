import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { AppError } from '../errors.js';

/** A Polar webhook envelope (polar-reference.md 6.2). `data` is the REST object of the resource. */
export type PolarWebhookEvent = {
  type: string;
  timestamp?: string;
  api_version?: string;
  data: unknown;
};

/** A delivery whose signature checked out. */
export type VerifiedWebhook = {
  /** `webhook-id`: stable across retries of one event, so it identifies the event. */
  webhookId: string;
  /** `webhook-timestamp` of this attempt. */
  sentAt: Date;
  event: PolarWebhookEvent;
  /** The body as text, exactly as signed. */
  body: string;
};

export type WebhookVerifier = {
  /**
   * Verifies a delivery against its raw bytes and parses the envelope.
   * @throws {AppError} WEBHOOK_SIGNATURE_INVALID (403) for a missing header, a timestamp more than 300 s
   * away, or no matching signature; WEBHOOK_PAYLOAD_INVALID (400) for a signed body that is not an event
   */
  verify(
    raw: Buffer | Uint8Array | string,
    headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
  ): VerifiedWebhook;
};

const TOLERANCE_SECONDS = 300;
const BASE64 = /^[A-Za-z0-9+/]*$/;

/**
 * Creates a verifier for one endpoint secret. It accepts exactly what SDK 1.x `webhooks.validateEvent` accepts
 * (polar-reference.md 6.1 and 6.4): both key schemes (the secret's UTF-8 bytes, and the base64 after `whsec_`),
 * ±300 s, several space-separated `v1,` signatures (secret rotation). The signature itself is computed by
 * `standardwebhooks`; this module decides which keys and signatures to try, the way the SDK does, and keeps
 * the clock check to itself so that it can be given a clock.
 * @throws {Error} when the secret is empty (a configuration mistake, caught at start-up)
 */
export function createWebhookVerifier(secret: string, options: { now?: () => number } = {}): WebhookVerifier {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new Error(
      'The webhook secret is empty: set POLAR_WEBHOOK_SECRET to the secret of your Polar webhook endpoint.',
    );
  }
  const now = options.now ?? Date.now;
  const utf8Key = new TextEncoder().encode(secret);
  const keys: Uint8Array[] = [utf8Key];
  const decoded = decodeBase64(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret);
  // The standard scheme's key is tried first: Polar signs with it for every endpoint secret created since
  // 2026-09-08, so a current delivery is hashed once. The order changes what is tried first, never what is accepted.
  if (decoded !== null && decoded.byteLength > 0 && !Buffer.from(decoded).equals(Buffer.from(utf8Key)))
    keys.unshift(decoded);
  const verifiers = keys.map((key) => new Webhook(key, { format: 'raw' }));
  const decoder = new TextDecoder();

  return {
    verify(raw, headers) {
      const id = header(headers, 'webhook-id');
      const timestampText = header(headers, 'webhook-timestamp');
      const signature = header(headers, 'webhook-signature');
      if (!id || !timestampText || !signature) throw invalidSignature('Missing required webhook headers.');
      const timestamp = Number(timestampText);
      if (!Number.isFinite(timestamp))
        throw invalidSignature('The webhook-timestamp header is not a number.');
      const nowSeconds = now() / 1000;
      if (timestamp < nowSeconds - TOLERANCE_SECONDS)
        throw invalidSignature('The webhook timestamp is too old.');
      if (timestamp > nowSeconds + TOLERANCE_SECONDS)
        throw invalidSignature('The webhook timestamp is too new.');

      const signatures = canonicalSignatures(signature);
      if (signatures.length === 0)
        throw invalidSignature('No valid v1 signature in the webhook-signature header.');
      const body = typeof raw === 'string' ? raw : decoder.decode(raw);
      const signedAt = Math.floor(timestamp);
      if (!verifiers.some((verifier) => matches(verifier, id, signedAt, body, signatures))) {
        throw invalidSignature('No matching signature found.');
      }
      return { webhookId: id, sentAt: new Date(signedAt * 1000), event: parseEnvelope(body), body };
    },
  };
}

/** One-off verification; prefer `createWebhookVerifier` for a long-lived secret. */
export function verifyWebhook(
  raw: Buffer | Uint8Array | string,
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
  secret: string,
): VerifiedWebhook {
  return createWebhookVerifier(secret).verify(raw, headers);
}

/** Whether one of the offered signatures is `standardwebhooks`' signature of this message under this key. */
function matches(
  verifier: Webhook,
  id: string,
  timestamp: number,
  body: string,
  signatures: string[],
): boolean {
  const expected = Buffer.from(verifier.sign(id, new Date(timestamp * 1000), body));
  let found = false;
  for (const signature of signatures) {
    const offered = Buffer.from(signature);
    // Compare every candidate in constant time; lengths of base64 HMAC-SHA256 signatures are public.
    if (offered.length === expected.length && timingSafeEqual(offered, expected)) found = true;
  }
  return found;
}

function parseEnvelope(body: string): PolarWebhookEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AppError('WEBHOOK_PAYLOAD_INVALID', { detail: 'The webhook body is not JSON.' });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AppError('WEBHOOK_PAYLOAD_INVALID', { detail: 'The webhook body is not a JSON object.' });
  }
  const envelope = parsed as Record<string, unknown>;
  if (typeof envelope.type !== 'string' || envelope.type.length === 0) {
    throw new AppError('WEBHOOK_PAYLOAD_INVALID', { detail: 'The webhook body has no event "type".' });
  }
  if (envelope.timestamp !== undefined && typeof envelope.timestamp !== 'string') {
    throw new AppError('WEBHOOK_PAYLOAD_INVALID', { detail: 'The webhook "timestamp" is not a string.' });
  }
  return envelope as PolarWebhookEvent;
}

/** Each `v1,<base64>` entry, re-encoded canonically; other versions and undecodable entries are dropped (as the SDK does). */
function canonicalSignatures(headerValue: string): string[] {
  const result: string[] = [];
  for (const entry of headerValue.split(' ')) {
    // `split(',', 2)` as the SDK does: anything after a second comma is not part of the signature.
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || value === undefined) continue;
    const bytes = decodeBase64(value);
    if (bytes === null) continue;
    result.push(`v1,${Buffer.from(bytes).toString('base64')}`);
  }
  return result;
}

/** WHATWG forgiving-base64 decode (what `atob` accepts), or `null`. */
function decodeBase64(value: string): Uint8Array | null {
  let text = value.replace(/[\t\n\f\r ]/g, '');
  if (text.length % 4 === 0) text = text.replace(/={1,2}$/, '');
  if (text.length % 4 === 1 || !BASE64.test(text)) return null;
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  let value = headers[name];
  if (value === undefined) {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : headers[key];
  }
  return Array.isArray(value) ? value.join(', ') : value;
}

function invalidSignature(detail: string): AppError {
  return new AppError('WEBHOOK_SIGNATURE_INVALID', { detail });
}
