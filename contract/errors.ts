/**
 * The catalogue of error codes the kit answers with. Server and widget switch on the same closed set.
 * Every error body is an RFC 9457 problem (`application/problem+json`) carrying one of these codes.
 */
export const ERROR_CODES = {
  INVALID_JSON: { status: 400, title: 'Request body is not valid JSON' },
  VALIDATION_FAILED: { status: 400, title: 'Request is not valid' },
  UNAUTHORIZED: { status: 401, title: 'Missing or wrong admin token' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  PRODUCT_NOT_FOUND: { status: 404, title: 'Product not found' },
  PRODUCT_ARCHIVED: { status: 409, title: 'Product is archived' },
  CHECKOUT_NOT_FOUND: { status: 404, title: 'Checkout not found' },
  CHECKOUT_NOT_PAID: { status: 409, title: 'Checkout is not paid' },
  CUSTOMER_NOT_FOUND: { status: 404, title: 'Customer not found' },
  ORIGIN_NOT_ALLOWED: { status: 400, title: 'URL or origin is not allowed' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency key was used with a different request' },
  WEBHOOK_SIGNATURE_INVALID: { status: 403, title: 'Webhook signature is not valid' },
  WEBHOOK_PAYLOAD_INVALID: { status: 400, title: 'Webhook payload is not a Polar event' },
  WEBHOOK_EVENT_NOT_FOUND: { status: 404, title: 'Webhook event not found' },
  LICENSE_KEY_NOT_FOUND: { status: 404, title: 'License key not found' },
  LICENSE_KEY_ACTIVATION_LIMIT: { status: 403, title: 'License key activation limit reached' },
  LICENSE_KEY_REVOKED: { status: 403, title: 'License key is revoked or disabled' },
  LICENSE_KEY_EXPIRED: { status: 403, title: 'License key has expired' },
  POLAR_REJECTED: { status: 400, title: 'Polar rejected the request' },
  POLAR_RATE_LIMITED: { status: 429, title: 'Polar is rate limiting' },
  INTERNAL: { status: 500, title: 'Internal error' },
  POLAR_UNAVAILABLE: { status: 502, title: 'Polar is unavailable' },
} as const;

/** A stable error code; clients switch on it, never on `title` or `detail`. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** An RFC 9457 problem body with our extensions. */
export type Problem = {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: Array<{ path: string; code: string; message?: string }>;
};
