/**
 * `node --import tsx bench/profile-kit.ts [seconds] [kit|FULL|NORMAL|bare] [--cpu]`: drives the kit's webhook ingest
 * alone (the `kit` server of `bench/servers.ts`, or its `kit-db` stack with that pragma, or the bare verifier for
 * comparison) as `npm run bench` does
 * and prints the server's CPU time per event (user + system, from /proc: far less sensitive to a busy machine
 * than events/s); with `--cpu`, under `--cpu-prof`, the functions with the most self time. For finding what to
 * make cheaper; not part of the report.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { webhookLoad } from './load.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw3Ov9Qwz1Z7U=';
const seconds = Number(process.argv[2] ?? 5);
const kind = process.argv[3] ?? 'kit';
const profiling = process.argv.includes('--cpu');

const dir = mkdtempSync(path.join(os.tmpdir(), 'polar-kit-profile-'));
const spec =
  kind === 'kit'
    ? { kind, dbPath: path.join(dir, 'kit.sqlite'), secret: SECRET, apiUrl: 'http://127.0.0.1:9' }
    : kind === 'bare'
      ? { kind, secret: SECRET }
      : { kind: 'kit-db', dbPath: path.join(dir, 'kit.sqlite'), secret: SECRET, synchronous: kind };
const child = spawn(
  process.execPath,
  [
    ...(profiling ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []),
    '--import',
    'tsx',
    path.join(ROOT, 'bench/servers.ts'),
    JSON.stringify(spec),
  ],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
);
const url = await new Promise<string>((resolve) => {
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { url: string }).url);
  });
});
await webhookLoad({ url, secret: SECRET, scheme: 'standard', connections: 10, seconds: 1 });
/** User and system CPU seconds of the server process so far. */
const cpuSeconds = () => {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
};
const cpuBefore = cpuSeconds();
const figures = await webhookLoad({ url, secret: SECRET, scheme: 'standard', connections: 10, seconds });
const cpuAfter = cpuSeconds();
const perEvent = (seconds: number) => ((1e6 * seconds) / Math.max(1, figures.ok)).toFixed(0);
const user = cpuAfter.user - cpuBefore.user;
const system = cpuAfter.system - cpuBefore.system;
process.stdout.write(
  `${figures.rps.toFixed(0)} ev/s, p99 ${figures.p99} ms, server CPU ${perEvent(user + system)} µs/event (user ${perEvent(user)}, system ${perEvent(system)})\n`,
);
if (kind === 'FULL' || kind === 'NORMAL') {
  // The `kit-db` stack counts its transactions: how many deliveries shared each COMMIT.
  const batches = (await (await fetch(`${url}/api/_bench/batches`)).json()) as {
    transactions: number;
    events: number;
    max: number;
  };
  process.stdout.write(
    `${(batches.events / Math.max(1, batches.transactions)).toFixed(1)} deliveries per COMMIT on average, at most ${batches.max}\n`,
  );
}
const exited = new Promise((resolve) => child.once('exit', resolve));
child.kill('SIGTERM');
await exited;
if (!profiling) {
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number } };
const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'))!;
const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  total += delta;
  const frame = byId.get(id)!.callFrame;
  const key = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^file:\/\/\/work\/main\//, '')}:${frame.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + delta);
});
for (const [key, time] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 70))
  process.stdout.write(`${((100 * time) / total).toFixed(1).padStart(5)} %  ${key}\n`);
rmSync(dir, { recursive: true, force: true });
