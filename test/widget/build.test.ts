import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
const dirs: string[] = [];

/** Runs the widget build into a fresh folder; resolves to its exit code and output. */
async function buildWidget(
  env: Record<string, string> = {},
): Promise<{ dir: string; code: number; output: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'polar-widget-build-'));
  dirs.push(dir);
  try {
    const { stdout, stderr } = await run('npx', ['vite', 'build', '--mode', 'widget', '--outDir', dir], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    return { dir, code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { dir, code: failed.code, output: failed.stdout + failed.stderr };
  }
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('widget build (vite build --mode widget)', () => {
  it('writes both entries, the lazy files and sri.json, and prints every file’s SRI hash', async () => {
    const { dir, code, output } = await buildWidget();
    expect(code, output).toBe(0);
    const files = readdirSync(dir).sort();
    expect(files).toEqual([
      expect.stringMatching(/^polar-checkout-dialog-[0-9a-f]{10}\.js$/),
      expect.stringMatching(/^polar-checkout-embed-[0-9a-f]{10}\.js$/),
      'polar-checkout.js',
      'polar-checkout.mjs',
      'sri.json',
    ]);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'sri.json'), 'utf8')) as Record<string, string>;
    for (const file of files.filter((name) => name !== 'sri.json')) {
      const hash = `sha384-${createHash('sha384')
        .update(readFileSync(path.join(dir, file)))
        .digest('base64')}`;
      expect(manifest[file]).toBe(hash);
      expect(output).toContain(hash);
    }
    const size = gzipSync(readFileSync(path.join(dir, 'polar-checkout.js'))).length;
    expect(output).toContain(`polar-checkout.js: ${size} of 12288 bytes gzipped.`);
    // The script names its lazy files, which sit beside it.
    const script = readFileSync(path.join(dir, 'polar-checkout.js'), 'utf8');
    expect(script).toContain(files[0]);
    expect(readFileSync(path.join(dir, files[0]!), 'utf8')).toContain(files[1]);
  }, 60_000);

  it('fails when the script-tag file is over the gzip budget', async () => {
    const { code, output } = await buildWidget({ WIDGET_GZIP_BUDGET: '4096' });
    expect(code).not.toBe(0);
    expect(output).toMatch(/polar-checkout\.js is \d+ bytes gzipped, over the budget of 4096 bytes/);
  }, 60_000);
});
