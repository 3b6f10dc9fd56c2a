import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, ENV_VARS, loadConfig } from '../../server/config.js';

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('loadConfig', () => {
  it('runs in local mode with no environment at all, with the documented defaults', () => {
    const config = loadConfig({});
    expect(config.polar.server).toBe('local');
    expect(config.http).toEqual({
      port: 8000,
      host: '127.0.0.1',
      publicUrl: 'http://localhost:8000',
      allowedOrigins: 'loopback',
      successUrl: 'http://localhost:8000/success.html?checkout_id={CHECKOUT_ID}',
    });
    expect(config.db.path).toBe('./data/kit.sqlite');
    expect(config.polar).toMatchObject({
      accessToken: null,
      apiUrl: null,
      webhookSecret: null,
      emulatorPort: 8001,
    });
    expect(config.admin.token).toBeNull();
    expect(config.log.level).toBe('info');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ PORT: '', POLAR_ACCESS_TOKEN: '', KIT_ALLOWED_ORIGINS: '' }).polar.server).toBe(
      'local',
    );
  });

  it('derives the public URL and success URL from PORT, and trims trailing slashes', () => {
    expect(loadConfig({ PORT: '9100' }).http.successUrl).toBe(
      'http://localhost:9100/success.html?checkout_id={CHECKOUT_ID}',
    );
    const config = loadConfig({
      PUBLIC_URL: 'https://shop.example.com/',
      POLAR_API_URL: 'http://127.0.0.1:4010/',
    });
    expect(config.http.publicUrl).toBe('https://shop.example.com');
    expect(config.polar.apiUrl).toBe('http://127.0.0.1:4010');
  });

  it('defaults to sandbox when a token is given, and requires the webhook secret there', () => {
    const error = configError({ POLAR_ACCESS_TOKEN: 'polar_oat_secret_value_123' });
    expect(error.issues.map((issue) => issue.variable)).toEqual(['POLAR_WEBHOOK_SECRET']);
    const config = loadConfig({ POLAR_ACCESS_TOKEN: 'polar_oat_x', POLAR_WEBHOOK_SECRET: 'whsec_abc' });
    expect(config.polar.server).toBe('sandbox');
    expect(config.http.allowedOrigins).toEqual([]);
  });

  it('requires a token and a webhook secret in production', () => {
    const error = configError({ POLAR_SERVER: 'production' });
    expect(error.issues.map((issue) => issue.variable).sort()).toEqual([
      'POLAR_ACCESS_TOKEN',
      'POLAR_WEBHOOK_SECRET',
    ]);
  });

  it('reports every bad variable at once, naming each and the fix', () => {
    const error = configError({
      PORT: 'eighty',
      POLAR_EMULATOR_PORT: '70000',
      PUBLIC_URL: 'ftp://example.com',
      POLAR_SERVER: 'sandbx',
      KIT_ALLOWED_ORIGINS: 'https://ok.example.com, https://shop.example.com/path',
      KIT_SUCCESS_URL: 'javascript:alert(1)',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'postgres://user:pw@db/kit',
    });
    expect(error.issues.map((issue) => issue.variable).sort()).toEqual([
      'DATABASE_URL',
      'KIT_ALLOWED_ORIGINS',
      'KIT_SUCCESS_URL',
      'LOG_LEVEL',
      'POLAR_EMULATOR_PORT',
      'POLAR_SERVER',
      'PORT',
      'PUBLIC_URL',
    ]);
    expect(error.message).toContain('PORT: must be a whole number');
    expect(error.message).toContain('did you mean "sandbox"');
    expect(error.message).toContain('https://shop.example.com/path');
  });

  it('reports mode-dependent problems together with malformed variables', () => {
    const error = configError({ PORT: 'x', LOG_LEVEL: 'loud', POLAR_SERVER: 'production' });
    expect(error.issues.map((issue) => issue.variable).sort()).toEqual([
      'LOG_LEVEL',
      'POLAR_ACCESS_TOKEN',
      'POLAR_WEBHOOK_SECRET',
      'PORT',
    ]);
  });

  it('never prints a secret value', () => {
    const secrets = {
      POLAR_ACCESS_TOKEN: ' polar_oat_TOPSECRET ',
      POLAR_WEBHOOK_SECRET: ' whsec_TOPSECRET2',
      KIT_ADMIN_TOKEN: 'TOPSECRET3',
    };
    const error = configError({ ...secrets, DATABASE_URL: 'postgres://u:TOPSECRET4@h/db' });
    expect(error.issues.map((issue) => issue.variable).sort()).toEqual([
      'DATABASE_URL',
      'KIT_ADMIN_TOKEN',
      'POLAR_ACCESS_TOKEN',
      'POLAR_WEBHOOK_SECRET',
    ]);
    expect(error.message).not.toMatch(/TOPSECRET/);
  });

  it('parses an origin list and normalises each origin', () => {
    const config = loadConfig({ KIT_ALLOWED_ORIGINS: 'https://Shop.Example.com, http://localhost:5173/' });
    expect(config.http.allowedOrigins).toEqual(['https://shop.example.com', 'http://localhost:5173']);
  });

  it('keeps DATABASE_SYNCHRONOUS at full unless normal is asked for, and rejects anything else', () => {
    expect(loadConfig({}).db.synchronous).toBe('full');
    expect(loadConfig({ DATABASE_SYNCHRONOUS: 'NORMAL' }).db.synchronous).toBe('normal');
    expect(loadConfig({ DATABASE_SYNCHRONOUS: 'full' }).db.synchronous).toBe('full');
    expect(configError({ DATABASE_SYNCHRONOUS: 'off' }).issues).toEqual([
      { variable: 'DATABASE_SYNCHRONOUS', message: expect.stringContaining('full, normal') },
    ]);
  });

  it('accepts PORT=0 (any free port) and rejects out-of-range ports', () => {
    expect(loadConfig({ PORT: '0' }).http.port).toBe(0);
    expect(configError({ PORT: '-1' }).issues[0]?.variable).toBe('PORT');
    expect(configError({ PORT: '1.5' }).issues[0]?.variable).toBe('PORT');
  });
});

describe('.env.example', () => {
  const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');

  it('is a valid configuration', () => {
    expect(() => loadConfig(parseEnv(text))).not.toThrow();
  });

  it('lists every variable the kit reads, and nothing else', () => {
    expect(Object.keys(parseEnv(text)).sort()).toEqual([...ENV_VARS].sort());
  });
});
