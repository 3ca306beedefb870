// SPDX-License-Identifier: GPL-3.0-or-later
// The Node system's own front end against `orderly --headless --no-auth
// --allow-origin ORIGIN`: its requests replayed exactly (headers, preflights,
// query strings, the /runs page's server-side call, its socket.io-client
// options), every route's shape checked against NODE-CONTRACT.md, and the
// 409 and 400 cases.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import {
  makeDataDir, orderlyBin, removeDataDir, startServer, waitFor, OPERATOR_TOKEN, VIEWER_TOKEN,
} from './support/browser.mjs';
import {
  FRONT_END_ORIGIN, apiFetch, assertShape, frontEndSocket, preflight, recordEvents, serverFetch,
  startForFrontEnd,
} from './support/node-frontend.mjs';

const skip = existsSync(orderlyBin) ? false : `Orderly is not built: ${orderlyBin}`;
const RUNNING = ['GENERATING', 'ENQUEUE_VIP', 'WAITING_VIP_DRAIN', 'ENQUEUE_NORMAL', 'WAITING_NORMAL_DRAIN'];
const NOT_AN_INTEGER = { statusCode: 400, message: 'Validation failed (numeric string is expected)', error: 'Bad Request' };

const STATUS_SHAPE = {
  generationTimeMs: 'number', enqueueVipTimeMs: 'number', enqueueNormalTimeMs: 'number',
  processing: 'object', totalTimeMs: 'number', counts: 'object', phase: 'string',
  throughput: 'object', eta: 'object', progress: 'object',
};
const WINDOW_SHAPE = { start: 'iso|null', end: 'iso|null', timeMs: 'number', count: 'number' };
const QUEUE_STATUS_SHAPE = {
  waiting: 'number', active: 'number', completed: 'number', failed: 'number', delayed: 'number', paused: 'boolean',
};
const PROCESS_LOG_SHAPE = {
  generationTimeMs: 'number', processingTimeVIPMs: 'number', processingTimeNormalMs: 'number',
  startVIP: 'iso|null', endVIP: 'iso|null', startNormal: 'iso|null', endNormal: 'iso|null',
  totalProcessedVIP: 'number', totalProcessedNormal: 'number', totalTimeMs: 'number',
  enqueueVipTimeMs: 'number', enqueueNormalTimeMs: 'number', phase: 'string', throughput: 'object',
  eta: 'object', target: 'number', generated: 'number', wallClockMs: 'number',
};
const RUN_SHAPE = {
  runId: 'number', createdAt: 'iso', generationTimeMs: 'number', processingTimeVIPMs: 'number',
  processingTimeNormalMs: 'number', totalProcessedVIP: 'number', totalProcessedNormal: 'number',
  totalTimeMs: 'number', enqueueVipTimeMs: 'number', enqueueNormalTimeMs: 'number',
};

function assertStatus (status)
{
  assertShape(status, STATUS_SHAPE, 'status');
  assertShape(status.processing.vip, WINDOW_SHAPE, 'processing.vip');
  assertShape(status.processing.normal, WINDOW_SHAPE, 'processing.normal');
  assertShape(status.counts, { vip: 'number', normal: 'number' }, 'counts');
  assertShape(status.throughput, { vip: 'number', normal: 'number', overall: 'number' }, 'throughput');
  assertShape(status.eta, { estimatedMs: 'number|null', progressPercent: 'number' }, 'eta');
  assertShape(status.progress, { target: 'number', generated: 'number', processedTotal: 'number' }, 'progress');
  // Processed orders per priority, in both places.
  assert.equal(status.counts.vip, status.processing.vip.count);
  assert.equal(status.counts.normal, status.processing.normal.count);
  assert.equal(status.counts.vip + status.counts.normal, status.progress.processedTotal);
}

async function phaseOf (server)
{
  return (await apiFetch(server, '/pedidos')).body.phase;
}

async function waitForPhase (server, phases, what)
{
  return waitFor(async () => phases.includes(await phaseOf(server)), { what, timeoutMs: 60000, intervalMs: 50 });
}

describe('the Node front end against Orderly', { skip }, () => {
  let dataDir;
  let server;

  before(async () => {
    dataDir = makeDataDir();
    server = await startForFrontEnd({ dataDir, extraArgs: ['--workers', '2'] });
  });

  after(async () => {
    await server?.stop();
    removeDataDir(dataDir);
  });

  it('answers every read route in the shape its code has', async () => {
    const status = await apiFetch(server, '/pedidos');
    assert.equal(status.status, 200);
    assertStatus(status.body);
    assert.equal(status.body.phase, 'IDLE');

    const logs = await apiFetch(server, '/pedidos/logs?lines=300');
    assert.equal(logs.status, 200);
    assertShape(logs.body, { processLog: 'object', queueStatus: 'object', logs: 'object', quickStats: 'object' }, 'logs');
    assert.ok(!Array.isArray(logs.body.processLog), 'processLog is an object');
    assertShape(logs.body.processLog, PROCESS_LOG_SHAPE, 'processLog');
    assertShape(logs.body.queueStatus, QUEUE_STATUS_SHAPE, 'queueStatus');
    assertShape(logs.body.logs, { logMessages: 'array', warnMessages: 'array', errorMessages: 'array' }, 'logs.logs');
    for (const list of Object.values(logs.body.logs))
      assert.ok(list.every((line) => typeof line === 'string'));
    assertShape(logs.body.quickStats, { vipProcessed: 'number', normalProcessed: 'number', totalProcessed: 'number' }, 'quickStats');

    const runs = await serverFetch(server, '/pedidos/runs?limit=25');
    assert.equal(runs.status, 200);
    assertShape(runs.body, { limit: 'number', count: 'number', runs: 'array' }, 'runs');
    assert.equal(runs.body.limit, 25);

    const health = await apiFetch(server, '/pedidos/health/queue');
    assert.equal(health.status, 200);
    assertShape(health.body, { status: 'string', timestamp: 'iso', queue: 'object', processor: 'object', checks: 'object' }, 'health');
    assert.equal(health.body.status, 'healthy');
    assertShape(health.body.queue, { connected: 'boolean', ...QUEUE_STATUS_SHAPE }, 'health.queue');
    assertShape(health.body.processor, {
      phase: 'string', isProcessing: 'boolean', enqueueVipTimeMs: 'number', enqueueNormalTimeMs: 'number', aborting: 'boolean',
    }, 'health.processor');
    assertShape(health.body.checks, { queueResponsive: 'boolean', hasFailedJobs: 'boolean', isStuck: 'boolean', aborted: 'boolean' }, 'health.checks');

    const orders = await apiFetch(server, '/orders');
    assert.equal(orders.status, 200);
    assertShape(orders.body, {
      contractVersion: 'number', phase: 'string', target: 'number', generated: 'number', generationTimeMs: 'number',
      enqueueVipTimeMs: 'number', enqueueNormalTimeMs: 'number', processing: 'object', totalTimeMs: 'number',
      wallClockElapsedMs: 'number', counts: 'object', progress: 'object', throughput: 'object', eta: 'object',
      highRes: 'object', state: 'object', timestamp: 'number',
    }, '/orders');
    assert.equal(orders.body.contractVersion, 2);
    assertShape(orders.body.counts, { vip: 'number', normal: 'number', total: 'number' }, '/orders counts');
    assertShape(orders.body.state, { memoryPhase: 'string', aborting: 'boolean', hasActiveGeneration: 'boolean' }, '/orders state');

    const live = await apiFetch(server, '/health/live');
    assert.equal(live.status, 200);
    assertShape(live.body, { status: 'string', ts: 'iso' }, 'live');
    assert.equal(live.body.status, 'alive');
    const ready = await apiFetch(server, '/health/ready');
    assert.equal(ready.status, 200);
    assertShape(ready.body, { status: 'string', ts: 'iso', timestamp: 'iso', uptime: 'number', services: 'object' }, 'ready');
    assert.equal(ready.body.status, 'ready');

    const metrics = await apiFetch(server, '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^# (HELP|TYPE) /m);
  });

  it('refuses malformed integers with NestJS\'s 400 and out-of-range quantities with a 400, not a 500', async () => {
    for (const path of ['/pedidos/generate?quantity=abc', '/pedidos/generate?quantity=1e3', '/pedidos/generate?quantity=',
      '/pedidos/cancel?waitTimeoutMs=soon']) {
      const answer = await apiFetch(server, path, { method: 'POST' });
      assert.equal(answer.status, 400, path);
      assert.deepEqual(answer.body, NOT_AN_INTEGER, path);
    }
    for (const path of ['/pedidos/logs?lines=x', '/pedidos/runs?limit=ten']) {
      const answer = await apiFetch(server, path);
      assert.equal(answer.status, 400, path);
      assert.deepEqual(answer.body, NOT_AN_INTEGER, path);
    }
    for (const quantity of ['0', '-5', '50000001', '99999999999999999999999']) {
      const answer = await apiFetch(server, `/pedidos/generate?quantity=${quantity}`, { method: 'POST' });
      assert.equal(answer.status, 400, quantity);
      assertShape(answer.body, { statusCode: 'number', message: 'string', error: 'string' }, 'error');
      assert.equal(answer.body.error, 'Bad Request');
      assert.match(answer.body.message, /quantity/);
    }
    assert.equal(await phaseOf(server), 'IDLE', 'nothing started');

    // The run history clamps its limit, as the Node system does.
    assert.equal((await serverFetch(server, '/pedidos/runs?limit=0')).body.limit, 1);
    assert.equal((await serverFetch(server, '/pedidos/runs?limit=100000')).body.limit, 200);
    assert.equal((await serverFetch(server, '/pedidos/runs')).body.limit, 20);

    const missing = await apiFetch(server, '/pedidos/nothing');
    assert.equal(missing.status, 404);
    assertShape(missing.body, { statusCode: 'number', message: 'string', error: 'string' }, '404');
  });

  it('runs the Start button\'s request to the end, with a 409 for a second start', async () => {
    const socket = frontEndSocket(server);
    const events = recordEvents(socket);
    try {
      await events.waitFor((name) => name === 'connected', { what: 'connected' });
      const started = await apiFetch(server, '/pedidos/generate?quantity=20000', { method: 'POST' });
      assert.equal(started.status, 201);
      assertShape(started.body, { message: 'string', phase: 'string', forced: 'boolean' }, 'generate');
      assert.equal(started.body.forced, false);

      const again = await apiFetch(server, '/pedidos/generate?quantity=20000', { method: 'POST' });
      if (again.status !== 201) {
        assert.equal(again.status, 409);
        assert.equal(again.body.statusCode, 409);
        assert.equal(again.body.error, 'Conflict');
        assert.equal(typeof again.body.message, 'string');
      } else {
        // The first run was over already: the second one ran instead.
        assert.ok(!RUNNING.includes(started.body.phase));
      }

      const done = await events.waitFor((name, data) => name === 'status' && data.phase === 'DONE',
        { what: 'status DONE', timeoutMs: 60000 });
      assert.equal(done.version, 2);
      assert.equal(typeof done.monoMs, 'number');
      assert.equal(typeof done.timestamp, 'number');

      const status = (await apiFetch(server, '/pedidos')).body;
      assertStatus(status);
      assert.equal(status.phase, 'DONE');
      assert.equal(status.progress.processedTotal, 20000);
      assert.equal(status.eta.progressPercent, 100);
      assert.ok(status.counts.vip > 0 && status.counts.normal > 0);

      const progress = events.events.filter((e) => e.name === 'progress').map((e) => e.data);
      assert.ok(progress.length > 0, 'progress events');
      for (const update of progress) {
        assert.equal(update.version, 2);
        assert.equal(typeof update.monoMs, 'number');
        assert.equal(typeof update.timestamp, 'number');
        assert.equal(typeof update.progress, 'number');
      }

      const logs = (await apiFetch(server, '/pedidos/logs?lines=300')).body;
      assert.equal(logs.quickStats.totalProcessed, 20000);
      assert.equal(logs.processLog.totalProcessedVIP + logs.processLog.totalProcessedNormal, 20000);
      assert.equal(logs.processLog.phase, 'DONE');
      assert.ok(logs.logs.logMessages.length > 0);

      const runs = (await serverFetch(server, '/pedidos/runs?limit=25')).body;
      assert.ok(runs.count >= 1);
      assert.equal(runs.count, runs.runs.length);
      assertShape(runs.runs[0], RUN_SHAPE, 'runs[0]');
      assert.equal(runs.runs[0].totalProcessedVIP + runs.runs[0].totalProcessedNormal, 20000);
    } finally {
      socket.close();
    }
  });

  it('aborts with the Abort button\'s options and says what was left undone', async () => {
    const started = await apiFetch(server, '/pedidos/generate?quantity=400000&force=true', { method: 'POST' });
    assert.equal(started.status, 201);
    await waitFor(async () => (await apiFetch(server, '/pedidos')).body.progress.processedTotal > 0,
      { what: 'some orders processed', intervalMs: 20 });

    const cancelled = await apiFetch(server, '/pedidos/cancel?purge=true&removePending=true&resetLogs=false', { method: 'POST' });
    assert.equal(cancelled.status, 201);
    assertShape(cancelled.body, {
      aborted: 'boolean', queuePaused: 'boolean', removedPending: 'number', purged: 'boolean', logsReset: 'boolean',
      waitedForStopMs: 'number', stillActive: 'boolean', message: 'string',
    }, 'cancel');
    assert.equal(cancelled.body.aborted, true);
    assert.equal(cancelled.body.stillActive, false);
    assert.equal(cancelled.body.logsReset, false);

    // Processed and not processed add up to the orders generated.
    const status = (await apiFetch(server, '/pedidos')).body;
    assert.equal(status.phase, 'ABORTED');
    assert.equal(status.progress.processedTotal + cancelled.body.removedPending, status.progress.generated);
    assert.ok(status.progress.processedTotal < 400000, 'stopped before the end');

    const nothing = await apiFetch(server, '/pedidos/cancel?purge=true&removePending=true&resetLogs=false', { method: 'POST' });
    assert.equal(nothing.status, 201);
    assertShape(nothing.body, { aborted: 'boolean', queuePaused: 'boolean', message: 'string' }, 'cancel when idle');
    assert.equal(nothing.body.aborted, false);

    // The default quantity is the Node system's, 1,000,000.
    const byDefault = await apiFetch(server, '/pedidos/generate', { method: 'POST' });
    assert.equal(byDefault.status, 201);
    assert.equal((await apiFetch(server, '/pedidos')).body.progress.target, 1000000);
    const logsReset = await apiFetch(server, '/pedidos/cancel?resetLogs=true', { method: 'POST' });
    assert.equal(logsReset.body.aborted, true);
    assert.equal(logsReset.body.logsReset, true);
    const logs = (await apiFetch(server, '/pedidos/logs?lines=300')).body.logs;
    assert.ok(logs.logMessages.length + logs.warnMessages.length + logs.errorMessages.length < 5, 'the log was emptied');
  });

  it('resets with the Reset button\'s request', async () => {
    await waitForPhase(server, ['IDLE', 'DONE', 'ABORTED'], 'no run');
    const reset = await apiFetch(server, '/pedidos/reset', { method: 'POST' });
    assert.equal(reset.status, 201);
    assert.equal(typeof reset.body.message, 'string');
    // Once the reset has answered, the history no longer lists the runs.
    const runs = (await serverFetch(server, '/pedidos/runs?limit=25')).body;
    assert.equal(runs.count, 0);
    assert.deepEqual(runs.runs, []);
    assert.equal((await apiFetch(server, '/pedidos')).body.progress.processedTotal, 0);
  });

  it('answers CORS for the allowed origin only', async () => {
    const foreign = await preflight(server, '/pedidos/generate', { method: 'POST', origin: 'http://evil.example' });
    assert.equal(foreign.allowed, false);
    assert.equal(foreign.response.status, 403);
    assert.equal(foreign.response.headers.get('access-control-allow-origin'), null);

    const post = await fetch(new URL('/pedidos/generate?quantity=10', server.url), {
      method: 'POST', headers: { 'Content-Type': 'application/json', Origin: 'http://evil.example' },
    });
    assert.equal(post.status, 403);
    assert.equal(post.headers.get('access-control-allow-origin'), null);

    // A preflight asking for more headers gets them, for the allowed origin.
    const more = await fetch(new URL('/pedidos', server.url), {
      method: 'OPTIONS',
      headers: { Origin: FRONT_END_ORIGIN, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'content-type, x-request-id' },
    });
    assert.equal(more.status, 204);
    assert.match(more.headers.get('access-control-allow-headers'), /x-request-id/);
  });

  it('connects its socket as its hook does and gets the Node payloads and replies', async () => {
    const socket = frontEndSocket(server);
    const events = recordEvents(socket);
    try {
      const connected = await events.waitFor((name) => name === 'connected', { what: 'connected' });
      assertShape(connected, { message: 'string', timestamp: 'number', clientId: 'string' }, 'connected');
      assert.equal(socket.io.engine.transport.name, 'websocket');
      const status = await events.waitFor((name) => name === 'status', { what: 'status' });
      assertShape(status, { version: 'number', monoMs: 'number', phase: 'string', timestamp: 'number', message: 'string' }, 'status event');
      assert.equal(status.version, 2);

      socket.emit('get-status');
      const acknowledged = await events.waitFor((name) => name === 'status-request-acknowledged', { what: 'status-request-acknowledged' });
      assertShape(acknowledged, { timestamp: 'number', message: 'string' }, 'status-request-acknowledged');
      const ack = await socket.timeout(5000).emitWithAck('get-status');
      assert.equal(ack.acknowledged, true);
      assertStatus(ack);
    } finally {
      socket.close();
    }
  });
});

describe('the Node front end\'s socket reconnects forever', { skip }, () => {
  it('comes back after the server restarts on the same port', async () => {
    const dataDir = makeDataDir();
    let server = await startForFrontEnd({ dataDir });
    const { port } = server;
    const socket = frontEndSocket(server);
    const events = recordEvents(socket);
    try {
      await events.waitFor((name) => name === 'connected', { what: 'connected' });
      let disconnected = false;
      socket.on('disconnect', () => { disconnected = true; });
      await server.stop();
      await waitFor(() => disconnected, { what: 'the socket to see the server go' });
      server = await startForFrontEnd({ dataDir, port });
      await waitFor(() => events.events.filter((e) => e.name === 'connected').length >= 2,
        { what: 'a second connected', timeoutMs: 20000 });
      assert.ok(socket.connected);
    } finally {
      socket.close();
      await server.stop();
      removeDataDir(dataDir);
    }
  });
});

describe('GET /pedidos/generate changes state, so it is checked as a POST', { skip }, () => {
  let dataDir;
  let server;

  before(async () => {
    dataDir = makeDataDir();
    server = await startServer({ dataDir, extraArgs: ['--allow-origin', FRONT_END_ORIGIN, '--workers', '2'] });
  });

  after(async () => {
    await server?.stop();
    removeDataDir(dataDir);
  });

  const get = (path, headers) => fetch(new URL(path, server.url), { headers });

  it('needs the operator role and an allowed Origin', async () => {
    const viewer = await get('/pedidos/generate?quantity=10', { Authorization: `Bearer ${VIEWER_TOKEN}` });
    assert.equal(viewer.status, 403);
    const nobody = await get('/pedidos/generate?quantity=10', {});
    assert.equal(nobody.status, 401);
    const foreign = await get('/pedidos/generate?quantity=10', { Authorization: `Bearer ${OPERATOR_TOKEN}`, Origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    // What an <img> or a link on another site sends: no Origin, but the browser says it is cross-site.
    const crossSite = await get('/pedidos/generate?quantity=10', {
      Authorization: `Bearer ${OPERATOR_TOKEN}`, 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'no-cors',
    });
    assert.equal(crossSite.status, 403);
    const head = await fetch(new URL('/pedidos/generate?quantity=10', server.url), {
      method: 'HEAD', headers: { Authorization: `Bearer ${OPERATOR_TOKEN}` },
    });
    assert.equal(head.status, 405);
    const status = await (await get('/pedidos', { Authorization: `Bearer ${VIEWER_TOKEN}` })).json();
    assert.equal(status.phase, 'IDLE', 'none of them started a run');

    const allowed = await get('/pedidos/generate?quantity=10', { Authorization: `Bearer ${OPERATOR_TOKEN}`, Origin: FRONT_END_ORIGIN });
    assert.equal(allowed.status, 200);
    const body = await allowed.json();
    assert.equal(body.method, 'GET');
    assert.equal(typeof body.message, 'string');
    assert.equal(body.forced, false);
  });
});
