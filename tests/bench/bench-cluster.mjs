// SPDX-License-Identifier: GPL-3.0-or-later
// Cluster benchmark, in one run on one PostgreSQL server:
//
// 1. --quantity orders (default 1,000,000) through Orderly on PostgreSQL
//    with 1, 2 and 3 `orderly --headless` instances on one database, each
//    with --workers threads. Orders/s is processed orders over the
//    processing time the run stores (VIP plus NORMAL); the run's rows are
//    checked for exactly once. During each run pg_stat_activity is sampled
//    every 50 ms for sessions waiting on a lock, and pg_stat_database and
//    pg_stat_statements give the run's lock conflicts, deadlocks and the
//    statements' share of the server's time.
// 2. The same orders through Graphile Worker (tests/bench/graphile, npm
//    package graphile-worker) on the same server, jobs added in bulk, with
//    its best concurrency of --graphile-concurrency (default 4, 16).
// 3. The ratio of the two, best against best.
// 4. With --rss, the peak RSS (VmHWM) of one instance during a --rss-quantity
//    run (default 50,000,000) on PostgreSQL and on SQLite.
//
//   node tests/bench/bench-cluster.mjs [--quantity N] [--instances 1,2,3]
//        [--workers 2] [--graphile-concurrency 4,16] [--rss] [--rss-quantity N]
//
// The PostgreSQL server is ORDERLY_TEST_PG_URI if set (build-aux/test.sh
// exports it); otherwise a throwaway one is started with
// build-aux/pg-test-server.sh and stopped at the end.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const orderlyBin = process.env.ORDERLY_BIN ?? join(repoRoot, '_build', 'src', 'orderly');
const pgServer = join(repoRoot, 'build-aux', 'pg-test-server.sh');

function option (name, fallback)
{
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

const quantity = Number(option('quantity', 1000000));
const instanceCounts = option('instances', '1,2,3').split(',').map(Number);
const workers = Number(option('workers', 2));
const graphileConcurrency = option('graphile-concurrency', '4,16').split(',').map(Number);
const measureRss = process.argv.includes('--rss');
const rssQuantity = Number(option('rss-quantity', 50000000));

let pgDir = null;
let baseUri = process.env.ORDERLY_TEST_PG_URI;
if (!baseUri) {
  pgDir = mkdtempSync(join(tmpdir(), 'orderly-bench-pg-'));
  baseUri = execFileSync(pgServer, ['start', pgDir], { encoding: 'utf8' }).trim();
}
const cleanUp = () => {
  if (pgDir) {
    execFileSync(pgServer, ['stop', pgDir]);
    rmSync(pgDir, { recursive: true, force: true });
    pgDir = null;
  }
};
process.on('exit', cleanUp);
process.on('SIGINT', () => process.exit(130));

const psql = (uri, sql) => execFileSync('psql', ['-XqtA', '-F', '\t', '-c', sql, uri], { encoding: 'utf8' }).trim();
const uriOf = (name) => `${baseUri}&dbname=${name}`;

function freshDatabase (name)
{
  psql(baseUri, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  psql(baseUri, `CREATE DATABASE ${name}`);
  try {
    psql(uriOf(name), 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  } catch {
    // Without shared_preload_libraries the extension is not there: no statement figures.
  }
  return uriOf(name);
}

function startOrderly (args)
{
  const dataDir = mkdtempSync(join(tmpdir(), 'orderly-bench-'));
  const child = spawn(orderlyBin, ['--headless', '--no-auth', '--port', '0', '--data-dir', dataDir, ...args],
                      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GSETTINGS_BACKEND: 'memory' } });
  let output = '';
  child.stderr.on('data', (chunk) => { output += chunk; });
  return new Promise((resolveStart, rejectStart) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /Orderly listening on (http:\/\/\S+?)\/?\n/.exec(output);
      if (match)
        resolveStart({ url: match[1], child, dataDir, output: () => output });
    });
    child.once('exit', (code) => rejectStart(new Error(`orderly exited with ${code}:\n${output}`)));
  });
}

async function stopOrderly (instance)
{
  const exited = new Promise((r) => instance.child.once('exit', r));
  instance.child.kill('SIGTERM');
  await exited;
  rmSync(instance.dataDir, { recursive: true, force: true });
}

async function getJson (instance, path, init)
{
  const response = await fetch(`${instance.url}/${path}`, init);
  return response.json();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitForEnd (instance, onTick)
{
  for (;;) {
    const status = await getJson(instance, 'pedidos');
    if (['DONE', 'ERROR', 'ABORTED'].includes(status.phase))
      return status;
    await onTick?.();
    await sleep(50);
  }
}

function lockStats (uri)
{
  const [conflicts, deadlocks] = psql(uri, 'SELECT conflicts, deadlocks FROM pg_stat_database WHERE datname = current_database()').split('\t').map(Number);
  return { conflicts, deadlocks };
}

async function runOrderly (n)
{
  const uri = freshDatabase(`orderly_bench_${n}`);
  const instances = [];
  for (let i = 0; i < n; i++)
    instances.push(await startOrderly(['--database', uri, '--workers', String(workers)]));
  await sleep(1500);   // heartbeats: every instance knows the others
  try { psql(uri, 'SELECT pg_stat_statements_reset ()'); } catch { /* no extension */ }
  psql(uri, 'SELECT pg_stat_reset ()');
  const before = lockStats(uri);
  let samples = 0, lockWaiters = 0, maxLockWaiters = 0;
  const waitsByLock = new Map();
  await getJson(instances[0], 'generate', {
    method: 'POST', headers: { 'Content-Type': 'application/json', Origin: instances[0].url },
    body: JSON.stringify({ quantity }),
  });
  const status = await waitForEnd(instances[0], () => {
    const rows = psql(uri, "SELECT l.locktype || coalesce (' on ' || c.relname, '') FROM pg_locks l " +
                           'LEFT JOIN pg_class c ON c.oid = l.relation WHERE NOT l.granted');
    const waiting = rows ? rows.split('\n') : [];
    samples++;
    lockWaiters += waiting.length;
    maxLockWaiters = Math.max(maxLockWaiters, waiting.length);
    for (const kind of waiting)
      waitsByLock.set(kind, (waitsByLock.get(kind) ?? 0) + 1);
  });
  const after = lockStats(uri);
  const stored = psql(uri, 'SELECT (SELECT count(*) FROM vip_results) + (SELECT count(*) FROM normal_results), ' +
                           "(SELECT count(*) FROM orders_view WHERE status = 'processed'), " +
                           '(SELECT count (DISTINCT instance) FROM normal_results), ' +
                           '(SELECT max (processed_at) FROM vip_results) < (SELECT min (coalesce (first_attempt_at, processed_at)) FROM normal_results)').split('\t');
  let topStatements = '';
  try {
    topStatements = psql(uri, "SELECT round (100 * total_exec_time / sum (total_exec_time) OVER ())::int || '% ' || calls || ' calls ' || left (regexp_replace (query, '\\s+', ' ', 'g'), 60) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY total_exec_time DESC LIMIT 5");
  } catch { /* no extension */ }
  for (const instance of instances)
    await stopOrderly(instance);
  const processMs = status.processing.vip.timeMs + status.processing.normal.timeMs;
  return {
    instances: n,
    phase: status.phase,
    ordersPerSecond: Math.round(quantity / (processMs / 1000)),
    generationMs: Math.round(status.generationTimeMs),
    processMs: Math.round(processMs),
    resultRows: Number(stored[0]),
    processedOrders: Number(stored[1]),
    instancesThatProcessed: Number(stored[2]),
    vipBeforeNormal: stored[3] === 't',
    lockWaitSamples: `${lockWaiters} lock waits seen in ${samples} samples of pg_locks (max ${maxLockWaiters} at once)` +
                     (waitsByLock.size ? `: ${[...waitsByLock].map(([k, n]) => `${n} ${k}`).join(', ')}` : ''),
    conflicts: after.conflicts - before.conflicts,
    deadlocks: after.deadlocks - before.deadlocks,
    topStatements,
  };
}

function runGraphile (concurrency)
{
  const dir = join(here, 'graphile');
  if (!existsSync(join(dir, 'node_modules')))
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
  const uri = freshDatabase(`orderly_bench_graphile_${concurrency}`);
  const line = execFileSync('node', [join(dir, 'bench-graphile.mjs'), uri, String(quantity), String(concurrency)],
                            { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return JSON.parse(line.trim().split('\n').pop());
}

async function peakRss (args)
{
  const instance = await startOrderly(args);
  await getJson(instance, 'generate', {
    method: 'POST', headers: { 'Content-Type': 'application/json', Origin: instance.url },
    body: JSON.stringify({ quantity: rssQuantity }),
  });
  const status = await waitForEnd(instance, () => sleep(1000));
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${instance.child.pid}/status`, 'utf8'))[1];
  await stopOrderly(instance);
  return { phase: status.phase, processed: status.progress.processedTotal, peakRssMiB: Math.round(Number(hwm) / 1024) };
}

console.log(`bench-cluster: ${quantity} orders, ${workers} workers per instance, PostgreSQL ${psql(baseUri, 'SHOW server_version')}`);
const orderly = [];
for (const n of instanceCounts) {
  const result = await runOrderly(n);
  orderly.push(result);
  console.log(`orderly x${n}: ${result.ordersPerSecond} orders/s (processing ${result.processMs} ms, generation ${result.generationMs} ms), ` +
              `${result.phase}, ${result.resultRows} result rows for ${quantity} orders, ${result.instancesThatProcessed} instances processed, ` +
              `VIP before NORMAL: ${result.vipBeforeNormal}`);
  console.log(`  locks: ${result.lockWaitSamples}; conflicts ${result.conflicts}, deadlocks ${result.deadlocks}`);
  if (result.topStatements)
    console.log(`  server time by statement:\n    ${result.topStatements.split('\n').join('\n    ')}`);
}
const graphile = [];
for (const c of graphileConcurrency) {
  const result = runGraphile(c);
  graphile.push(result);
  console.log(`graphile-worker concurrency ${c}: ${result.ordersPerSecond} orders/s (processing ${result.processMs} ms, ` +
              `adding the jobs ${result.enqueueMs} ms), ${result.resultRows} result rows, ${result.distinctIds} distinct`);
}
const bestOrderly = Math.max(...orderly.map((r) => r.ordersPerSecond));
const bestGraphile = Math.max(...graphile.map((r) => r.ordersPerSecond));
console.log(`ratio: Orderly ${bestOrderly} / Graphile Worker ${bestGraphile} orders/s = ${(bestOrderly / bestGraphile).toFixed(1)}x`);

if (measureRss) {
  const pg = await peakRss(['--database', freshDatabase('orderly_bench_rss'), '--workers', String(workers)]);
  console.log(`peak RSS, ${rssQuantity} orders on PostgreSQL: ${pg.peakRssMiB} MiB (${pg.phase}, ${pg.processed} processed)`);
  psql(baseUri, 'DROP DATABASE IF EXISTS orderly_bench_rss WITH (FORCE)');
  const sqlite = await peakRss(['--workers', String(workers)]);
  console.log(`peak RSS, ${rssQuantity} orders on SQLite: ${sqlite.peakRssMiB} MiB (${sqlite.phase}, ${sqlite.processed} processed)`);
}
cleanUp();
