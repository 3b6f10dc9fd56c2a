/**
 * Webhook secrets and signatures the way Polar makes them (polar-reference.md section 6.1).
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** Prefix of webhook secrets Polar generates. */
export const SECRET_PREFIX = 'whsec_';

/** Key length of generated secrets (Polar's `WEBHOOK_SECRET_KEY_BYTES`). */
const SECRET_KEY_BYTES = 32;

/** A new secret as Polar generates it today: `whsec_` + base64 of 32 random bytes (standard scheme). */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_KEY_BYTES).toString('base64');
}

/**
 * Whether a secret is signed with the standard scheme when the caller does not say.
 * Secrets of the `whsec_` form are standard; anything else (older `polar_whs_...` or hand-picked strings)
 * can only be meant as a legacy key.
 */
export function defaultsToStandardSignature(secret: string): boolean {
  return secret.startsWith(SECRET_PREFIX);
}

/**
 * Signs one delivery attempt and returns the `webhook-signature` header value (`v1,<base64>`).
 *
 * Standard scheme: key = base64-decode of the text after `whsec_` (`StandardWebhook(secret)`).
 * Legacy scheme: key = the UTF-8 bytes of the whole secret, which Polar expresses as
 * `StandardWebhook(base64(utf8(secret)))`; we do the same so both go through one well-tested signer.
 */
export function signWebhook(input: {
  secret: string;
  standard: boolean;
  webhookId: string;
  timestamp: Date;
  body: string;
}): string {
  const key = input.standard ? input.secret : Buffer.from(input.secret, 'utf8').toString('base64');
  return new Webhook(key).sign(input.webhookId, input.timestamp, input.body);
}
