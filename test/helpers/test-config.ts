import { loadConfig } from '../../server/config.js';
import type { Config } from '../../server/config.js';

/** A valid local-mode `Config` for tests (temp-free: in-memory database), with env-style overrides. */
export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig({
    PORT: '0',
    DATABASE_PATH: ':memory:',
    POLAR_WEBHOOK_SECRET: 'whsec_dGVzdC1zZWNyZXQtdGVzdC1zZWNyZXQtdGVzdC1zZWM=',
    KIT_ADMIN_TOKEN: 'test-admin-token-0123456789',
    LOG_LEVEL: 'silent',
    ...overrides,
  });
}
