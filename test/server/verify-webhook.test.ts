import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { webhooks } from '@polar-sh/sdk/2026-10';
import { createWebhookVerifier } from '../../server/polar/verify-webhook.js';
import { isAppError } from '../../server/errors.js';
import { generateWebhookSecret, signature, signWebhook } from '../helpers/sign-webhook.js';
import type { SignatureScheme } from '../helpers/sign-webhook.js';
import { polarOrder, webhookEvent } from '../helpers/polar-payloads.js';

type Case = {
  name: string;
  body: string | Buffer;
  headers: Record<string, string>;
  secret: string;
  accept: boolean;
};

const STANDARD_SECRET = generateWebhookSecret();
const LEGACY_SECRET = 'polar_whs_3hJ8kQ2mVx9tLr4Zp7YcN1bW';
const OTHER_SECRET = generateWebhookSecret();
const compact = JSON.stringify(webhookEvent('order.paid', polarOrder()));
const now = () => Math.floor(Date.now() / 1000);

function signed(
  body: string | Buffer,
  secret: string,
  scheme: SignatureScheme,
  extra: { id?: string; timestamp?: number } = {},
) {
  return signWebhook(body, secret, { scheme, ...extra });
}

function without(headers: Record<string, string>, name: string): Record<string, string> {
  const copy = { ...headers };
  delete copy[name];
  return copy;
}

function cases(): Case[] {
  const table: Case[] = [];
  for (const [scheme, secret] of [
    ['standard', STANDARD_SECRET],
    ['legacy', STANDARD_SECRET],
    ['legacy', LEGACY_SECRET],
  ] as Array<[SignatureScheme, string]>) {
    const label = `${scheme} (${secret.startsWith('whsec_') ? 'whsec_' : 'polar_whs_'} secret)`;
    const ok = signed(compact, secret, scheme);
    table.push({ name: `valid, ${label}`, body: compact, headers: ok, secret, accept: true });
    const tampered = Buffer.from(compact);
    tampered[tampered.indexOf('1000')] = '2'.charCodeAt(0);
    table.push({ name: `one tampered byte, ${label}`, body: tampered, headers: ok, secret, accept: false });
    table.push({
      name: `wrong secret, ${label}`,
      body: compact,
      headers: ok,
      secret: OTHER_SECRET,
      accept: false,
    });
    table.push({
      name: `stale by 301 s, ${label}`,
      body: compact,
      // Signed when the case runs, so time spent before it cannot move it across the 300 s line.
      get headers() {
        return signed(compact, secret, scheme, { timestamp: now() - 301 });
      },
      secret,
      accept: false,
    });
    table.push({
      name: `stale by 290 s, ${label}`,
      body: compact,
      // Signed when the case runs, so time spent before it cannot move it across the 300 s line.
      get headers() {
        return signed(compact, secret, scheme, { timestamp: now() - 290 });
      },
      secret,
      accept: true,
    });
    table.push({
      name: `future by 301 s, ${label}`,
      body: compact,
      // Signed when the case runs, so time spent before it cannot move it across the 300 s line.
      get headers() {
        return signed(compact, secret, scheme, { timestamp: now() + 301 });
      },
      secret,
      accept: false,
    });
    table.push({
      name: `future by 290 s, ${label}`,
      body: compact,
      // Signed when the case runs, so time spent before it cannot move it across the 300 s line.
      get headers() {
        return signed(compact, secret, scheme, { timestamp: now() + 290 });
      },
      secret,
      accept: true,
    });
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      table.push({
        name: `missing ${name}, ${label}`,
        body: compact,
        headers: without(ok, name),
        secret,
        accept: false,
      });
    }
    table.push({
      name: `empty "v1," signature, ${label}`,
      body: compact,
      headers: { ...ok, 'webhook-signature': 'v1,' },
      secret,
      accept: false,
    });
    table.push({
      name: `rotation: a stale signature then the valid one, ${label}`,
      body: compact,
      headers: {
        ...ok,
        'webhook-signature': `${signature(OTHER_SECRET, 'standard', ok['webhook-id']!, Number(ok['webhook-timestamp']), compact)} ${ok['webhook-signature']}`,
      },
      secret,
      accept: true,
    });
    table.push({
      name: `rotation: two signatures, none valid, ${label}`,
      body: compact,
      headers: {
        ...ok,
        'webhook-signature': `v1,AAAA ${signature(OTHER_SECRET, 'legacy', ok['webhook-id']!, Number(ok['webhook-timestamp']), compact)}`,
      },
      secret,
      accept: false,
    });
    table.push({
      name: `two signature headers joined by Node with ", ", ${label}`,
      body: compact,
      headers: { ...ok, 'webhook-signature': `${ok['webhook-signature']}, v1,AAAA` },
      secret,
      accept: true,
    });
    table.push({
      name: `signature without base64 padding, ${label}`,
      body: compact,
      headers: { ...ok, 'webhook-signature': ok['webhook-signature']!.replace(/=+$/, '') },
      secret,
      accept: true,
    });
    table.push({
      name: `signature with a character outside base64, ${label}`,
      body: compact,
      headers: { ...ok, 'webhook-signature': `${ok['webhook-signature']!.slice(0, -2)}*=` },
      secret,
      accept: false,
    });
    table.push({
      name: `v2 version tag, ${label}`,
      body: compact,
      headers: { ...ok, 'webhook-signature': ok['webhook-signature']!.replace('v1,', 'v2,') },
      secret,
      accept: false,
    });
    table.push({
      name: `signature of another webhook-id, ${label}`,
      body: compact,
      headers: { ...ok, 'webhook-id': 'another-id' },
      secret,
      accept: false,
    });
    table.push({
      name: `upper-case header names, ${label}`,
      body: compact,
      headers: Object.fromEntries(Object.entries(ok).map(([k, v]) => [k.toUpperCase(), v])),
      secret,
      accept: true,
    });
    table.push({
      name: `non-numeric timestamp, ${label}`,
      body: compact,
      headers: { ...ok, 'webhook-timestamp': 'soon' },
      secret,
      accept: false,
    });
    const pretty = JSON.stringify(JSON.parse(compact), null, 2);
    table.push({
      name: `pretty-printed body, ${label}`,
      body: pretty,
      headers: signed(pretty, secret, scheme),
      secret,
      accept: true,
    });
    table.push({
      name: `pretty body checked against the compact signature, ${label}`,
      body: pretty,
      headers: ok,
      secret,
      accept: false,
    });
    const escaped = compact.replace('"Jane Doe"', '"Ren\\u00e9e \\u00e9"');
    table.push({
      name: `\\u00e9-escaped body, ${label}`,
      body: escaped,
      headers: signed(escaped, secret, scheme),
      secret,
      accept: true,
    });
    const utf8 = compact.replace('"Jane Doe"', '"Renée"');
    table.push({
      name: `raw UTF-8 body, ${label}`,
      body: Buffer.from(utf8),
      headers: signed(utf8, secret, scheme),
      secret,
      accept: true,
    });
    const reordered = `{ "data" :${JSON.stringify(polarOrder())},\n\t"api_version":"2026-10", "timestamp": "2026-01-15T10:00:05Z","type":"order.paid" , "n": 1.0 }`;
    table.push({
      name: `unusual key order, whitespace and 1.0, ${label}`,
      body: reordered,
      headers: signed(reordered, secret, scheme),
      secret,
      accept: true,
    });
    const unknown = JSON.stringify({ type: 'something.new', timestamp: '2026-01-15T10:00:05Z', data: {} });
    table.push({
      name: `unknown event type, ${label}`,
      body: unknown,
      headers: signed(unknown, secret, scheme),
      secret,
      accept: true,
    });
    table.push({
      name: `signed body that is not JSON, ${label}`,
      body: 'not json',
      headers: signed('not json', secret, scheme),
      secret,
      accept: true,
    });
  }
  return table;
}

async function sdkAccepts(c: Case): Promise<boolean> {
  try {
    await webhooks.validateEvent(c.body, c.headers, c.secret);
    return true;
  } catch (error) {
    // Only a verification failure is a rejection of the delivery; unknown types and bad JSON come after it.
    return !(error instanceof webhooks.PolarWebhookVerificationError);
  }
}

function kitAccepts(c: Case): boolean {
  try {
    createWebhookVerifier(c.secret).verify(c.body, c.headers);
    return true;
  } catch (error) {
    if (isAppError(error) && error.code === 'WEBHOOK_SIGNATURE_INVALID') return false;
    if (isAppError(error) && error.code === 'WEBHOOK_PAYLOAD_INVALID') return true;
    throw error;
  }
}

describe('createWebhookVerifier', () => {
  it.each(cases().map((c) => [c.name, c] as const))(
    'agrees with SDK 1.x validateEvent: %s',
    async (_name, c) => {
      expect(await sdkAccepts(c)).toBe(c.accept);
      expect(kitAccepts(c)).toBe(c.accept);
    },
  );

  it('agrees with SDK 1.x validateEvent on random signature headers and timestamps', async () => {
    const id = 'msg_fuzz';
    const base = now();
    const valid = (timestamp: number, scheme: SignatureScheme) =>
      signature(STANDARD_SECRET, scheme, id, timestamp, compact).slice(3);
    const piece = (timestamp: number) =>
      fc.oneof(
        fc
          .constantFrom<SignatureScheme>('standard', 'legacy')
          .map((scheme) => `v1,${valid(timestamp, scheme)}`),
        fc
          .constantFrom<SignatureScheme>('standard', 'legacy')
          .map((scheme) => `v1,${valid(timestamp, scheme).replace(/=+$/, '')}`),
        fc
          .constantFrom<SignatureScheme>('standard', 'legacy')
          .map((scheme) => `v1,${valid(timestamp, scheme)},trailer`),
        fc.constantFrom('v1,', 'v1', 'v2,abcd', ',', 'v1,====', 'v1,AAAA', 'v1,*', ''),
        fc.string({ maxLength: 12 }),
      );
    await fc.assert(
      fc.asyncProperty(
        // Offsets a few seconds clear of ±300 s, so the clock moving between the two calls cannot split them.
        fc
          .oneof(
            fc.integer({ min: -400, max: -303 }),
            fc.integer({ min: -297, max: 297 }),
            fc.integer({ min: 303, max: 400 }),
          )
          .chain((offset) =>
            fc.tuple(
              fc.constant(base + offset),
              fc.array(piece(base + offset), { minLength: 1, maxLength: 4 }),
              fc.constantFrom(' ', '  ', ', '),
            ),
          ),
        async ([timestamp, pieces, separator]) => {
          const c: Case = {
            name: 'fuzz',
            body: compact,
            headers: {
              'webhook-id': id,
              'webhook-timestamp': String(timestamp),
              'webhook-signature': pieces.join(separator),
            },
            secret: STANDARD_SECRET,
            accept: false,
          };
          expect(kitAccepts(c)).toBe(await sdkAccepts(c));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('returns the parsed event, the webhook id and the exact body', () => {
    const headers = signWebhook(compact, STANDARD_SECRET, { id: 'msg_1' });
    const verified = createWebhookVerifier(STANDARD_SECRET).verify(Buffer.from(compact), headers);
    expect(verified.webhookId).toBe('msg_1');
    expect(verified.body).toBe(compact);
    expect(verified.event.type).toBe('order.paid');
    expect((verified.event.data as { id: string }).id).toBe(polarOrder().id);
  });

  it('answers 403 for a bad signature and 400 for a signed body that is not an event', () => {
    const verifier = createWebhookVerifier(STANDARD_SECRET);
    const codeOf = (body: string, headers: Record<string, string>) => {
      try {
        verifier.verify(body, headers);
        return 'accepted';
      } catch (error) {
        return isAppError(error) ? `${error.status} ${error.code}` : 'other';
      }
    };
    expect(codeOf(compact, signWebhook(compact, OTHER_SECRET))).toBe('403 WEBHOOK_SIGNATURE_INVALID');
    for (const body of ['not json', '[1,2]', '{"data":{}}', '{"type":7}', 'null']) {
      expect(codeOf(body, signWebhook(body, STANDARD_SECRET))).toBe('400 WEBHOOK_PAYLOAD_INVALID');
    }
  });

  it('uses the clock it is given for the 300 s tolerance', () => {
    const sentAt = 1_700_000_000;
    const headers = signWebhook(compact, STANDARD_SECRET, { timestamp: sentAt });
    expect(() =>
      createWebhookVerifier(STANDARD_SECRET, { now: () => (sentAt + 299) * 1000 }).verify(compact, headers),
    ).not.toThrow();
    expect(() =>
      createWebhookVerifier(STANDARD_SECRET, { now: () => (sentAt + 301) * 1000 }).verify(compact, headers),
    ).toThrow(/too old/);
  });

  it('refuses to start without a secret', () => {
    expect(() => createWebhookVerifier('')).toThrow(/POLAR_WEBHOOK_SECRET/);
  });
});
