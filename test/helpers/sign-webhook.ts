import { createHmac, randomBytes, randomUUID } from 'node:crypto';

/**
 * Signs webhook bodies the way Polar does (polar-reference.md 6.1), with `node:crypto` only, so tests do not
 * share code with the verifier they check.
 * - `standard`: key = base64-decode of the text after `whsec_` (secrets generated since 2026-09-08);
 * - `legacy`: key = the UTF-8 bytes of the whole secret string.
 */
export type SignatureScheme = 'standard' | 'legacy';

export type SignOptions = {
  scheme?: SignatureScheme;
  /** `webhook-id`. @default a random UUID */
  id?: string;
  /** `webhook-timestamp`, Unix seconds. @default now */
  timestamp?: number;
};

/** A secret like Polar generates now: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The key bytes a scheme derives from a secret. */
export function signingKey(secret: string, scheme: SignatureScheme): Buffer {
  return scheme === 'legacy'
    ? Buffer.from(secret, 'utf8')
    : Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
}

/** The `v1,<base64>` signature of one message. */
export function signature(
  secret: string,
  scheme: SignatureScheme,
  id: string,
  timestamp: number,
  body: string | Buffer,
): string {
  const hmac = createHmac('sha256', signingKey(secret, scheme));
  hmac.update(`${id}.${timestamp}.`);
  hmac.update(body);
  return `v1,${hmac.digest('base64')}`;
}

/** The three Standard Webhooks headers for `body`, as Polar sends them. */
export function signWebhook(
  body: string | Buffer,
  secret: string,
  options: SignOptions = {},
): Record<string, string> {
  const id = options.id ?? randomUUID();
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature(secret, options.scheme ?? 'standard', id, timestamp, body),
  };
}

/** A compact JSON body (as Polar serialises it) with its signed headers. */
export function signedDelivery(
  event: unknown,
  secret: string,
  options: SignOptions = {},
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(event);
  return { body, headers: { 'content-type': 'application/json', ...signWebhook(body, secret, options) } };
}
