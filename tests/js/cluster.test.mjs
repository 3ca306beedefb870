// SPDX-License-Identifier: GPL-3.0-or-later
// Three real `orderly --headless` processes on one PostgreSQL database: a run
// to DONE, one killed (kill -9) mid-NORMAL, one frozen (SIGSTOP) past its lease,
// VIP before NORMAL across instances, and the database server restarted
// mid-run. Every verdict comes from the stored rows and times, read with psql.
//
// Needs the throwaway server build-aux/test.sh starts (ORDERLY_TEST_PG_URI,
// ORDERLY_TEST_PG_DIR, ORDERLY_TEST_PG_SERVER).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { makeDataDir, removeDataDir, rest, startServer, waitFor } from './support/browser.mjs';

const baseUri = process.env.ORDERLY_TEST_PG_URI;
const skip = baseUri ? false : 'no PostgreSQL test server: ORDERLY_TEST_PG_URI is not set (build-aux/test.sh starts one)';
const LEASE_MS = 1500;

let counter = 0;

function databaseUri (name)
{
  return `${baseUri}&dbname=${name}`;
}

function psql (uri, sql)
{
  return execFileSync('psql', ['-XqtA', '-c', sql, uri], { encoding: 'utf8' }).trim();
}

function queryInt (uri, sql)
{
  return Number(psql(uri, sql));
}

function createDatabase ()
{
  const name = `orderly_cluster_${process.pid}_${counter++}`;
  psql(baseUri, `CREATE DATABASE ${name}`);
  return name;
}

function dropDatabase (name)
{
  psql(baseUri, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

function restartDatabaseServer ()
{
  execFileSync(process.env.ORDERLY_TEST_PG_SERVER, ['restart', process.env.ORDERLY_TEST_PG_DIR], { stdio: 'inherit' });
}

async function startInstance (uri, extraArgs = [])
{
  const dataDir = makeDataDir();
  const server = await startServer({
    dataDir,
    extraArgs: ['--database', uri, '--workers', '2', '--lease-ms', String(LEASE_MS), ...extraArgs],
  });
  server.dataDir = dataDir;
  return server;
}

async function startCluster (uri, n, extraArgs)
{
  const instances = [];
  for (let i = 0; i < n; i++)
    instances.push(await startInstance(uri, extraArgs));
  // Every one lists the others before the run starts.
  for (const instance of instances)
    await waitFor(async () => (await rest(instance, 'pedidos')).data.cluster?.length === n,
                  { what: `${n} instances in the cluster` });
  return instances;
}

async function stopCluster (instances)
{
  for (const instance of instances) {
    if (instance.child.signalCode === 'SIGSTOP')
      instance.child.kill('SIGCONT');
    await instance.stop('SIGKILL');
    removeDataDir(instance.dataDir);
  }
}

async function phaseOf (instance)
{
  return (await rest(instance, 'pedidos')).data.phase;
}

async function waitForPhase (instances, phases, timeoutMs = 120000)
{
  return waitFor(async () => {
    for (const instance of instances) {
      if (instance.child.exitCode !== null || instance.child.signalCode !== null)
        continue;
      const phase = await phaseOf(instance);
      if (phases.includes(phase))
        return phase;
    }
    return null;
  }, { timeoutMs, intervalMs: 250, what: `phase ${phases.join(' or ')}` });
}

function processedCount (uri)
{
  return queryInt(uri, 'SELECT (SELECT count(*) FROM vip_results) + (SELECT count(*) FROM normal_results)');
}

/* What the stored rows say: every order processed exactly once, and no
 * NORMAL order tried before the last VIP one was settled. */
function assertStoredRun (uri, quantity)
{
  assert.equal(queryInt(uri, 'SELECT count(*) FROM orders'), quantity, 'orders stored');
  assert.equal(processedCount(uri), quantity, 'one result row per order');
  assert.equal(queryInt(uri, "SELECT count(*) FROM orders_view WHERE status <> 'processed'"), 0,
               'no order left unprocessed');
  assert.equal(queryInt(uri, 'SELECT count(*) FROM vip_results r JOIN normal_results n ON n.id = r.id'), 0);
  const vipLast = queryInt(uri, 'SELECT max (processed_at) FROM vip_results');
  const normalFirst = queryInt(uri, 'SELECT min (coalesce (first_attempt_at, processed_at)) FROM normal_results');
  assert.ok(vipLast < normalFirst, `the last VIP order (${vipLast}) before the first NORMAL one (${normalFirst})`);
  assert.equal(psql(uri, 'SELECT phase FROM runs ORDER BY id DESC LIMIT 1'), 'DONE');
}

describe('a cluster of three instances on one database', { skip, concurrency: 1 }, () => {
  let name;
  let uri;
  let instances = [];

  before(() => {
    name = createDatabase();
    uri = databaseUri(name);
  });

  after(async () => {
    await stopCluster(instances);
    if (name)
      dropDatabase(name);
  });

  test('runs to DONE, every instance taking part, VIP before NORMAL across them', async () => {
    const quantity = 60000;

    instances = await startCluster(uri, 3, ['--work-us', '300']);
    const start = await rest(instances[1], 'generate', { method: 'POST', body: { quantity } });
    assert.equal(start.status, 202, JSON.stringify(start.data));
    assert.equal(await waitForPhase(instances, ['DONE', 'ERROR', 'ABORTED']), 'DONE');
    assertStoredRun(uri, quantity);
    assert.equal(queryInt(uri, 'SELECT count (DISTINCT instance) FROM normal_results'), 3,
                 'each instance processed NORMAL orders');

    // Every instance shows the cluster-wide figures of the run.
    for (const instance of instances) {
      const status = (await rest(instance, 'pedidos')).data;
      assert.equal(status.phase, 'DONE');
      assert.equal(status.progress.processedTotal, quantity);
    }

    // A second run refused while one is under way elsewhere.
    const again = await rest(instances[0], 'generate', { method: 'POST', body: { quantity: 300000 } });
    assert.equal(again.status, 202);
    await waitForPhase([instances[2]], ['WAITING_VIP_DRAIN', 'ENQUEUE_NORMAL', 'WAITING_NORMAL_DRAIN']);
    const refused = await rest(instances[2], 'generate', { method: 'POST', body: { quantity: 10 } });
    assert.equal(refused.status, 409, JSON.stringify(refused.data));
    await rest(instances[2], 'cancel', { method: 'POST' });
    assert.equal(await waitForPhase([instances[0]], ['ABORTED', 'DONE']), 'ABORTED',
                 'a cancel on one instance stops the run on all');
  });

  test('kill -9 of the instance that started the run, mid-NORMAL: the others finish it, exactly once', async () => {
    const quantity = 80000;

    await stopCluster(instances);
    dropDatabase(name);
    name = createDatabase();
    uri = databaseUri(name);
    instances = await startCluster(uri, 3, ['--work-us', '200']);
    const [owner] = instances;
    assert.equal((await rest(owner, 'generate', { method: 'POST', body: { quantity } })).status, 202);
    await waitFor(() => queryInt(uri, 'SELECT count(*) FROM normal_results') > quantity / 5,
                  { timeoutMs: 60000, intervalMs: 50, what: 'a fifth of the NORMAL orders' });
    owner.child.kill('SIGKILL');
    await owner.exited;
    assert.equal(await waitForPhase(instances.slice(1), ['DONE', 'ERROR', 'ABORTED']), 'DONE');
    assertStoredRun(uri, quantity);
  });

  test('SIGSTOP past the lease, then SIGCONT: the frozen instance\'s late writes are refused', async () => {
    const quantity = 60000;

    await stopCluster(instances);
    dropDatabase(name);
    name = createDatabase();
    uri = databaseUri(name);
    instances = await startCluster(uri, 3, ['--work-us', '500']);
    const frozen = instances[2];
    const frozenId = (await rest(frozen, 'pedidos')).data.cluster.find((i) => i.local).id;
    assert.equal((await rest(instances[0], 'generate', { method: 'POST', body: { quantity } })).status, 202);
    await waitFor(() => queryInt(uri, 'SELECT count(*) FROM normal_results') > quantity / 10,
                  { timeoutMs: 60000, intervalMs: 50, what: 'a tenth of the NORMAL orders' });
    // Frozen while its workers hold claims.
    frozen.child.kill('SIGSTOP');
    frozen.child.signalCode = 'SIGSTOP';
    await waitFor(async () => (await rest(instances[0], 'pedidos')).data.cluster
      .some((i) => i.id === frozenId && i.quiet), { timeoutMs: 30000, what: 'the frozen instance marked quiet' });
    await new Promise((resolveSleep) => setTimeout(resolveSleep, LEASE_MS * 2));
    frozen.child.kill('SIGCONT');
    frozen.child.signalCode = null;
    assert.equal(await waitForPhase(instances, ['DONE', 'ERROR', 'ABORTED']), 'DONE');
    assertStoredRun(uri, quantity);
    // It saw its leases run out and said so.
    const logs = (await rest(frozen, 'pedidos/logs?lines=1000')).data;
    assert.match(JSON.stringify(logs), /lease/i);
    await waitFor(async () => (await rest(instances[0], 'pedidos')).data.cluster
      .some((i) => i.id === frozenId && !i.quiet), { what: 'the frozen instance back' });
  });

  test('VIP before NORMAL across instances, VIP orders waiting for retries included', async () => {
    const quantity = 20000;

    await stopCluster(instances);
    dropDatabase(name);
    name = createDatabase();
    uri = databaseUri(name);
    instances = await startCluster(uri, 3, ['--work-us', '1000', '--failure-rate', '0.25']);
    assert.equal((await rest(instances[2], 'generate', { method: 'POST', body: { quantity } })).status, 202);
    assert.equal(await waitForPhase(instances, ['DONE', 'ERROR', 'ABORTED']), 'DONE');

    // Exactly once: each order has one outcome, a result or a failure for good.
    assert.equal(queryInt(uri, 'SELECT count(*) FROM orders'), quantity);
    assert.equal(queryInt(uri, "SELECT count(*) FROM orders_view WHERE status IN ('processed', 'failed')"), quantity);
    assert.equal(queryInt(uri, 'SELECT count(*) FROM vip_results r JOIN normal_results n ON n.id = r.id'), 0);
    assert.equal(queryInt(uri, 'SELECT count(*) FROM failures f JOIN vip_results r ON r.id = f.id ' +
                               'WHERE f.state = 3'), 0);
    // VIP orders were retried, on more than one instance.
    assert.ok(queryInt(uri, 'SELECT count(*) FROM vip_results WHERE attempts > 1') > 0, 'VIP retries');
    assert.ok(queryInt(uri, 'SELECT count (DISTINCT instance) FROM vip_results') >= 2,
              'VIP orders processed on several instances');
    assert.equal(queryInt(uri, 'SELECT count (DISTINCT instance) FROM normal_results'), 3);

    // The last VIP attempt, a retry or one that failed for good, came before
    // the first NORMAL attempt on any instance.
    const vipLast = queryInt(uri, 'SELECT greatest ((SELECT max (processed_at) FROM vip_results), ' +
                                  '(SELECT max (last_attempt_at) FROM failures WHERE priority = 0))');
    const normalFirst = queryInt(uri, 'SELECT least ((SELECT min (coalesce (first_attempt_at, processed_at)) ' +
                                      'FROM normal_results), ' +
                                      '(SELECT min (first_attempt_at) FROM failures WHERE priority = 1))');
    assert.ok(vipLast < normalFirst, `the last VIP attempt (${vipLast}) before the first NORMAL one (${normalFirst})`);
    assert.equal(psql(uri, 'SELECT phase FROM runs ORDER BY id DESC LIMIT 1'), 'DONE');
  });

  test('the database server restarted mid-run: a clear error, then resume to DONE', async () => {
    const quantity = 60000;

    await stopCluster(instances);
    dropDatabase(name);
    name = createDatabase();
    uri = databaseUri(name);
    instances = await startCluster(uri, 3, ['--work-us', '300']);
    assert.equal((await rest(instances[0], 'generate', { method: 'POST', body: { quantity } })).status, 202);
    await waitFor(() => queryInt(uri, 'SELECT count(*) FROM normal_results') > quantity / 10,
                  { timeoutMs: 60000, intervalMs: 50, what: 'a tenth of the NORMAL orders' });
    restartDatabaseServer();
    assert.equal(await waitForPhase([instances[0]], ['ERROR', 'DONE']), 'ERROR');
    const status = (await rest(instances[0], 'pedidos')).data;
    assert.match(status.error ?? '', /(connection to|connect to) the PostgreSQL database/i, JSON.stringify(status.error));
    // An instance that was helping may still be ending its part (409) when
    // the one that ran the run has failed: the resume is taken once none runs.
    const resumed = await waitFor(async () => {
      const answer = await rest(instances[1], 'resume', { method: 'POST' });
      return answer.status === 409 ? null : answer;
    }, { what: 'a resume accepted once no instance runs the run' });
    assert.ok(resumed.status < 300, JSON.stringify(resumed.data));
    await waitFor(async () => (await phaseOf(instances[1])) !== 'ERROR', { what: 'the run going again' });
    const end = await waitForPhase([instances[1]], ['DONE', 'ERROR', 'ABORTED']);
    assert.equal(end, 'DONE', JSON.stringify((await rest(instances[1], 'pedidos')).data.error));
    for (const instance of instances)
      assert.equal(await waitForPhase([instance], ['DONE']), 'DONE', 'every instance shows the run done');
    assertStoredRun(uri, quantity);
  });
});
