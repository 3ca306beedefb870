// SPDX-License-Identifier: GPL-3.0-or-later
// bench-node-routes: the Node system's queue routes over HTTP, on the real
// `orderly --headless`, while a run goes on. The same measures as
// bench-queue (which calls the engine in-process), taken through REST as a
// front end sees them:
//
// 1. Job-listing pages: GET /pedidos/queue/jobs?types=STATE&start=0&end=99
//    &includeData=true for each state in turn (and the Node front end's own
//    request, types=waiting,active,failed&end=100), one request at a time,
//    every --interval-ms (default 10; the Node front end asks every ten
//    seconds), for the whole of a run of N orders, --runs times (default 3). Each latency, from the request to
//    the last byte of its answer, is counted in the part of the run it fell
//    in: generating, early (under 30 % processed), deep (60 % processed or
//    more). Printed: p50 and p99 per state and part. Baselines in the same
//    invocation: the same pages once the run is over (nothing writing), and
//    the run's throughput without any listing against its throughput under
//    them.
// 2. Pause: POST /pedidos/queue/pause deep in a run, several times, for each
//    simulated cost per order in --work-us (default 0, full speed; with a
//    cost, in a run of about half a minute's work on two workers, once
//    orders are being processed). Printed, median and max: the time until the answer, until
//    the last order processed (the newest finishedOn of the completed
//    listing), and until no worker holds a claim (GET
//    /pedidos/queue/jobs?types=active, a query on the store, polled until
//    it is empty); beside them POST /pedidos/cancel's waitedForStopMs at
//    the same point of a run. During each pause, the paused listing's
//    page (types=paused, the waiting orders while the queue is paused). With --baseline-bin, the same for another
//    build (say, the main branch's), alternating with this one.
//
//   node tests/bench/bench-node-routes.mjs [--orders 1000000,10000000]
//        [--workers W] [--failure-rate F] [--pauses P] [--interval-ms MS] [--runs R]
//        [--no-baseline-run] [--work-us US,US...] [--baseline-bin PATH]
//
// --runs 0 times the pauses alone. ORDERLY_BIN names the binary (default
// _build/src/orderly).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const orderlyBin = process.env.ORDERLY_BIN ?? join(repoRoot, '_build', 'src', 'orderly');

function option (name, fallback)
{
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

const sizes = option('orders', '1000000,10000000').split(',').map(Number);
const workers = option('workers', null);
const failureRate = option('failure-rate', '0.01');
const pauses = Number(option('pauses', '10'));
const baselineRun = !process.argv.includes('--no-baseline-run');
const intervalMs = Number(option('interval-ms', '10'));
const runs = Number(option('runs', '3'));
const pauseWorkUs = option('work-us', '0').split(',').map(Number);
const baselineBin = option('baseline-bin', null);

const STATES = ['waiting', 'active', 'completed', 'failed', 'delayed'];
const PAGES = [...STATES.map((state) => ({ name: state, path: `/pedidos/queue/jobs?types=${state}&start=0&end=99&includeData=true` })),
  { name: 'front end', path: '/pedidos/queue/jobs?types=waiting,active,failed&start=0&end=100&includeData=true' }];
const PARTS = ['generating', 'early', 'deep', 'idle (baseline)'];

function start (dataDir, bin = orderlyBin, extraArgs = [])
{
  const args = ['--headless', '--no-auth', '--port', '0', '--data-dir', dataDir, '--failure-rate', failureRate, ...extraArgs];
  if (workers)
    args.push('--workers', workers);
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, GSETTINGS_BACKEND: 'memory' } });
  return new Promise((resolveStart, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /Orderly listening on (http:\/\/\S+?)\/?\s/.exec(out);
      if (match)
        resolveStart({ url: match[1], child });
    });
    child.once('exit', (code) => reject(new Error(`orderly exited with ${code}`)));
  });
}

async function stop (server)
{
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  await exited;
}

async function call (server, path, method = 'GET')
{
  const t0 = performance.now();
  const response = await fetch(server.url + path, { method, headers: { 'Content-Type': 'application/json' } });
  const body = await response.json();
  return { ms: performance.now() - t0, status: response.status, body };
}

const status = async (server) => (await call(server, '/pedidos')).body;

function partOf (s)
{
  if (s.phase === 'GENERATING' || s.phase === 'ENQUEUE_VIP')
    return 'generating';
  const done = s.progress.target > 0 ? (s.progress.processedTotal + s.progress.failedTotal) / s.progress.target : 0;
  if (done < 0.3)
    return 'early';
  return done >= 0.6 ? 'deep' : null;
}

const isRunning = (s) => ['GENERATING', 'ENQUEUE_VIP', 'WAITING_VIP_DRAIN', 'ENQUEUE_NORMAL', 'WAITING_NORMAL_DRAIN'].includes(s.phase);

function percentile (values, p)
{
  if (values.length === 0)
    return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1) + 0.5))];
}

const fmt = (ms) => (Number.isNaN(ms) ? '     -' : ms.toFixed(2).padStart(6));

async function waitDone (server)
{
  for (;;) {
    const s = await status(server);
    if (!isRunning(s))
      return s;
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Orders processed per second over the processing windows of a finished run.
const throughput = (s) => s.throughput.overall;

async function benchListings (orders)
{
  const dataDir = mkdtempSync(join(tmpdir(), 'orderly-bench-http-'));
  const server = await start(dataDir);
  try {
    let usual = null;
    if (baselineRun) {
      await call(server, `/pedidos/generate?quantity=${orders}`, 'POST');
      usual = throughput(await waitDone(server));
    }

    const latencies = Object.fromEntries(PARTS.map((part) => [part, Object.fromEntries(PAGES.map((page) => [page.name, []]))]));
    const loadedRuns = [];
    for (let run = 0; run < runs; run++) {
      const started = await call(server, `/pedidos/generate?quantity=${orders}&force=true`, 'POST');
      if (started.status !== 201)
        throw new Error(`could not start: ${JSON.stringify(started.body)}`);
      for (let i = 0; ; i++) {
        const s = await status(server);
        if (!isRunning(s))
          break;
        const part = partOf(s);
        const page = PAGES[i % PAGES.length];
        const answer = await call(server, page.path);
        if (answer.status !== 200)
          throw new Error(`${page.path}: ${answer.status} ${JSON.stringify(answer.body)}`);
        if (part)
          latencies[part][page.name].push(answer.ms);
        await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - answer.ms)));
      }
      loadedRuns.push(throughput(await status(server)));
    }
    const loaded = percentile(loadedRuns, 0.5);
    for (let i = 0; i < 200; i++) {
      const page = PAGES[i % PAGES.length];
      latencies['idle (baseline)'][page.name].push((await call(server, page.path)).ms);
    }

    console.log(`\n== ${orders.toLocaleString('en')} orders: job-listing pages over HTTP, ms (p50 / p99, requests)`);
    console.log(`${'state'.padEnd(11)}${PARTS.map((part) => part.padEnd(26)).join('')}`);
    for (const page of PAGES) {
      const cells = PARTS.map((part) => {
        const values = latencies[part][page.name];
        return `${fmt(percentile(values, 0.5))} / ${fmt(percentile(values, 0.99))} (${String(values.length).padStart(5)})`.padEnd(26);
      });
      console.log(`${page.name.padEnd(11)}${cells.join('')}`);
    }
    if (usual !== null)
      console.log(`run throughput: ${Math.round(loaded).toLocaleString('en')} orders/s under listings (median of ${runs}), ` +
                  `${Math.round(usual).toLocaleString('en')} orders/s without (baseline)`);
    else
      console.log(`run throughput: ${Math.round(loaded).toLocaleString('en')} orders/s under listings`);
  } finally {
    await stop(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// Waits until the run is far enough for a pause: deep in it at full speed,
// or with a simulated cost, once its NORMAL orders are being processed.
async function waitForPausePoint (server, workUs)
{
  let s;
  do
    s = await status(server);
  while (isRunning(s) && (workUs > 0 ? !(s.phase.endsWith('_DRAIN') && s.progress.processedTotal > 0)
    : partOf(s) !== 'deep'));
  return s;
}

async function benchPause (orders, bin, workUs)
{
  const dataDir = mkdtempSync(join(tmpdir(), 'orderly-bench-http-'));
  const server = await start(dataDir, bin, ['--work-us', String(workUs)]);
  const answered = [];
  const processed = [];
  const stopped = [];
  const pausedPages = [];
  let cancel;
  try {
    await call(server, `/pedidos/generate?quantity=${orders}`, 'POST');
    let s = await waitForPausePoint(server, workUs);

    for (let i = 0; i < pauses && isRunning(s); i++) {
      const sentAt = Date.now();
      const sentAtMono = performance.now();
      const pause = await call(server, '/pedidos/queue/pause', 'POST');
      answered.push(pause.ms);
      // The active listing is a query on the store: empty once no worker
      // holds a claim.
      let active;
      do
        active = (await call(server, '/pedidos/queue/jobs?types=active&start=0&end=0&includeData=false')).body.jobs;
      while (active.length > 0);
      stopped.push(performance.now() - sentAtMono);
      // The last order processed: the completed listing holds the VIP
      // orders, then the NORMAL ones, each newest first.
      const now = await status(server);
      const from = now.phase === 'WAITING_NORMAL_DRAIN' ? now.counts.vip : 0;
      const newest = (await call(server, `/pedidos/queue/jobs?types=completed&start=${from}&end=${from + 99}&includeData=false`)).body.jobs;
      processed.push(Math.max(0, ...newest.map((job) => job.finishedOn - sentAt)));
      // While paused, the waiting orders are listed as paused ones.
      for (let j = 0; j < 20; j++)
        pausedPages.push((await call(server, '/pedidos/queue/jobs?types=paused&start=0&end=99&includeData=true')).ms);
      await call(server, '/pedidos/queue/resume', 'POST');
      // Let it work a while between pauses.
      const before = (await status(server)).progress.processedTotal;
      const until = performance.now() + 300;
      do
        s = await status(server);
      while (isRunning(s) && (workUs > 0 ? performance.now() < until : s.progress.processedTotal < before + 5000));
    }
    // The baseline: a cancel, at the same point of a run of its own.
    await call(server, `/pedidos/generate?quantity=${orders}&force=true`, 'POST');
    await waitForPausePoint(server, workUs);
    cancel = (await call(server, '/pedidos/cancel', 'POST')).body.waitedForStopMs;
  } finally {
    await stop(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { answered, processed, stopped, cancel, pausedPages };
}

const median = (values) => percentile(values, 0.5);

async function benchPauses (orders)
{
  const builds = baselineBin ? [['baseline', baselineBin], ['this tree', orderlyBin]] : [['this tree', orderlyBin]];
  console.log(`\n== ${orders.toLocaleString('en')} orders: ${pauses} pauses per run, ms from the request (median / max); target 200`);
  console.log(`${'work-us'.padEnd(9)}${'build'.padEnd(11)}${'answered'.padEnd(21)}${'last processed'.padEnd(21)}` +
              `${'claims given back'.padEnd(23)}cancel waitedForStopMs`);
  const pausedPages = [];
  for (const workUs of pauseWorkUs) {
    // With a cost per order, a run of about half a minute on two workers.
    const size = workUs > 0 ? Math.min(orders, Math.ceil(60e6 / workUs)) : orders;
    for (const [name, bin] of builds) {
      const r = await benchPause(size, bin, workUs);
      const cell = (values) => `${fmt(median(values)).padStart(8)} / ${fmt(Math.max(...values)).padStart(8)}`.padEnd(21);
      console.log(`${String(workUs).padEnd(9)}${name.padEnd(11)}${cell(r.answered)}${cell(r.processed)}` +
                  `${cell(r.stopped)}  ${r.cancel ?? '-'}`);
      pausedPages.push([`${workUs} us, ${name}`, r.pausedPages]);
    }
  }
  console.log('paused pages during those pauses (types=paused, 0-99 with data), ms p50 / p99 (requests):');
  for (const [what, values] of pausedPages)
    console.log(`  ${what.padEnd(24)}${fmt(percentile(values, 0.5))} / ${fmt(percentile(values, 0.99))} (${values.length})`);
}

if (!existsSync(orderlyBin)) {
  console.error(`Orderly is not built: ${orderlyBin}`);
  process.exit(1);
}
console.log(`bench-node-routes: ${orderlyBin}, failure rate ${failureRate}, workers ${workers ?? 'one per processor'}`);
for (const orders of sizes) {
  if (runs > 0)
    await benchListings(orders);
  await benchPauses(orders);
}
