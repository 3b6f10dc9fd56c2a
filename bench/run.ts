/**
 * `npm run bench`: measures the kit side by side with what a merchant would otherwise run, on loopback, in one
 * run, and writes `bench/REPORT.md`, `bench/report.json` and `bench/webhooks.svg`.
 *
 * Every server under test runs in its own process (`bench/servers.ts`); load comes from this process
 * (autocannon). Each measurement is repeated in interleaved rounds and the medians are reported, so a noisy
 * neighbour hurts every contender alike. Everything is bounded in time and stops by itself.
 *
 * `BENCH_QUICK=1` shortens every phase and `BENCH_ONLY=<phase>` (or `npm run bench -- --only <phase>`: webhooks,
 * profile, products, checkout, widget, footprint) runs one phase and prints its figures, without writing the report.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import * as prettier from 'prettier';
import { getLoad, webhookLoad } from './load.js';
import type { LoadFigures } from './load.js';
import type { ServerSpec } from './servers.js';
import { renderReport, renderChart } from './report.js';
import type { Report } from './report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BENCH = fileURLToPath(new URL('.', import.meta.url));
const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = QUICK ? 1 : 3;
const SECONDS = QUICK ? 2 : 5;
const CONNECTIONS = 10;
const FOOTPRINT_SECONDS = QUICK ? 5 : 60;
const FOOTPRINT_SETTLE_SECONDS = QUICK ? 2 : 10;
const CHECKOUT_REQUESTS = QUICK ? 40 : 300;
const CHECKOUT_WARMUP = QUICK ? 20 : 300;
const WIDGET_LOADS = QUICK ? 4 : 20;
const STARTS = QUICK ? 1 : 3;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw3Ov9Qwz1Z7U=';

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

// ---------------------------------------------------------------------------------------------------------
// Server processes
// ---------------------------------------------------------------------------------------------------------

type Running = { url: string; pid: number; child: ChildProcess; rssMb(): number; stop(): Promise<void> };
const running = new Set<Running>();

function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

async function startServer(spec: ServerSpec, nodeArgs: string[] = []): Promise<Running> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', path.join(BENCH, 'servers.ts'), JSON.stringify(spec)],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4000)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${spec.kind} did not start: ${err}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline >= 0 && out.startsWith('{')) {
        clearTimeout(timer);
        resolve((JSON.parse(out.slice(0, newline)) as { url: string }).url);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${spec.kind} exited (${code}) before listening: ${err}`));
    });
  });
  // Keep draining its output so a chatty server never blocks on a full pipe.
  child.stdout!.resume();
  const server: Running = {
    url,
    pid: child.pid!,
    child,
    rssMb: () => rssOf(child.pid!),
    async stop() {
      running.delete(server);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(server);
  return server;
}

/** User + system CPU seconds a process has used so far (from /proc). */
function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** `GET /_bench/batches` of a `kit-db` server: deliveries per committed transaction so far. */
async function batchesOf(url: string): Promise<{ transactions: number; events: number; max: number } | null> {
  try {
    const response = await fetch(`${url}/api/_bench/batches`);
    return response.ok
      ? ((await response.json()) as { transactions: number; events: number; max: number })
      : null;
  } catch {
    return null;
  }
}

function countEvents(dbPath: string): { stored: number; processed: number; distinctIds: number } {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const row = db
      .prepare(
        `SELECT count(*) AS stored, sum(status = 'processed') AS processed, count(DISTINCT webhook_id) AS distinctIds FROM webhook_events`,
      )
      .get() as { stored: number; processed: number | null; distinctIds: number };
    return { stored: row.stored, processed: row.processed ?? 0, distinctIds: row.distinctIds };
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Phases
// ---------------------------------------------------------------------------------------------------------

type Contender = { name: string; spec: ServerSpec; scheme: 'standard' | 'legacy'; dbPath?: string };

async function webhookPhase(dir: string, emulatorUrl: string): Promise<Report['webhooks']> {
  const contenders: Contender[] = [
    {
      name: 'kit',
      spec: { kind: 'kit', dbPath: path.join(dir, 'kit.sqlite'), secret: SECRET, apiUrl: emulatorUrl },
      scheme: 'standard',
      dbPath: path.join(dir, 'kit.sqlite'),
    },
    {
      name: 'kit (synchronous=FULL)',
      spec: { kind: 'kit-db', dbPath: path.join(dir, 'full.sqlite'), secret: SECRET, synchronous: 'FULL' },
      scheme: 'standard',
      dbPath: path.join(dir, 'full.sqlite'),
    },
    {
      name: 'kit (synchronous=NORMAL)',
      spec: {
        kind: 'kit-db',
        dbPath: path.join(dir, 'normal.sqlite'),
        secret: SECRET,
        synchronous: 'NORMAL',
      },
      scheme: 'standard',
      dbPath: path.join(dir, 'normal.sqlite'),
    },
    { name: 'bare node:http + standardwebhooks', spec: { kind: 'bare', secret: SECRET }, scheme: 'standard' },
    // @polar-sh/express (SDK 0.32 inside) reads the secret under the older scheme only.
    { name: '@polar-sh/express Webhooks', spec: { kind: 'polar-express', secret: SECRET }, scheme: 'legacy' },
  ];
  const servers = new Map<string, Running>();
  for (const c of contenders) servers.set(c.name, await startServer(c.spec));
  const runs = new Map<string, Array<LoadFigures & { sent: number; cpuUsPerEvent: number }>>(
    contenders.map((c) => [c.name, []]),
  );
  // Warm-up (JIT, SQLite page cache), not counted.
  for (const c of contenders)
    await webhookLoad({
      url: servers.get(c.name)!.url,
      secret: SECRET,
      scheme: c.scheme,
      connections: CONNECTIONS,
      seconds: 1,
    });
  const warmStored = new Map<string, number>();
  for (const c of contenders) if (c.dbPath) warmStored.set(c.name, countEvents(c.dbPath).stored);
  const warmBatches = new Map<string, { transactions: number; events: number; max: number }>();
  for (const c of contenders) {
    const batches = c.spec.kind === 'kit-db' ? await batchesOf(servers.get(c.name)!.url) : null;
    if (batches) warmBatches.set(c.name, batches);
  }
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order so no contender always runs first or last.
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
    for (const c of order) {
      const server = servers.get(c.name)!;
      const cpuBefore = cpuSecondsOf(server.pid);
      const load = await webhookLoad({
        url: server.url,
        secret: SECRET,
        scheme: c.scheme,
        connections: CONNECTIONS,
        seconds: SECONDS,
      });
      const cpuUsPerEvent = (1e6 * (cpuSecondsOf(server.pid) - cpuBefore)) / Math.max(1, load.ok);
      const figures = { ...load, cpuUsPerEvent };
      runs.get(c.name)!.push(figures);
      log(
        `webhooks round ${round + 1} ${c.name}: ${figures.rps.toFixed(0)} ev/s p99 ${figures.p99} ms, server CPU ${cpuUsPerEvent.toFixed(0)} µs/event (${figures.non2xx} non-2xx, ${figures.errors} errors)`,
      );
    }
  }
  const result: Report['webhooks'] = [];
  for (const c of contenders) {
    const list = runs.get(c.name)!;
    const ok = list.reduce((sum, r) => sum + r.ok, 0);
    const sent = list.reduce((sum, r) => sum + r.sent, 0);
    const disk = c.dbPath ? countEvents(c.dbPath) : null;
    const warm = warmBatches.get(c.name);
    const batches = warm ? await batchesOf(servers.get(c.name)!.url) : null;
    const transactions = batches && warm ? batches.transactions - warm.transactions : 0;
    result.push({
      name: c.name,
      rounds: list.map((r) => ({
        rps: r.rps,
        p50: r.p50,
        p99: r.p99,
        ok: r.ok,
        non2xx: r.non2xx,
        errors: r.errors,
      })),
      rps: median(list.map((r) => r.rps)),
      p50: median(list.map((r) => r.p50)),
      p99: median(list.map((r) => r.p99)),
      acknowledged: ok,
      sent,
      non2xx: list.reduce((sum, r) => sum + r.non2xx, 0),
      errors: list.reduce((sum, r) => sum + r.errors, 0),
      stored: disk ? disk.stored - (warmStored.get(c.name) ?? 0) : null,
      distinctStored: disk ? disk.distinctIds - (warmStored.get(c.name) ?? 0) : null,
      cpuUsPerEvent: median(list.map((r) => r.cpuUsPerEvent)),
      ...(batches && warm && transactions > 0
        ? {
            batch: {
              transactions,
              mean: (batches.events - warm.events) / transactions,
              max: batches.max,
            },
          }
        : {}),
    });
  }
  for (const server of servers.values()) await server.stop();
  return result;
}

/**
 * Where the kit's webhook time goes: a CPU profile (`--cpu-prof`) of the kit under the same load, each sample
 * charged to the nearest JavaScript frame's module.
 */
async function profilePhase(dir: string, emulatorUrl: string): Promise<Report['profile']> {
  const profileDir = path.join(dir, 'profile');
  const kit = await startServer(
    { kind: 'kit', dbPath: path.join(dir, 'profile.sqlite'), secret: SECRET, apiUrl: emulatorUrl },
    ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
  );
  await webhookLoad({
    url: kit.url,
    secret: SECRET,
    scheme: 'standard',
    connections: CONNECTIONS,
    seconds: 1,
  });
  const figures = await webhookLoad({
    url: kit.url,
    secret: SECRET,
    scheme: 'standard',
    connections: CONNECTIONS,
    seconds: SECONDS,
  });
  await kit.stop();
  const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error('the kit wrote no CPU profile');
  type Node = { id: number; callFrame: { functionName: string; url: string }; children?: number[] };
  const profile = JSON.parse(readFileSync(path.join(profileDir, file), 'utf8')) as {
    nodes: Node[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const category = (url: string, name: string): string | null => {
    if (name === '(garbage collector)') return 'garbage collection';
    if (name === '(idle)') return 'idle';
    if (name === '(program)') return 'V8 / native, unattributed';
    if (!url) return null;
    if (url.includes('better-sqlite3')) return 'SQLite: statements and commit (better-sqlite3, incl. fsync)';
    if (/standardwebhooks|fast-sha256|internal\/crypto/.test(url))
      return 'signature verification (standardwebhooks)';
    if (url.includes('/server/db/')) return 'kit: row mapping (server/db)';
    if (url.includes('/server/webhooks/') || url.includes('/server/polar/'))
      return 'kit: ingest, envelope parsing, apply (server/webhooks, server/polar)';
    if (url.includes('/server/')) return 'kit: HTTP middleware (server/http)';
    if (/node_modules\/(pino|@pinojs|sonic-boom|thread-stream)/.test(url)) return 'request logging (pino)';
    if (
      /node_modules\/(express|router|body-parser|raw-body|helmet|cors|on-finished|finalhandler|send|type-is|content-type|iconv-lite|qs|debug)/.test(
        url,
      )
    )
      return 'Express, body parsing, helmet, CORS';
    if (url.includes('node_modules/zod')) return 'zod validation';
    if (url.startsWith('node:')) return 'Node HTTP, streams and timers';
    return 'other';
  };
  const totals = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    let current: number | undefined = id;
    let label: string | null = null;
    while (current !== undefined && label === null) {
      const node = byId.get(current)!;
      label = category(node.callFrame.url, node.callFrame.functionName);
      current = parent.get(current);
    }
    const key = label ?? 'native, unattributed';
    totals.set(key, (totals.get(key) ?? 0) + delta);
  });
  log(`profile: ${figures.rps.toFixed(0)} ev/s while profiled`);
  return {
    rps: figures.rps,
    shares: [...totals]
      .map(([what, time]) => ({ what, percent: (100 * time) / total }))
      .sort((a, b) => b.percent - a.percent),
  };
}

async function productsPhase(dir: string, emulatorUrl: string): Promise<Report['products']> {
  const kit = await startServer({
    kind: 'kit',
    dbPath: path.join(dir, 'products.sqlite'),
    secret: SECRET,
    apiUrl: emulatorUrl,
  });
  const response = await fetch(`${kit.url}/api/products`);
  if (!response.ok) throw new Error(`GET /api/products answered ${response.status}`);
  const file = path.join(dir, 'products.json');
  writeFileSync(file, await response.text());
  const bare = await startServer({ kind: 'express-products', file });
  const targets = [
    { name: 'kit GET /api/products', url: `${kit.url}/api/products` },
    { name: 'bare Express handler, same JSON', url: `${bare.url}/api/products` },
  ];
  for (const t of targets) await getLoad({ url: t.url, connections: CONNECTIONS, seconds: 1 });
  const runs = new Map<string, LoadFigures[]>(targets.map((t) => [t.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of round % 2 ? [...targets].reverse() : targets) {
      const figures = await getLoad({ url: t.url, connections: CONNECTIONS, seconds: SECONDS });
      runs.get(t.name)!.push(figures);
      log(`products round ${round + 1} ${t.name}: ${figures.rps.toFixed(0)} req/s p99 ${figures.p99} ms`);
    }
  }
  await kit.stop();
  await bare.stop();
  return {
    bytes: readFileSync(file).length,
    contenders: targets.map((t) => ({
      name: t.name,
      rps: median(runs.get(t.name)!.map((r) => r.rps)),
      p99: median(runs.get(t.name)!.map((r) => r.p99)),
      non2xx: runs.get(t.name)!.reduce((sum, r) => sum + r.non2xx, 0),
    })),
  };
}

async function checkoutPhase(dir: string, emulatorUrl: string): Promise<Report['checkout']> {
  const kit = await startServer({
    kind: 'kit',
    dbPath: path.join(dir, 'checkout.sqlite'),
    secret: SECRET,
    apiUrl: emulatorUrl,
  });
  const products = (await (await fetch(`${kit.url}/api/products`)).json()) as Array<{ id: string }>;
  const productId = products[0]!.id;
  const kitCall = (headers: Record<string, string> = {}) =>
    fetch(`${kit.url}/api/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ product_id: productId }),
    });
  // The widget sends a fresh Idempotency-Key with every checkout it starts.
  const keyedCall = () => kitCall({ 'idempotency-key': randomUUID() });
  const directCall = () =>
    fetch(`${emulatorUrl}/v1/checkouts/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer polar_oat_bench_token' },
      body: JSON.stringify({
        products: [productId],
        success_url: 'http://127.0.0.1:8000/success.html?checkout_id={CHECKOUT_ID}',
      }),
    });
  const paths = [
    { name: 'kit', call: () => kitCall(), times: [] as number[], statuses: new Map<number, number>() },
    { name: 'keyed', call: keyedCall, times: [] as number[], statuses: new Map<number, number>() },
    { name: 'direct', call: directCall, times: [] as number[], statuses: new Map<number, number>() },
  ];
  const timeOne = async (target: (typeof paths)[number], record: boolean) => {
    const started = performance.now();
    const response = await target.call();
    await response.arrayBuffer();
    if (!record) return;
    target.times.push(performance.now() - started);
    target.statuses.set(response.status, (target.statuses.get(response.status) ?? 0) + 1);
  };
  // Warm-up (JIT, SQLite page cache), not counted, as for the webhook servers.
  for (let i = 0; i < CHECKOUT_WARMUP; i++) for (const p of paths) await timeOne(p, false);
  for (let i = 0; i < CHECKOUT_REQUESTS; i++) {
    // Rotate, so every path sees the same machine at the same moment and follows each of the others.
    for (let j = 0; j < paths.length; j++) await timeOne(paths[(i + j) % paths.length]!, true);
  }
  await kit.stop();
  const [kitPath, keyedPath, directPath] = paths as [(typeof paths)[0], (typeof paths)[0], (typeof paths)[0]];
  log(
    `checkout: kit p50 ${median(kitPath.times).toFixed(2)} ms (with Idempotency-Key ${median(keyedPath.times).toFixed(2)}), ` +
      `direct p50 ${median(directPath.times).toFixed(2)} ms`,
  );
  return {
    requests: CHECKOUT_REQUESTS,
    kit: { p50: median(kitPath.times), p99: percentile(kitPath.times, 99) },
    keyed: { p50: median(keyedPath.times), p99: percentile(keyedPath.times, 99) },
    direct: { p50: median(directPath.times), p99: percentile(directPath.times, 99) },
    statuses: {
      kit: Object.fromEntries(kitPath.statuses),
      keyed: Object.fromEntries(keyedPath.statuses),
      direct: Object.fromEntries(directPath.statuses),
    },
  };
}

/**
 * Runs in the page before its own scripts (as source text, so no build helper leaks in): sums the layout shifts
 * and notes `performance.now()` (ms since navigation start) at the frame that paints the first pricing cards.
 */
const PAINT_PROBE = `
window.__cls = 0;
window.__painted = null;
window.__shifts = [];
const describe = (node) => {
  if (!node) return 'unknown';
  const element = node.nodeType === 1 ? node : node.parentElement;
  if (!element) return node.nodeName.toLowerCase();
  const root = element.getRootNode();
  const host = root && root.host ? root.host.localName + ' › ' : '';
  const part = element.getAttribute('part');
  return host + element.localName + (part ? '[part="' + part + '"]' : element.className ? '.' + String(element.className).split(' ')[0] : '');
};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.hadRecentInput) continue;
    window.__cls += entry.value;
    window.__shifts.push({
      at: Math.round(entry.startTime),
      value: entry.value,
      sources: (entry.sources || []).map((s) => describe(s.node) + ' moved from y=' + Math.round(s.previousRect.y) + ' h=' + Math.round(s.previousRect.height) + ' to y=' + Math.round(s.currentRect.y) + ' h=' + Math.round(s.currentRect.height)),
    });
  }
}).observe({ type: 'layout-shift', buffered: true });
const poll = () => {
  const root = document.querySelector('polar-pricing-table')?.shadowRoot;
  if (root && root.querySelector('[part="plans"] [part="price"]')) {
    requestAnimationFrame(() => { window.__painted = performance.now(); });
    return;
  }
  requestAnimationFrame(poll);
};
requestAnimationFrame(poll);
`;

async function widgetPhase(dir: string, emulatorUrl: string): Promise<Report['widget']> {
  const distDir = path.join(ROOT, 'dist');
  const widgetDir = path.join(distDir, 'widget');
  const files = readdirSync(widgetDir)
    .filter((name) => /\.m?js$/.test(name))
    .sort()
    .map((name) => {
      const bytes = readFileSync(path.join(widgetDir, name));
      return { name, bytes: bytes.length, gzip: gzipSync(bytes).length };
    });
  const embedBytes = readFileSync(path.join(ROOT, 'node_modules/@polar-sh/checkout/dist/embed.global.js'));
  const embed = {
    name: '@polar-sh/checkout embed.global.js',
    bytes: embedBytes.length,
    gzip: gzipSync(embedBytes).length,
  };

  const kit = await startServer({
    kind: 'kit',
    dbPath: path.join(dir, 'widget.sqlite'),
    secret: SECRET,
    apiUrl: emulatorUrl,
    distDir,
  });
  // Fill the product cache, as a running shop's would be.
  await fetch(`${kit.url}/api/products`);
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Pricing</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<script src="${kit.url}/widget/polar-checkout.js"></script></head>
<body><main><h1>Pricing</h1><polar-pricing-table api-base="${kit.url}"></polar-pricing-table><p>Questions? Write to us.</p></main></body></html>`;
  const host = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page),
  );
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  const pageUrl = `http://localhost:${(host.address() as AddressInfo).port}/`;

  const { chromium } = await import('@playwright/test');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const loads: Array<{
    paintedMs: number;
    cls: number;
    shifts: Array<{ at: number; value: number; sources: string[] }>;
  }> = [];
  try {
    for (let i = 0; i < WIDGET_LOADS + 1; i++) {
      // A new context per load: nothing cached from the last one (the first load is a warm-up, not counted).
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const tab = await context.newPage();
      await tab.addInitScript({ content: PAINT_PROBE });
      const messages: string[] = [];
      tab.on('console', (message) => messages.push(message.text()));
      tab.on('pageerror', (error) => messages.push(error.message));
      tab.on('requestfailed', (request) =>
        messages.push(`${request.url()} failed: ${request.failure()?.errorText}`),
      );
      await tab.goto(pageUrl);
      await tab
        .waitForFunction('window.__painted !== null', null, { timeout: 15_000 })
        .catch((error: unknown) => {
          throw new Error(
            `the pricing cards never painted (${String(error)}); page said: ${messages.join(' | ')}`,
          );
        });
      await tab.waitForTimeout(300);
      const figures = (await tab.evaluate(
        '({ paintedMs: window.__painted, cls: window.__cls, shifts: window.__shifts })',
      )) as {
        paintedMs: number;
        cls: number;
        shifts: Array<{ at: number; value: number; sources: string[] }>;
      };
      if (i > 0) loads.push(figures);
      await context.close();
    }
  } finally {
    await browser.close();
    host.close();
    await kit.stop();
  }
  log(
    `widget: painted median ${median(loads.map((l) => l.paintedMs)).toFixed(0)} ms, max CLS ${Math.max(...loads.map((l) => l.cls))}`,
  );
  return {
    files,
    embed,
    loads: loads.length,
    paintedMs: {
      p50: median(loads.map((l) => l.paintedMs)),
      max: Math.max(...loads.map((l) => l.paintedMs)),
    },
    cls: { median: median(loads.map((l) => l.cls)), max: Math.max(...loads.map((l) => l.cls)) },
    // The layout shifts of the worst load, with what moved.
    shifts: [...loads].sort((a, b) => b.cls - a.cls)[0]?.shifts ?? [],
  };
}

/** Fields of `/proc/<pid>/status` in MB: the resident set now, its high-water mark, and its anonymous and file-backed parts. */
function memoryOf(pid: number): { rss: number; hwm: number; anon: number; file: number } {
  let status = '';
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    // gone
  }
  const mb = (field: string) => {
    const kb = new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1];
    return kb ? Number(kb) / 1024 : Number.NaN;
  };
  return { rss: mb('VmRSS'), hwm: mb('VmHWM'), anon: mb('RssAnon'), file: mb('RssFile') };
}

/**
 * `polar-kit start` as a merchant deploys it: `node bin/polar-kit.js start` running the compiled bundle
 * (`dist/server/`, built first, as `npm start` and `npm run build` do), configured by environment variables only,
 * in production mode as the Dockerfile sets it up (`NODE_ENV=production`, an access token and the webhook
 * endpoint's secret) with `POLAR_API_URL` pointing at the bench's emulator process, so the measured process holds
 * the kit alone. Its request log (info level, one line per request) goes to /dev/null.
 */
async function startProductionKit(
  dir: string,
  emulatorUrl: string,
): Promise<{ url: string; pid: number; dbPath: string; stop(): Promise<number | string> }> {
  const bundle = (await import(pathToFileURL(path.join(ROOT, 'bin/server-bundle.js')).href)) as {
    buildServerBundle(): Promise<boolean>;
    bundleIsFresh(): boolean;
  };
  // A source edited between the build and the start makes bin/polar-kit.js fall back to tsx: build and start again.
  for (let attempt = 1; ; attempt++) {
    await bundle.buildServerBundle();
    const cwd = mkdtempSync(path.join(dir, 'production-kit-'));
    const port = await freePort();
    const dbPath = path.join(cwd, 'data', 'kit.sqlite');
    const devNull = openSync('/dev/null', 'w');
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'polar-kit.js'), 'start'], {
      cwd,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? cwd,
        NODE_ENV: 'production',
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        DATABASE_PATH: dbPath,
        POLAR_SERVER: 'production',
        POLAR_ACCESS_TOKEN: 'polar_oat_bench_token',
        POLAR_API_URL: emulatorUrl,
        POLAR_WEBHOOK_SECRET: SECRET,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', devNull, 'pipe'],
    });
    closeSync(devNull);
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4000)));
    const exited = new Promise<number | string>((resolve) =>
      child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
    );
    const url = `http://127.0.0.1:${port}`;
    const deadline = performance.now() + 30_000;
    let healthy = false;
    while (!healthy && child.exitCode === null && performance.now() < deadline) {
      try {
        healthy = (await fetch(`${url}/api/health`)).status === 200;
      } catch {
        // not listening yet
      }
      if (!healthy) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    };
    if (!healthy) {
      await stop();
      throw new Error(`polar-kit start did not become healthy: ${err}`);
    }
    if (bundle.bundleIsFresh()) return { url, pid: child.pid!, dbPath, stop };
    await stop();
    if (attempt === 3) throw new Error('the server bundle kept going stale while the kit started');
    log('footprint: a source changed while the kit started (it ran through tsx); building again');
  }
}

async function footprintPhase(dir: string, emulatorUrl: string): Promise<Report['footprint']> {
  const kit = await startProductionKit(dir, emulatorUrl);
  // Fill the product cache, as a running shop's would be, and let start-up work settle.
  await fetch(`${kit.url}/api/products`);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const idle = memoryOf(kit.pid);
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(memoryOf(kit.pid).rss), 1_000);
  const cpuBefore = cpuSecondsOf(kit.pid);
  const figures = await webhookLoad({
    url: kit.url,
    secret: SECRET,
    scheme: 'standard',
    connections: CONNECTIONS,
    seconds: FOOTPRINT_SECONDS,
  });
  clearInterval(sampler);
  const loaded = memoryOf(kit.pid);
  const cpuUsPerEvent = (1e6 * (cpuSecondsOf(kit.pid) - cpuBefore)) / Math.max(1, figures.ok);
  await new Promise((resolve) => setTimeout(resolve, FOOTPRINT_SETTLE_SECONDS * 1000));
  const settled = memoryOf(kit.pid);
  const exit = await kit.stop();
  const disk = countEvents(kit.dbPath);
  log(
    `footprint: RSS ${idle.rss.toFixed(0)} MB idle, ${loaded.rss.toFixed(0)} MB after ${FOOTPRINT_SECONDS} s (peak ${loaded.hwm.toFixed(0)}, ` +
      `${settled.rss.toFixed(0)} ${FOOTPRINT_SETTLE_SECONDS} s later), ${figures.ok} events at ${figures.rps.toFixed(0)}/s, ` +
      `${cpuUsPerEvent.toFixed(0)} µs CPU/event, ${disk.stored} stored, exit ${exit}`,
  );

  // `npm start` in an empty folder (a fresh data folder each time), until /api/health answers 200.
  const startTimes: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'polar-kit-bench-start-'));
    const port = await freePort();
    const started = performance.now();
    const child = spawn('npm', ['start', '--silent', '--prefix', ROOT], {
      cwd,
      env: {
        ...process.env,
        PORT: String(port),
        POLAR_EMULATOR_PORT: String(await freePort()),
        LOG_LEVEL: 'warn',
        DATABASE_PATH: path.join(cwd, 'data/kit.sqlite'),
      },
      stdio: 'ignore',
      detached: true,
    });
    let healthyAfter = Number.NaN;
    const deadline = started + 30_000;
    while (performance.now() < deadline) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/api/health`);
        if (response.status === 200) {
          healthyAfter = performance.now() - started;
          break;
        }
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5_000);
    await exited;
    clearTimeout(timer);
    rmSync(cwd, { recursive: true, force: true });
    startTimes.push(healthyAfter);
    log(`start ${i + 1}: healthy after ${healthyAfter.toFixed(0)} ms`);
  }
  return {
    command: 'node bin/polar-kit.js start',
    seconds: FOOTPRINT_SECONDS,
    settleSeconds: FOOTPRINT_SETTLE_SECONDS,
    idleRssMb: idle.rss,
    loadedRssMb: loaded.rss,
    peakRssMb: loaded.hwm,
    settledRssMb: settled.rss,
    loadedAnonMb: loaded.anon,
    loadedFileMb: loaded.file,
    samplesMb: samples,
    rps: figures.rps,
    p99: figures.p99,
    cpuUsPerEvent,
    events: figures.ok,
    stored: disk.stored,
    startMs: { median: median(startTimes), all: startTimes },
  };
}

/** The figures the reliability suite recorded in `test-results/reliability/` (see test/reliability/figures.ts). */
function readReliabilityFigures(): Report['reliability'] {
  const dir = path.join(ROOT, 'test-results', 'reliability');
  const figures: Report['reliability'] = {};
  try {
    for (const name of readdirSync(dir).filter((file) => file.endsWith('.json'))) {
      figures[name.replace(/\.json$/, '')] = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as Record<
        string,
        unknown
      >;
    }
  } catch {
    // never ran here
  }
  return figures;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const startedAt = new Date();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'polar-kit-bench-'));
  const loadBefore = os.loadavg();
  const emulator = await startServer({ kind: 'emulator' });
  try {
    log(
      `machine: ${os.cpus().length} cores, node ${process.version}, load ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
    );
    const flag = process.argv.indexOf('--only');
    const only = flag >= 0 ? process.argv[flag + 1] : process.env.BENCH_ONLY;
    if (only) {
      // One phase, printed rather than reported (for working on the runner).
      const phases = {
        webhooks: webhookPhase,
        profile: profilePhase,
        products: productsPhase,
        checkout: checkoutPhase,
        widget: widgetPhase,
        footprint: footprintPhase,
      };
      const phase = phases[only as keyof typeof phases];
      if (!phase) throw new Error(`BENCH_ONLY must be one of ${Object.keys(phases).join(', ')}`);
      process.stdout.write(`${JSON.stringify(await phase(dir, emulator.url), null, 2)}\n`);
      return;
    }
    const webhooks = await webhookPhase(dir, emulator.url);
    const profile = await profilePhase(dir, emulator.url);
    const products = await productsPhase(dir, emulator.url);
    const checkout = await checkoutPhase(dir, emulator.url);
    const widget = await widgetPhase(dir, emulator.url);
    const footprint = await footprintPhase(dir, emulator.url);
    const report: Report = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      quick: QUICK,
      machine: {
        cores: os.cpus().length,
        cpu: os.cpus()[0]?.model ?? 'unknown',
        memoryGb: os.totalmem() / 2 ** 30,
        node: process.version,
        platform: `${os.type()} ${os.release()}`,
        loadBefore,
        loadAfter: os.loadavg(),
      },
      settings: { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS },
      webhooks,
      profile,
      products,
      checkout,
      widget,
      footprint,
      reliability: readReliabilityFigures(),
    };
    writeFileSync(path.join(BENCH, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(path.join(BENCH, 'webhooks.svg'), renderChart(report));
    // Formatted with the project's Prettier settings, so `npm run lint` accepts the generated page.
    const reportFile = path.join(BENCH, 'REPORT.md');
    const prettierOptions = (await prettier.resolveConfig(reportFile)) ?? {};
    writeFileSync(
      reportFile,
      await prettier.format(renderReport(report), { ...prettierOptions, parser: 'markdown' }),
    );
    log('wrote bench/REPORT.md, bench/report.json and bench/webhooks.svg');
  } finally {
    for (const server of [...running]) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const hardStop = setTimeout(() => {
  log('gave up after 15 minutes');
  for (const server of running) server.child.kill('SIGKILL');
  process.exit(1);
}, 15 * 60_000);
hardStop.unref();

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    for (const server of running) server.child.kill('SIGKILL');
    process.exit(1);
  },
);
