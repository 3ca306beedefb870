// SPDX-License-Identifier: GPL-3.0-or-later
// The baseline of bench-cluster: N orders through Graphile Worker on a
// PostgreSQL database, as its documentation advises for throughput (jobs
// added in bulk, a local queue, batched completions). Each job is one order;
// its task writes the same result row Orderly writes (observations, when,
// which worker), VIP orders first by job priority. Prints one JSON line:
// {orders, enqueueMs, processMs, ordersPerSecond, resultRows, distinctIds}.
//
//   node bench-graphile.mjs URI ORDERS CONCURRENCY
import { Logger, makeWorkerUtils, run } from 'graphile-worker';
import pg from 'pg';

const [uri, ordersArg, concurrencyArg] = process.argv.slice(2);
const orders = Number(ordersArg ?? 1000000);
const concurrency = Number(concurrencyArg ?? 4);
const vipShare = 0.05;
const batch = 10000;

const pool = new pg.Pool({ connectionString: uri, max: concurrency + 4 });
pool.on('error', (error) => console.error(error.message));
const logger = new Logger(() => (level, message) => { if (level === 'error') console.error(message); });
await pool.query('DROP SCHEMA IF EXISTS graphile_worker CASCADE');
await pool.query('DROP TABLE IF EXISTS gw_results');
await pool.query(`CREATE TABLE gw_results (id bigint PRIMARY KEY, observations text NOT NULL,
                  processed_at bigint NOT NULL, worker integer NOT NULL)`);

const utils = await makeWorkerUtils({ pgPool: pool, logger });
await utils.migrate();

// Deterministic priorities, like Orderly's generator: the same share of VIP.
let state = 12345;
const nextDraw = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);

const enqueueStart = performance.now();
for (let first = 1; first <= orders; first += batch) {
  const specs = [];
  for (let id = first; id < Math.min(first + batch, orders + 1); id++) {
    const vip = nextDraw() < vipShare;
    specs.push({ identifier: 'process_order', payload: { id, vip }, priority: vip ? 0 : 1 });
  }
  await utils.addJobs(specs);
}
const enqueueMs = performance.now() - enqueueStart;

let done = 0;
let finish;
const finished = new Promise((resolve) => { finish = resolve; });
const processStart = performance.now();
const runner = await run({
  pgPool: pool,
  concurrency,
  noHandleSignals: true,
  pollInterval: 1000,
  logger,
  crontab: '',
  preset: {
    worker: {
      localQueue: { size: 500 },
      completeJobBatchDelay: 0,
      failJobBatchDelay: 0,
    },
  },
  taskList: {
    process_order: async (payload, helpers) => {
      const observations = `${payload.vip ? 'VIP' : 'NORMAL'} order ${payload.id} processed by worker ${helpers.job.locked_by}`;
      await helpers.query('INSERT INTO gw_results (id, observations, processed_at, worker) VALUES ($1, $2, $3, $4)',
        [payload.id, observations, Date.now() * 1000, 1]);
      if (++done === orders)
        finish();
    },
  },
});
await finished;
const processMs = performance.now() - processStart;
await runner.stop();

const { rows } = await pool.query('SELECT count(*)::bigint AS n, count(DISTINCT id)::bigint AS d FROM gw_results');
await utils.release();
await pool.end();
console.log(JSON.stringify({
  orders,
  concurrency,
  enqueueMs: Math.round(enqueueMs),
  processMs: Math.round(processMs),
  ordersPerSecond: Math.round(orders / (processMs / 1000)),
  resultRows: Number(rows[0].n),
  distinctIds: Number(rows[0].d),
}));
