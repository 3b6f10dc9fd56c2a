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
