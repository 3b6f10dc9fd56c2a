/** The bench report: its JSON shape, the Markdown page and the SVG chart of the webhook servers. */

export type WebhookContender = {
  name: string;
  rounds: Array<{ rps: number; p50: number; p99: number; ok: number; non2xx: number; errors: number }>;
  /** Medians over the rounds. */
  rps: number;
  p50: number;
  p99: number;
  /** 2xx answers over all rounds. */
  acknowledged: number;
  /** Requests started (the last ones of each round may be cut off by the end of the round). */
  sent: number;
  non2xx: number;
  errors: number;
  /** Rows in `webhook_events` written during the rounds (null: stores nothing). */
  stored: number | null;
  distinctStored: number | null;
  /** The server process's CPU time (user + system) per acknowledged event, median over the rounds, in µs. */
  cpuUsPerEvent?: number;
  /** Deliveries per committed transaction over the rounds (servers that report their batches). */
  batch?: { transactions: number; mean: number; max: number };
};

export type Report = {
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  machine: {
    cores: number;
    cpu: string;
    memoryGb: number;
    node: string;
    platform: string;
    loadBefore: number[];
    loadAfter: number[];
  };
  settings: { rounds: number; seconds: number; connections: number };
  webhooks: WebhookContender[];
  /** Share of the kit's CPU time by part, under the webhook load (profiled, so a little slower). */
  profile: { rps: number; shares: Array<{ what: string; percent: number }> };
  products: { bytes: number; contenders: Array<{ name: string; rps: number; p99: number; non2xx: number }> };
  checkout: {
    requests: number;
    kit: { p50: number; p99: number };
    /** Through the kit with a fresh `Idempotency-Key` per request, as the widget sends (absent in older reports). */
    keyed?: { p50: number; p99: number };
    direct: { p50: number; p99: number };
    statuses: { kit: Record<string, number>; keyed?: Record<string, number>; direct: Record<string, number> };
  };
  widget: {
    files: Array<{ name: string; bytes: number; gzip: number }>;
    embed: { name: string; bytes: number; gzip: number };
    loads: number;
    paintedMs: { p50: number; max: number };
    cls: { median: number; max: number };
    shifts: Array<{ at: number; value: number; sources: string[] }>;
  };
  /** The figures of the last `npm run test:reliability` on this machine, by test (absent if it never ran). */
  reliability: Record<string, Record<string, unknown>>;
  footprint: {
    /** The process measured: `polar-kit start` as a merchant deploys it (see `footprintPhase` in run.ts). */
    command: string;
    seconds: number;
    /** How long after the load `settledRssMb` was read. */
    settleSeconds: number;
    /** RSS (VmRSS of /proc/<pid>/status) with a filled product cache, before the load. */
    idleRssMb: number;
    /** RSS at the end of the load. */
    loadedRssMb: number;
    /** VmHWM at the end of the load: the highest RSS since the process started. */
    peakRssMb: number;
    settledRssMb: number;
    /** The anonymous (heap, native allocations) and file-backed (binary, libraries) parts of `loadedRssMb`. */
    loadedAnonMb: number;
    loadedFileMb: number;
    /** RSS once a second during the load. */
    samplesMb: number[];
    rps: number;
    p99: number;
    cpuUsPerEvent: number;
    events: number;
    stored: number;
    startMs: { median: number; all: number[] };
  };
};

const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

function find(report: Report, prefix: string): WebhookContender {
  const found = report.webhooks.find((c) => c.name.startsWith(prefix));
  if (!found) throw new Error(`no webhook contender ${prefix}`);
  return found;
}

export type Target = { what: string; target: string; measured: string; met: boolean };

export function targets(report: Report): Target[] {
  const kit = find(report, 'kit');
  const bare = find(report, 'bare');
  const polar = find(report, '@polar-sh/express');
  const [kitProducts, bareProducts] = report.products.contenders;
  const addedP50 = report.checkout.kit.p50 - report.checkout.direct.p50;
  const everyEventStored =
    kit.stored !== null && kit.stored >= kit.acknowledged && kit.distinctStored === kit.stored;
  return [
    {
      what: 'Webhook ingest vs @polar-sh/express',
      target: '≥ 1.5×',
      measured: `${f2(ratio(kit.rps, polar.rps))}×`,
      met: ratio(kit.rps, polar.rps) >= 1.5,
    },
    {
      what: 'Webhook ingest vs bare verify-only server',
      target: '≥ 0.35×',
      measured: `${f2(ratio(kit.rps, bare.rps))}×`,
      met: ratio(kit.rps, bare.rps) >= 0.35,
    },
    {
      what: `Webhook ingest p99 at ${report.settings.connections} connections`,
      target: '≤ 10 ms',
      measured: `${f1(kit.p99)} ms`,
      met: kit.p99 <= 10,
    },
    {
      what: 'Every acknowledged event on disk',
      target: 'stored ≥ acknowledged',
      measured: `${f0(kit.stored ?? 0)} stored / ${f0(kit.acknowledged)} acknowledged`,
      met: everyEventStored,
    },
    {
      what: 'GET /api/products vs bare Express',
      target: '≥ 0.7×',
      measured: `${f2(ratio(kitProducts?.rps ?? 0, bareProducts?.rps ?? 0))}×`,
      met: ratio(kitProducts?.rps ?? 0, bareProducts?.rps ?? 0) >= 0.7,
    },
    {
      what: 'Checkout creation: added latency p50',
      target: '≤ 2 ms',
      measured: `${f2(addedP50)} ms`,
      met: addedP50 <= 2,
    },
    {
      what: 'Pricing cards painted, median of loads',
      target: '≤ 150 ms',
      measured: `${f0(report.widget.paintedMs.p50)} ms`,
      met: report.widget.paintedMs.p50 <= 150,
    },
    {
      what: 'Cumulative layout shift (worst load)',
      target: '0',
      measured: report.widget.cls.max.toFixed(4),
      met: report.widget.cls.max === 0,
    },
    {
      what: `Kit RSS after ${report.footprint.seconds} s of webhook load`,
      target: '≤ 150 MB',
      measured: `${f0(report.footprint.loadedRssMb)} MB (peak ${f0(report.footprint.peakRssMb)} MB)`,
      met: report.footprint.loadedRssMb <= 150,
    },
    {
      what: '`npm start` to a healthy /api/health',
      target: '≤ 3 s',
      measured: `${f2(report.footprint.startMs.median / 1000)} s`,
      met: report.footprint.startMs.median <= 3000,
    },
  ];
}

/** Grouped bars: events/s (left) and p99 latency (right) of the three webhook servers. */
export function renderChart(report: Report): string {
  const servers = [find(report, 'kit'), find(report, '@polar-sh/express'), find(report, 'bare')];
  const labels = [
    'kit (stores every event)',
    '@polar-sh/express (stores nothing)',
    'bare standardwebhooks (ceiling)',
  ];
  const colors = ['#2563eb', '#f59e0b', '#6b7280'];
  const width = 760;
  const height = 340;
  const panel = (x0: number, title: string, values: number[], unit: string) => {
    const max = Math.max(...values, 1) * 1.15;
    const top = 50;
    const bottom = 270;
    const barWidth = 70;
    const gap = 30;
    let out = `<text x="${x0 + 160}" y="30" text-anchor="middle" font-weight="bold">${title}</text>`;
    out += `<line x1="${x0}" y1="${bottom}" x2="${x0 + 330}" y2="${bottom}" stroke="#333"/>`;
    values.forEach((value, i) => {
      const h = ((bottom - top) * value) / max;
      const x = x0 + 25 + i * (barWidth + gap);
      out += `<rect x="${x}" y="${(bottom - h).toFixed(1)}" width="${barWidth}" height="${h.toFixed(1)}" fill="${colors[i]}"/>`;
      out += `<text x="${x + barWidth / 2}" y="${(bottom - h - 6).toFixed(1)}" text-anchor="middle">${value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1)}${unit}</text>`;
    });
    return out;
  };
  const legend = labels
    .map(
      (label, i) =>
        `<rect x="${40 + i * 240}" y="300" width="14" height="14" fill="${colors[i]}"/><text x="${60 + i * 240}" y="312">${label}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
${panel(
  20,
  'Webhook events/s (median, higher is better)',
  servers.map((s) => s.rps),
  '',
)}
${panel(
  400,
  'p99 latency, ms (median, lower is better)',
  servers.map((s) => s.p99),
  ' ms',
)}
${legend}
</svg>
`;
}

export function renderReport(report: Report): string {
  const m = report.machine;
  const noisy = m.loadBefore[0]! > m.cores * 0.5 || m.loadAfter[0]! > m.cores * 1.5;
  const full = find(report, 'kit (synchronous=FULL)');
  const normal = find(report, 'kit (synchronous=NORMAL)');
  const bare = find(report, 'bare');
  const lines: string[] = [];
  const push = (...more: string[]) => lines.push(...more);
  push(
    '# Benchmark report',
    '',
    `Written by \`npm run bench\` (${report.startedAt} → ${report.finishedAt})${report.quick ? ' in QUICK mode: figures are not meaningful' : ''}.`,
    '',
    `**Machine:** ${m.cores} cores (${m.cpu}), ${m.memoryGb.toFixed(1)} GB, ${m.platform}, Node ${m.node}. ` +
      `Load average ${m.loadBefore.map((l) => l.toFixed(2)).join(' / ')} before, ${m.loadAfter.map((l) => l.toFixed(2)).join(' / ')} after.` +
      (noisy
        ? ' **The machine was shared with other work during this run, so absolute figures are noisy; the ratios, measured side by side in interleaved rounds, are the meaningful part.**'
        : ''),
    '',
    `**Method:** every server under test runs in its own process; autocannon drives it from the bench process over loopback ` +
      `with ${report.settings.connections} keep-alive connections, ${report.settings.rounds} interleaved rounds of ${report.settings.seconds} s ` +
      `after a 1 s warm-up; the figures are medians of the rounds. Load generator and server share the same ${m.cores} cores.`,
    '',
    '## Targets',
    '',
    '| what | target | measured | |',
    '|---|---|---|---|',
    ...targets(report).map(
      (t) => `| ${t.what} | ${t.target} | ${t.measured} | ${t.met ? 'met' : '**missed**'} |`,
    ),
    '',
    '## Webhook ingest',
    '',
    'Each request is a new, freshly signed delivery: alternately `order.paid` (2.3 KB) and `subscription.updated` (2.7 KB), each ' +
      'with its own `webhook-id` and object id, so the kit verifies, de-duplicates, stores the raw payload and applies a new order or ' +
      "subscription version. Deliveries verified during the same few turns of the kit's event loop share one transaction and one " +
      'COMMIT (group commit; should one of them fail, the batch is rolled back and run again with a savepoint per delivery, so that ' +
      'one fails alone); each is answered only after that COMMIT returned.',
    '',
    '![events/s and p99 of the three webhook servers](webhooks.svg)',
    '',
    '| server | events/s | vs @polar-sh/express | vs bare | p50 ms | p99 ms | server CPU µs/event | acknowledged | stored | non-2xx | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...report.webhooks.map(
      (c) =>
        `| ${c.name} | ${f0(c.rps)} | ${f2(ratio(c.rps, find(report, '@polar-sh/express').rps))}× | ${f2(ratio(c.rps, bare.rps))}× | ${f1(c.p50)} | ${f1(c.p99)} | ${f0(c.cpuUsPerEvent ?? Number.NaN)} | ${f0(c.acknowledged)} | ${c.stored === null ? 'nothing' : f0(c.stored)} | ${f0(c.non2xx)} | ${f0(c.errors)} |`,
    ),
    '',
    '- **kit** is the kit as `polar-kit start` runs it: `createKit` + `createKitListener`, which hands `POST /api/webhooks/polar` to the ' +
      "kit's webhook handler in the `createServer` callback, ahead of Express, helmet and CORS (the delivery keeps its request id and its " +
      "info-level request log line, written with the kit's own log stream to /dev/null here; the handler reads a plain delivery's bytes " +
      'itself and leaves anything else to body-parser), SQLite in WAL mode with the default `synchronous=FULL`.',
    '- **kit (synchronous=FULL / NORMAL)** are the same webhook stack over `openDatabase({ synchronous })`, the only difference being the pragma ' +
      '(`DATABASE_SYNCHRONOUS=full|normal`).' +
      batchSentence(report),
    '- "server CPU µs/event" is the user + system CPU time of the server process during a round divided by the events it acknowledged ' +
      '(median of the rounds). It moves far less than events/s when other work shares the machine: a server using one core fully ' +
      'answers about 1,000,000 / (µs/event) events/s.',
    "- **bare** is `node:http` calling `standardwebhooks`' `verify` and answering 202: the cost of verification alone, the ceiling for any Node server.",
    '- **@polar-sh/express** is `Webhooks({ webhookSecret, onPayload })` from `@polar-sh/express` 0.3.0 behind `express.json()`, storing nothing. ' +
      'It bundles `@polar-sh/sdk` 0.32, whose schemas reject current (2026-10) payloads with a 500, so every server is sent deliveries that ' +
      'also carry the older fields (`amount`, `user_id`, price `type`/`recurring_interval`, a string `avatar_url`); it reads the secret under the ' +
      'older key scheme only, so its deliveries are signed under that scheme (same HMAC cost).',
    '- "stored" counts the rows written to `webhook_events` during the measured rounds; it can exceed "acknowledged" by the few requests ' +
      'in flight when a round ended (stored and committed, their answer not counted). No `webhook-id` is stored twice.',
    '',
    `**synchronous=FULL vs NORMAL:** ${f0(full.rps)} vs ${f0(normal.rps)} events/s (${f2(ratio(normal.rps, full.rps))}×), p99 ${f1(full.p99)} vs ${f1(normal.p99)} ms. ` +
      '`FULL` is the default: with WAL it fsyncs the log on every commit (one commit per batch of deliveries), so an event the kit answered 2xx survives a power cut as well as a ' +
      'process crash, which is what the kit promises Polar when it acknowledges a delivery. `NORMAL` survives a process crash (kill -9) but ' +
      'may lose the last commits on power loss; Polar would not redeliver those, because they were acknowledged. The cost of FULL depends on ' +
      "the disk's fsync latency: on this machine's storage it is the difference shown above.",
    '',
    `**Where the kit's time goes** (CPU profile of the kit under the same load, ${f0(report.profile.rps)} events/s while profiled; each sample charged to the nearest JavaScript frame):`,
    '',
    '| part | share of CPU samples |',
    '|---|---:|',
    ...report.profile.shares.map((s) => `| ${s.what} | ${f1(s.percent)} % |`),
    '',
    `Per-round figures (events/s): ${report.webhooks.map((c) => `${c.name}: ${c.rounds.map((r) => f0(r.rps)).join(', ')}`).join('; ')}.`,
    '',
    '## Products',
    '',
    `\`GET /api/products\` (${f0(report.products.bytes)} bytes of JSON, served from the kit's cache) against a bare Express handler answering the same JSON.`,
    '',
    '| server | req/s | p99 ms | non-2xx |',
    '|---|---:|---:|---:|',
    ...report.products.contenders.map((c) => `| ${c.name} | ${f0(c.rps)} | ${f1(c.p99)} | ${f0(c.non2xx)} |`),
    '',
    `Ratio kit / bare: **${f2(ratio(report.products.contenders[0]!.rps, report.products.contenders[1]!.rps))}×**. The kit adds request ids, a request log line, helmet, CORS and ETag handling.`,
    '',
    '## Checkout creation',
    '',
    `${report.checkout.requests} sequential creations each, taking turns between the kit's \`POST /api/checkout\` (without and ` +
      'with an `Idempotency-Key`, which the widget always sends) and a direct `POST /v1/checkouts/` to the same emulator (what ' +
      'the kit itself sends), timed from the client, after 300 uncounted turns of warm-up (JIT, SQLite page cache).',
    '',
    '| path | p50 ms | p99 ms |',
    '|---|---:|---:|',
    `| through the kit | ${f2(report.checkout.kit.p50)} | ${f2(report.checkout.kit.p99)} |`,
    ...(report.checkout.keyed
      ? [
          `| through the kit, with an Idempotency-Key | ${f2(report.checkout.keyed.p50)} | ${f2(report.checkout.keyed.p99)} |`,
        ]
      : []),
    `| emulator directly | ${f2(report.checkout.direct.p50)} | ${f2(report.checkout.direct.p99)} |`,
    `| **added by the kit** | **${f2(report.checkout.kit.p50 - report.checkout.direct.p50)}** | **${f2(report.checkout.kit.p99 - report.checkout.direct.p99)}** |`,
    ...(report.checkout.keyed
      ? [
          `| added with an Idempotency-Key | ${f2(report.checkout.keyed.p50 - report.checkout.direct.p50)} | ${f2(report.checkout.keyed.p99 - report.checkout.direct.p99)} |`,
        ]
      : []),
    '',
    `Statuses: ${JSON.stringify(report.checkout.statuses)}. ` +
      'The kit validates the request, checks the product against its cache, calls Polar through the SDK (on a keep-alive ' +
      '`node:http` agent rather than `fetch`) and records the checkout in SQLite before answering. That commit does not wait ' +
      'for an fsync (`synchronous=NORMAL` for this one write): it survives the process being killed, and a record lost to a ' +
      'power cut is read back from Polar by the status route.',
    '',
    '## Widget',
    '',
    '| file | bytes | gzip |',
    '|---|---:|---:|',
    ...report.widget.files.map(
      (file) => `| dist/widget/${file.name} | ${f0(file.bytes)} | ${kb(file.gzip)} |`,
    ),
    `| ${report.widget.embed.name} (for comparison) | ${f0(report.widget.embed.bytes)} | ${kb(report.widget.embed.gzip)} |`,
    '',
    'A page loads `polar-checkout.js` from the kit and shows `<polar-pricing-table>`; the checkout dialog and the official embed load only on the first checkout.',
    '',
    `In headless Chromium, ${report.widget.loads} loads, each in a fresh browser context (nothing cached), against a local kit with a filled product cache: ` +
      `pricing cards painted **${f0(report.widget.paintedMs.p50)} ms** after navigation start (median; worst ${f0(report.widget.paintedMs.max)} ms), ` +
      `cumulative layout shift median ${report.widget.cls.median.toFixed(4)}, worst ${report.widget.cls.max.toFixed(4)}.`,
    '',
    ...(report.widget.shifts.length > 0
      ? [
          'Layout shifts of the worst load:',
          '',
          ...report.widget.shifts.map(
            (s) => `- at ${s.at} ms, ${s.value.toFixed(4)}: ${s.sources.join('; ') || 'no source reported'}`,
          ),
          '',
        ]
      : []),
    '## Footprint',
    '',
    `- Measured: \`${report.footprint.command}\` running the compiled bundle (\`dist/server/\`), configured by environment variables as in ` +
      'production (`NODE_ENV=production`, `POLAR_SERVER=production` with an access token and the webhook secret), its `POLAR_API_URL` ' +
      "pointing at the bench's emulator process, so the process holds the kit alone (its request log at info level goes to /dev/null); " +
      `RSS read from \`/proc/<pid>/status\`: ${f0(report.footprint.idleRssMb)} MB idle with a filled product cache, ` +
      `**${f0(report.footprint.loadedRssMb)} MB** at the end of ${report.footprint.seconds} s of webhook load, ` +
      `peak ${f0(report.footprint.peakRssMb)} MB (VmHWM, start-up included), ${f0(report.footprint.settledRssMb)} MB ${report.footprint.settleSeconds} s after the load. ` +
      `At the end of the load ${f0(report.footprint.loadedFileMb)} MB of it was file-backed (the node binary and libraries, mapped from disk) and ` +
      `${f0(report.footprint.loadedAnonMb)} MB anonymous (the V8 heap and native allocations).`,
    `- During the load: ${f0(report.footprint.rps)} events/s, p99 ${f1(report.footprint.p99)} ms, ${f0(report.footprint.cpuUsPerEvent)} µs of CPU per event; ` +
      `${f0(report.footprint.events)} events acknowledged, ${f0(report.footprint.stored)} stored. RSS each second (MB): ` +
      `${report.footprint.samplesMb.map((mb) => f0(mb)).join(', ')}.`,
    `- \`npm start\` in an empty folder (new database, emulator included) to a 200 from \`/api/health\`: **${f2(report.footprint.startMs.median / 1000)} s** median ` +
      `(${report.footprint.startMs.all.map((ms) => `${f2(ms / 1000)} s`).join(', ')}).`,
    '',
  );
  push(...renderReliability(report.reliability));
  const missed = targets(report).filter((t) => !t.met);
  push('## Missed targets', '');
  if (missed.length === 0) push('None in this run.', '');
  else push(...missed.map((t) => `- ${t.what}: ${t.measured} against a target of ${t.target}.`), '');
  push(...renderGaps(report), '');
  return `${lines.join('\n')}`;
}

type Figures = Record<string, unknown>;
const num = (value: unknown) => (typeof value === 'number' ? value.toLocaleString('en-US') : 'n/a');
const obj = (value: unknown) => (value && typeof value === 'object' ? (value as Figures) : {});
const pairs = (value: unknown) =>
  Object.entries(obj(value))
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');

/** The reliability suite's recorded figures, one paragraph per test. */
function renderReliability(all: Record<string, Figures>): string[] {
  const lines = ['## Reliability suite (`npm run test:reliability`)', ''];
  if (Object.keys(all).length === 0) {
    return [
      ...lines,
      'No figures recorded: run `npm run test:reliability` before `npm run bench` to include them.',
      '',
    ];
  }
  const when = Object.values(all)
    .map((f) => String(f.recordedAt ?? ''))
    .sort();
  lines.push(`Figures recorded by the last run of the suite (${when[0]} → ${when[when.length - 1]}).`, '');
  const storm = all['duplicate-storm'];
  if (storm) {
    lines.push(
      `- **Duplicate storm** (\`polar-kit start\` in its own process): ${num(storm.deliveries)} distinct deliveries, each sent 3 times concurrently ` +
        `(${num(storm.requestsSent)} requests; answers ${pairs(storm.answers)}). Stored ${num(storm.eventsStored)} events: lost ${num(storm.lost)}, ` +
        `stored twice ${num(storm.storedTwice)}. Orders ${JSON.stringify(storm.ordersStored)}, subscriptions ${JSON.stringify(storm.subscriptionsStored)}.`,
    );
  }
  const disorder = all.disorder;
  if (disorder) {
    lines.push(
      `- **Disorder**: a subscription life of ${num(disorder.eventsInLife)} deliveries captured from the emulator ` +
        `(${(disorder.eventTypes as string[] | undefined)?.length ?? 0} event types), replayed over HTTP in ${num(disorder.runs)} random orders with repeats ` +
        `(${num(disorder.requests)} requests): ${num(disorder.differingFinalStates)} final states differing from the in-order one, ${num(disorder.serverErrors)} 5xx.`,
    );
  }
  const crash = all.crash;
  if (crash) {
    lines.push(
      `- **Crash**: kill -9 at ${num(crash.killedAtMs)} ms of ${num(crash.loadSeconds)} s of load, healthy again at ${num(crash.restartedAtMs)} ms. ` +
        `Emulator: ${num(crash.emulatorEvents)} events, ${num(crash.emulatorFailedAttempts)} failed attempts while the kit was down, ` +
        `${num(crash.emulatorNotDelivered)} not delivered in the end. Direct senders: ${num(crash.directSent)} sent, ${num(crash.directAcknowledged)} acknowledged, ` +
        `${num(crash.directRefusedOrTimedOut)} refused or cut by the kill, ${num(crash.directServerErrors)} 5xx. ` +
        `${num(crash.eventsStored)} events stored; acknowledged but lost: **${num(crash.lostAcknowledged)}**.`,
    );
  }
  const outage = all.outage;
  if (outage) {
    const part = (name: string) => {
      const t = obj(outage[name]);
      return `${name} ${num(t.count)} (${pairs(t.statuses)}; slowest ${num(Math.round(Number(t.maxMs)))} ms)`;
    };
    lines.push(
      `- **Polar outage** of ${num(outage.outageSeconds)} s (503s, then hangs; Polar timeout ${num(outage.polarTimeoutSeconds)} s): ` +
        `${['checkout', 'health', 'products', 'status', 'webhooks'].map(part).join('; ')}. Health said ${pairs(outage.healthStates)} during, ` +
        `${pairs(outage.healthAfter)} after; checkouts recovered: ${String(outage.recovered)}.`,
    );
  }
  const usage = all['outage-usage'];
  if (usage) {
    const posts = obj(usage.usagePosts);
    lines.push(
      `- **Usage outbox through an outage** of Polar's events ingest (${num(usage.outageSeconds)} s: 503s, then hangs): ` +
        `${num(posts.count)} \`POST /api/usage\` answered ${pairs(posts.statuses)} (slowest ${num(Math.round(Number(posts.maxMs)))} ms), ` +
        `${num(usage.eventsPosted)} distinct events posted (some batches twice), ${num(usage.receivedDuringOutage)} reached Polar during the outage; ` +
        `after it, Polar received ${num(usage.eventsReceived)} events (${num(usage.distinctReceived)} distinct) within ${num(usage.deliveredAllMsAfterRecovery)} ms: ` +
        `lost ${num(Number(usage.eventsPosted) - Number(usage.distinctReceived))}, duplicated ${num(Number(usage.eventsReceived) - Number(usage.distinctReceived))}.`,
    );
  }
  const hostile = all['hostile-input'];
  if (hostile) {
    lines.push(
      `- **Hostile input**: ${num(hostile.casesTried)} generated requests (fast-check, fixed seed); answers ${pairs(hostile.statuses)}; ` +
        `5xx seen: **${num(hostile.serverErrors)}**; errors that were not problem responses: ${num(hostile.notProblemResponses)}.`,
    );
  }
  const slow = all['slow-clients'];
  if (slow) {
    const others = obj(slow.otherClients);
    const closed = obj(slow.slowClosedAfterMs);
    lines.push(
      `- **Slow and oversized requests**: ${num(slow.slowConnections)} trickling connections, ${num(slow.slowClosedByServer)} closed by the kit ` +
        `(${pairs(slow.slowAnswers)}) after ${num(closed.min)}–${num(closed.max)} ms; meanwhile ${num(others.requests)} other requests answered ` +
        `${pairs(others.statuses)}, median ${Number(others.p50Ms).toFixed(1)} ms, slowest ${Number(others.maxMs).toFixed(1)} ms. ` +
        `Oversized: ${pairs(slow.oversized)}. Huge header ${String(slow.hugeHeader)}, broken request line ${String(slow.brokenRequestLine)}, ` +
        `control character in a header name ${String(slow.controlCharInHeaderName)}, Content-Length with chunked ${String(slow.contentLengthWithChunked)}.`,
    );
  }
  lines.push('');
  return lines;
}

/** What the measurements say about closing each missed gap (derived from this run's figures). */
/** How many deliveries shared a COMMIT, for the servers that report it. */
function batchSentence(report: Report): string {
  const with_ = report.webhooks.filter((c) => c.batch);
  if (with_.length === 0) return '';
  return (
    ' Deliveries per COMMIT during the rounds: ' +
    with_
      .map(
        (c) =>
          `${c.name.replace(/^kit \((.*)\)$/, '$1')} ${f1(c.batch!.mean)} on average (largest ${f0(c.batch!.max)}, ${f0(c.batch!.transactions)} transactions)`,
      )
      .join('; ') +
    `; at most ${report.settings.connections} can share one here, one per connection.`
  );
}

function renderGaps(report: Report): string[] {
  const lines: string[] = ['## What the figures point to', ''];
  const share = (prefix: string) =>
    report.profile.shares.find((s) => s.what.startsWith(prefix))?.percent ?? 0;
  const kit = find(report, 'kit');
  const full = find(report, 'kit (synchronous=FULL)');
  const normal = find(report, 'kit (synchronous=NORMAL)');
  const polar = find(report, '@polar-sh/express');
  const bare = find(report, 'bare');
  const cpu = (c: WebhookContender) => c.cpuUsPerEvent ?? Number.NaN;
  lines.push(
    `- **Webhook ingest.** With group commit one fsync covers every delivery that arrived during the previous commit, so ` +
      `\`synchronous=FULL\` ${ratio(normal.rps, full.rps) < 1.2 ? 'costs little' : 'still costs a share'}: ${f0(full.rps)} vs ` +
      `${f0(normal.rps)} events/s for \`NORMAL\` (${f2(ratio(normal.rps, full.rps))}×). The kit is bound by CPU: it spends ${f0(cpu(kit))} µs of CPU per event against ${f0(cpu(polar))} µs for ` +
      `\`@polar-sh/express\` (which stores nothing) and ${f0(cpu(bare))} µs for the bare verifier, and it shares the 2 cores with the load ` +
      `generator. Of its CPU samples, SQLite statements and commits take ${f1(share('SQLite'))} %, the Node HTTP and Express stack ` +
      `${f1(share('Node HTTP') + share('Express'))} %, signature verification ${f1(share('signature'))} %, row mapping ` +
      `${f1(share('kit: row mapping'))} %. Verification tries the decoded \`whsec_\` key first, so a standard delivery is hashed once, with ` +
      "`standardwebhooks`' pure-JavaScript SHA-256; a `node:crypto` HMAC would make it a few µs, at the cost of the library the " +
      'kit promises to verify with. ' +
      'Beyond that, ≥ 1.5× of a server that stores nothing means the whole stored path (HTTP, verification, the 2.5 KB payload and ' +
      'the order or subscription and customer rows written to SQLite with their indexes, one fsync per batch) in two thirds of the CPU ' +
      'that server spends per event; the `webhook_events` payload, kept once byte for byte for replay, is the largest write, and the ' +
      'fsync of each COMMIT the largest share of the system time. ' +
      `p99 (${f1(kit.p99)} ms; rounds ${kit.rounds.map((r) => f1(r.p99)).join(', ')} ms): an answer waits for the COMMIT of its ` +
      'batch, and a delivery that arrives while a batch is being committed also waits for that one, so with a CPU-bound server ' +
      'sharing its cores the tail follows the scheduling of the whole machine.',
    `- **Products.** The kit answers at ${f2(ratio(report.products.contenders[0]!.rps, report.products.contenders[1]!.rps))}× of a bare Express handler. ` +
      'It answers from a serialised list and ETag kept in memory (rebuilt only when the product webhooks or a refresh change the ' +
      'cache); helmet, CORS and the request log line are the fixed costs the bare handler does not pay.',
    `- **Checkout latency.** The kit adds ${f2(report.checkout.kit.p50 - report.checkout.direct.p50)} ms at the median: one more HTTP ` +
      'hop (the client to the kit), its request handling (helmet, CORS, rate limit, JSON body, request log), validation, the ' +
      'call to Polar and an SQLite insert. The insert no longer waits for an fsync and the call no longer goes through `fetch`, ' +
      'which took 0.3 to 1 ms each on this machine; on a busy machine the rest grows with the CPU time it needs.',
    `- **Layout shift.** ${report.widget.shifts.length > 0 ? `The worst load shifted ${report.widget.shifts.map((s) => s.sources.join('; ')).join(' / ')}: the skeleton the pricing table shows while loading is not as tall as the cards that replace it.` : 'None measured.'}`,
    `- **Memory.** ${f0(report.footprint.loadedRssMb)} MB after the load (peak ${f0(report.footprint.peakRssMb)} MB), measured on the compiled kit as ` +
      `\`npm start\` and the Dockerfile run it. About ${f0(report.footprint.loadedFileMb)} MB is the node binary and its libraries, which any ` +
      'Node process maps; the rest is the V8 heap (its young generation takes up to 32 MB under load, and the old generation holds ' +
      "garbage until its next full collection, which is where the peak comes from) and native allocations, SQLite's 2 MB page cache among them. " +
      'A kit that talks to Polar never loads the emulator.',
  );
  return lines;
}
