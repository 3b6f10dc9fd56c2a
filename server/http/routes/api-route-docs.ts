import { coreRouteDocs } from './core-route-docs.js';
import { licenseKeyRouteDocs } from './license-keys.js';
import type { RouteDoc } from './openapi.js';
import { openapiRouteDocs } from './openapi.js';
import { statsRouteDocs } from './stats.js';
import { usageRouteDocs } from './usage.js';
import { webhookEventRouteDocs } from './webhook-events.js';

/** Every route of the kit's API, as `GET /api/openapi.json` documents it. */
export const API_ROUTE_DOCS: readonly RouteDoc[] = [
  ...coreRouteDocs,
  ...licenseKeyRouteDocs,
  ...usageRouteDocs,
  ...webhookEventRouteDocs,
  ...statsRouteDocs,
  ...openapiRouteDocs,
];
