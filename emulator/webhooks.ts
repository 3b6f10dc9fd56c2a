/**
 * Webhook delivery of the emulator: endpoints, signed deliveries with retries, per-endpoint ordering,
 * and a delivery log. See polar-reference.md section 6.
 */
import express from 'express';

export type WebhookDispatcherOptions = {
  organizationId: string;
  /** Multiplies retry delays; 1 is Polar's real backoff, 0.001 makes retries take milliseconds. */
  timeScale?: number;
  /** An attempt succeeds on a 2xx answer within this time. Default 10 000 ms. */
  attemptTimeoutMs?: number;
  /** Attempts per event before it is marked failed. Default 10. */
  maxAttempts?: number;
  now?: () => Date;
};

/** Polar's WebhookEndpoint JSON. */
export type WebhookEndpoint = {
  id: string;
  created_at: string;
  modified_at: string | null;
  url: string;
  format: 'raw' | 'discord' | 'slack';
  secret: string;
  organization_id: string;
  events: string[];
  enabled: boolean;
};

export type DeliveryAttempt = {
  at: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
};

export type DeliveryRecord = {
  webhook_id: string;
  type: string;
  endpoint_id: string;
  url: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: DeliveryAttempt[];
  created_at: string;
  payload: string;
};

export type WebhookEndpointInput = {
  url: string;
  secret?: string;
  events?: string[];
  format?: 'raw';
  standard_signature?: boolean;
};

export type WebhookDispatcher = {
  createEndpoint(input: WebhookEndpointInput): WebhookEndpoint;
  listEndpoints(): WebhookEndpoint[];
  getEndpoint(id: string): WebhookEndpoint | undefined;
  updateEndpoint(
    id: string,
    patch: Partial<{ url: string; events: string[]; enabled: boolean }>,
  ): WebhookEndpoint | undefined;
  deleteEndpoint(id: string): boolean;
  emit(type: string, data: object): void;
  deliveries(filter?: { type?: string; endpointId?: string; status?: DeliveryRecord['status'] }): DeliveryRecord[];
  redeliver(webhookId: string): boolean;
  drain(): Promise<void>;
  exportState(): unknown;
  importState(state: unknown): void;
  reset(): void;
  close(): Promise<void>;
};

export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  void options;
  throw new Error('webhook dispatcher not implemented yet');
}

export function webhookEndpointsRouter(d: WebhookDispatcher): express.Router {
  void d;
  return express.Router();
}

export function deliveriesRouter(d: WebhookDispatcher): express.Router {
  void d;
  return express.Router();
}
