import { isLoopbackOrigin, parseOrigin } from '../config.js';

/** Decides which browser origins may call the kit, embed its checkouts, and receive buyers after payment. */
export type OriginPolicy = {
  /** True when `origin` (a bare `scheme://host[:port]`) is allowed. */
  allows(origin: string): boolean;
  /** True when `url` is an absolute http(s) URL on an allowed origin (no credentials in it). */
  allowsUrl(url: string): boolean;
};

/**
 * Builds the policy from `KIT_ALLOWED_ORIGINS` (`'loopback'` = any localhost origin) plus the kit's own public
 * origin, which is always allowed.
 */
export function createOriginPolicy(allowed: readonly string[] | 'loopback', publicUrl: string): OriginPolicy {
  const listed = new Set<string>();
  if (allowed !== 'loopback') {
    for (const entry of allowed) {
      const origin = parseOrigin(entry);
      if (origin === null)
        throw new Error(`allowedOrigins: "${entry}" is not an origin (write scheme://host[:port]).`);
      listed.add(origin);
    }
  }
  listed.add(new URL(publicUrl).origin);
  const allows = (origin: string): boolean => {
    const normalised = parseOrigin(origin);
    if (normalised === null) return false;
    return listed.has(normalised) || (allowed === 'loopback' && isLoopbackOrigin(normalised));
  };
  return {
    allows,
    allowsUrl(value) {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        return false;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
      if (url.username || url.password) return false;
      return allows(url.origin);
    },
  };
}
