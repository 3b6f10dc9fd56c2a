/** One entry of Polar's 422 body: `{"detail":[{loc,msg,type,input}]}`. */
export type ValidationDetail = Array<{
  loc: Array<string | number>;
  msg: string;
  type: string;
  input?: unknown;
}>;

/** Thrown by the webhook dispatcher for invalid endpoint input; `detail` is Polar's 422 body. */
export class WebhookInputError extends Error {
  readonly detail: ValidationDetail;
  constructor(detail: ValidationDetail) {
    super(detail.map((d) => `${d.loc.join('.')}: ${d.msg}`).join('; '));
    this.name = 'WebhookInputError';
    this.detail = detail;
  }
}
