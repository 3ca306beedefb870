// SPDX-License-Identifier: GPL-3.0-or-later
// The queue behind the Node system's /pedidos/queue/* routes, through those
// routes as its front end calls them: pause and resume mid-run, failures and
// retries with VIP before NORMAL on the stored times, retry-failed, the
// listings, clean, purge and close, and kill -9 during a pause and during
// retries, then resume: every order processed exactly once.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { makeDataDir, orderlyBin, removeDataDir, waitFor } from './support/browser.mjs';
import {
  apiFetch, assertShape, frontEndSocket, recordEvents, serverFetch, startForFrontEnd,
} from './support/node-frontend.mjs';

const skip = existsSync(orderlyBin) ? false : `Orderly is not built: ${orderlyBin}`;
const RUNNING = ['GENERATING', 'ENQUEUE_VIP', 'WAITING_VIP_DRAIN', 'ENQUEUE_NORMAL', 'WAITING_NORMAL_DRAIN'];
const JOB_SHAPE = {
  id: 'string', name: 'string', state: 'string', timestamp: 'number', processedOn: 'number|null',
  finishedOn: 'number|null', attemptsMade: 'number',
};

const status = async (server) => (await apiFetch(server, '/pedidos')).body;
const queueStatus = async (server) => (await apiFetch(server, '/pedidos/queue/status')).body;
const post = (server, path) => apiFetch(server, path, { method: 'POST' });

async function waitForPhase (server, phases, what, timeoutMs = 120000)
{
  return waitFor(async () => {
    const body = await status(server);
    return phases.includes(body.phase) ? body : null;
  }, { what, timeoutMs, intervalMs: 50 });
}

/** Every job of the run in `state`, page after page, with their data. */
async function allJobs (server, state)
{
  const jobs = [];
  for (let start = 0; ; start += 10000) {
    const page = await apiFetch(server, `/pedidos/queue/jobs?types=${state}&start=${start}&end=${start + 9999}&includeData=true`);
    assert.equal(page.status, 200);
    jobs.push(...page.body.jobs);
    if (page.body.jobs.length < 10000)
      return jobs;
  }
}

/** The run as the history has it, with Orderly's check of its stored rows. */
async function storedRun (server, runId)
{
  const runs = (await serverFetch(server, '/pedidos/runs?limit=200')).body.runs;
  return runs.find((run) => run.runId === runId);
}

async function waitForCheck (server, runId)
{
  return waitFor(async () => {
    const run = await storedRun(server, runId);
    return run && run.check.state !== 'none' ? run : null;
  }, { what: `the check of run ${runId}`, timeoutMs: 60000 });
}

/** VIP before NORMAL on the stored times: no NORMAL order processed before the last VIP one settled. */
function assertVipFirst (completed, failed)
{
  const vipSettled = [...completed, ...failed].filter((job) => job.data.priority === 'VIP').map((job) => job.finishedOn);
  const normalProcessed = completed.filter((job) => job.data.priority === 'NORMAL').map((job) => job.processedOn);
  assert.ok(vipSettled.length > 0 && normalProcessed.length > 0);
  const lastVip = Math.max(...vipSettled);
  const firstNormal = Math.min(...normalProcessed);
  assert.ok(firstNormal >= lastVip, `the first NORMAL order (${firstNormal}) came after the last VIP one settled (${lastVip})`);
}

describe('pause and resume mid-run', { skip }, () => {
  let dataDir;
  let server;

  before(async () => {
    dataDir = makeDataDir();
    server = await startForFrontEnd({ dataDir, extraArgs: ['--workers', '2', '--work-us', '300'] });
  });

  after(async () => {
    await server?.stop();
    removeDataDir(dataDir);
  });

  it('claims nothing while paused and ends the run once', async () => {
    const socket = frontEndSocket(server);
    const events = recordEvents(socket);
    try {
      await events.waitFor((name) => name === 'connected', { what: 'connected' });
      const started = await post(server, '/pedidos/generate?quantity=20000');
      assert.equal(started.status, 201);
      await waitFor(async () => (await status(server)).progress.processedTotal > 2000, { what: 'some orders processed', intervalMs: 20 });

      const paused = await post(server, '/pedidos/queue/pause');
      assert.equal(paused.status, 201);
      assert.equal(paused.body.paused, true);
      // The workers give back what they held; from then on nothing is claimed.
      const settled = await waitFor(async () => {
        const counts = await queueStatus(server);
        return counts.paused && counts.active === 0 ? counts : null;
      }, { what: 'the claims given back', intervalMs: 20 });
      const pausedAt = Date.now();
      const during = await status(server);
      assert.equal(during.paused, true);
      assert.ok(RUNNING.includes(during.phase), `the phase stays: ${during.phase}`);
      assert.equal(typeof during.eta.estimatedMs, 'number');
      const health = (await apiFetch(server, '/pedidos/health/queue')).body;
      assert.equal(health.status, 'paused');
      assert.equal(health.queue.paused, true);
      const logs = (await apiFetch(server, '/pedidos/logs?lines=300')).body;
      assert.equal(logs.queueStatus.paused, true);

      // Two metrics events later (one a second), still nothing more.
      const seen = events.events.length;
      await waitFor(() => events.events.slice(seen).filter((e) => e.name === 'metrics').length >= 2,
        { what: 'two metrics events while paused', intervalMs: 50 });
      for (const metrics of events.events.slice(seen).filter((e) => e.name === 'metrics'))
        assert.equal(typeof metrics.data.timestamp, 'number');
      const still = await queueStatus(server);
      assert.equal(still.completed, settled.completed);
      assert.equal(still.active, 0);
      assert.equal((await status(server)).eta.estimatedMs, during.eta.estimatedMs, 'the ETA stands still');
      const resumeAt = Date.now();

      const resumed = await post(server, '/pedidos/queue/resume');
      assert.equal(resumed.status, 201);
      assert.equal(resumed.body.resumed, true);
      const done = await waitForPhase(server, ['DONE'], 'the run to end');
      assert.equal(done.progress.processedTotal, 20000);
      assert.equal(done.paused, false);

      const completed = await allJobs(server, 'completed');
      assert.equal(completed.length, 20000);
      assertShape(completed[0], JOB_SHAPE, 'job');
      const claimedWhilePaused = completed.filter((job) => job.processedOn > pausedAt && job.processedOn < resumeAt);
      assert.deepEqual(claimedWhilePaused, [], 'no order was claimed while paused');
      assertVipFirst(completed, []);

      const intoDone = events.events.filter((e, i, all) => e.name === 'status' && e.data.phase === 'DONE' &&
        !all.slice(0, i).some((p) => p.name === 'status' && p.data.phase === 'DONE'));
      assert.equal(intoDone.length, 1, 'the run ended once');
      const run = await waitForCheck(server, done.runId);
      assert.equal(run.check.state, 'passed', run.check.message);
      assert.equal(run.totalProcessedVIP + run.totalProcessedNormal, 20000);
    } finally {
      socket.close();
    }
  });
});

describe('failures, retries and the queue controls', { skip }, () => {
  let dataDir;
  let server;

  before(async () => {
    dataDir = makeDataDir();
    server = await startForFrontEnd({ dataDir, extraArgs: ['--workers', '2', '--failure-rate', '0.4'] });
  });

  after(async () => {
    await server?.stop();
    removeDataDir(dataDir);
  });

  it('retries failing orders, keeps VIP before NORMAL, and adds up', async () => {
    const started = await post(server, '/pedidos/generate?quantity=10000');
    assert.equal(started.status, 201);
    const retrying = await waitFor(async () => {
      const page = await apiFetch(server, '/pedidos/queue/jobs?types=delayed&start=0&end=0&includeData=true');
      return page.body.jobs[0];
    }, { what: 'an order waiting for its retry', intervalMs: 10 });
    assertShape(retrying, { ...JOB_SHAPE, failedReason: 'string', data: 'object' }, 'delayed job');
    assert.ok(retrying.attemptsMade >= 1);

    const done = await waitForPhase(server, ['DONE'], 'the run to end');
    const counts = await queueStatus(server);
    assert.ok(counts.failed > 0, 'some orders failed for good');
    assert.equal(counts.completed + counts.failed, 10000, 'processed and failed add up');
    assert.equal(done.progress.processedTotal + done.progress.failedTotal, 10000);
    assert.equal(done.counts.vip + done.counts.normal, counts.completed);
    assert.equal(done.failed.vip + done.failed.normal, counts.failed);

    const completed = await allJobs(server, 'completed');
    const failed = await allJobs(server, 'failed');
    assert.equal(failed.length, counts.failed);
    for (const job of failed) {
      assert.equal(job.attemptsMade, 3);
      assert.equal(typeof job.failedReason, 'string');
    }
    assertVipFirst(completed, failed);
    const health = (await apiFetch(server, '/pedidos/health/queue')).body;
    assert.equal(health.checks.hasFailedJobs, true);

    const diagnostics = (await apiFetch(server, '/diagnostics/queue')).body;
    assertShape(diagnostics, {
      memoryPhase: 'string', hasActiveGeneration: 'boolean', aborting: 'boolean', persisted: 'object', counts: 'object', sampleJobs: 'array',
    }, 'diagnostics');
    assert.ok(diagnostics.sampleJobs.some((job) => job.state === 'failed' && typeof job.failedReason === 'string'));
  });

  it('cleans settled orders only, and says why it does not clean the others', async () => {
    const before = await queueStatus(server);
    const cleaned = await post(server, '/pedidos/queue/clean?state=completed&limit=100');
    assert.equal(cleaned.status, 201);
    assert.deepEqual(cleaned.body, { removed: 100, state: 'completed' });
    assert.equal((await queueStatus(server)).completed, before.completed - 100);
    assert.equal((await status(server)).progress.processedTotal, 10000 - before.failed, 'still counted in the run');

    for (const state of ['wait', 'delayed', 'paused']) {
      const refused = await post(server, `/pedidos/queue/clean?state=${state}`);
      assert.equal(refused.status, 201);
      assert.equal(refused.body.removed, 0);
      assert.equal(typeof refused.body.error, 'string');
    }
    const invalid = await post(server, '/pedidos/queue/clean?state=active');
    assert.equal(invalid.status, 201);
    assert.equal(invalid.body.error, 'state inválido; use: completed|wait|failed|delayed|waiting-children|paused');
    const bad = await post(server, '/pedidos/queue/clean?state=completed&limit=many');
    assert.equal(bad.status, 400);
  });

  it('lists pages of each state, with start and end inclusive', async () => {
    const page = await apiFetch(server, '/pedidos/queue/jobs?types=completed,failed&start=5&end=14&includeData=false');
    assert.equal(page.status, 200);
    assertShape(page.body, { total: 'number', types: 'array', range: 'object', jobs: 'array' }, 'jobs');
    assert.deepEqual(page.body.types, ['completed', 'failed']);
    assert.deepEqual(page.body.range, { start: 5, end: 14 });
    assert.equal(page.body.jobs.filter((job) => job.state === 'completed').length, 10);
    assert.equal(page.body.total, page.body.jobs.length);
    assert.ok(page.body.jobs.every((job) => !('data' in job)));
    const front = await apiFetch(server, '/pedidos/queue/jobs?types=waiting,active,failed&start=0&end=100&includeData=true');
    assert.equal(front.status, 200);
    assert.ok(front.body.jobs.every((job) => job.state === 'failed' && job.data.priority));

    for (const path of ['/pedidos/queue/jobs?types=prioritised', '/pedidos/queue/jobs?start=10&end=2',
      '/pedidos/queue/jobs?start=0&end=20000']) {
      const refused = await apiFetch(server, path);
      assert.equal(refused.status, 400, path);
      assert.equal(refused.body.statusCode, 400);
    }
  });

  it('retries the failed orders at the same failure rate and finishes them', async () => {
    let failed = (await queueStatus(server)).failed;
    assert.ok(failed > 0);
    for (let round = 1; failed > 0; round++) {
      assert.ok(round <= 8, `failed orders left after ${round - 1} retries: ${failed}`);
      const retried = await post(server, '/pedidos/queue/retry-failed');
      assert.equal(retried.status, 201);
      assert.equal(retried.body.retried, failed);
      const counts = await waitFor(async () => {
        const body = await status(server);
        const queue = await queueStatus(server);
        return body.phase === 'DONE' && queue.waiting + queue.delayed + queue.active === 0 ? { ...queue, body } : null;
      }, { what: `the orders of retry ${round} settled`, timeoutMs: 60000 });
      assert.equal(counts.body.progress.failedTotal, counts.failed);
      assert.equal(counts.body.progress.processedTotal + counts.failed, 10000, 'processed and failed add up');
      // A retry is a fresh set of attempts, not the failed ones again: at
      // 0.4, a sixteenth of the retried orders fail once more.
      assert.ok(counts.failed <= failed / 3 || counts.failed < 3, `retry ${round}: ${counts.failed} of ${failed} failed again`);
      for (const job of await allJobs(server, 'failed'))
        assert.equal(job.attemptsMade, 3 * (round + 1), 'the attempts go on from where they were');
      failed = counts.failed;
    }
    const done = await status(server);
    assert.equal(done.progress.processedTotal, 10000);
    assert.equal(done.progress.failedTotal, 0);
    const completed = await allJobs(server, 'completed');
    // The 100 cleaned before are counted, not listed.
    assert.equal(completed.length, 9900);
    assert.equal(new Set(completed.map((job) => job.id)).size, 9900, 'every order processed once');
    assert.ok(completed.some((job) => job.attemptsMade > 3));
    const again = await post(server, '/pedidos/queue/retry-failed');
    assert.equal(again.body.retried, 0);
  });

  it('purges the waiting work and closes the queue, for real', async () => {
    const started = await post(server, '/pedidos/generate?quantity=200000');
    assert.equal(started.status, 201);
    await waitFor(async () => (await status(server)).progress.processedTotal > 0, { what: 'processing', intervalMs: 20 });
    const closed = await post(server, '/pedidos/queue/close');
    assert.equal(closed.status, 201);
    assert.equal(closed.body.closed, true);
    assert.equal(closed.body.runId, started.body.runId);
    assert.equal((await status(server)).phase, 'INTERRUPTED', 'the run is let go of, resumable');

    const purged = await post(server, '/pedidos/queue/purge');
    assert.equal(purged.status, 201);
    assert.equal(purged.body.purged, true);
    assert.equal(purged.body.obliterate, false);
    const after = await status(server);
    assert.equal(after.phase, 'ABORTED');
    assert.ok(purged.body.dropped > 0);
    assert.equal(after.progress.processedTotal + purged.body.dropped, after.progress.generated);
    const resume = await fetch(new URL('/resume', server.url), { method: 'POST', headers: { Origin: new URL(server.url).origin } });
    assert.equal(resume.status, 409, 'nothing is left to resume');

    const obliterated = await post(server, '/pedidos/queue/purge?obliterate=true');
    assert.equal(obliterated.body.obliterate, true);
    assert.ok(obliterated.body.deletedOrders > 0);
    const page = await apiFetch(server, '/pedidos/queue/jobs?types=completed&start=0&end=0');
    assert.deepEqual(page.body.jobs, []);
  });
});

describe('kill -9, then resume: exactly once', { skip }, () => {
  let dataDir;
  let server;

  before(() => {
    dataDir = makeDataDir();
  });

  after(async () => {
    await server?.stop();
    removeDataDir(dataDir);
  });

  async function restart (extraArgs)
  {
    const port = server.port;
    await server.stop('SIGKILL');
    server = await startForFrontEnd({ dataDir, port, extraArgs });
    const interrupted = await status(server);
    assert.equal(interrupted.phase, 'INTERRUPTED');
    return interrupted;
  }

  async function resume ()
  {
    const resumed = await fetch(new URL('/resume', server.url), { method: 'POST', headers: { Origin: new URL(server.url).origin } });
    assert.equal(resumed.status, 202);
  }

  it('during a pause: the run resumes paused, then ends with every order once', async () => {
    server = await startForFrontEnd({ dataDir, extraArgs: ['--workers', '2', '--work-us', '300'] });
    const started = await post(server, '/pedidos/generate?quantity=20000');
    await waitFor(async () => (await status(server)).progress.processedTotal > 3000, { what: 'some processed', intervalMs: 20 });
    await post(server, '/pedidos/queue/pause');
    await waitFor(async () => (await queueStatus(server)).active === 0, { what: 'the claims given back', intervalMs: 20 });

    const interrupted = await restart(['--workers', '2']);
    await resume();
    const paused = await waitFor(async () => {
      const body = await status(server);
      return body.progress.processedTotal > 0 ? body : null;
    }, { what: 'the resumed run\'s figures' });
    assert.equal(paused.paused, true, 'it resumes paused');
    assert.equal(paused.progress.processedTotal, interrupted.progress.processedTotal, 'nothing processed while paused');
    await post(server, '/pedidos/queue/resume');
    const done = await waitForPhase(server, ['DONE'], 'the run to end');
    assert.equal(done.runId, started.body.runId);
    assert.equal(done.progress.processedTotal, 20000);
    const run = await waitForCheck(server, done.runId);
    assert.equal(run.check.state, 'passed', run.check.message);
    assert.equal((await allJobs(server, 'completed')).length, 20000);
  });

  it('during retries: every order settles once, and retry-failed finishes them', async () => {
    await server.stop();
    server = await startForFrontEnd({ dataDir, port: server.port, extraArgs: ['--workers', '2', '--failure-rate', '0.4', '--work-us', '100'] });
    const started = await post(server, '/pedidos/generate?quantity=20000');
    assert.equal(started.status, 201);
    await waitFor(async () => (await queueStatus(server)).delayed > 20, { what: 'orders waiting for retries', intervalMs: 10 });

    await restart(['--workers', '2', '--failure-rate', '0.4']);
    await resume();
    const done = await waitForPhase(server, ['DONE'], 'the resumed run to end');
    assert.equal(done.runId, started.body.runId);
    assert.equal(done.progress.processedTotal + done.progress.failedTotal, 20000);
    let run = await waitForCheck(server, done.runId);
    assert.equal(run.check.state, 'passed', run.check.message);
    assertVipFirst(await allJobs(server, 'completed'), await allJobs(server, 'failed'));

    await server.stop();
    server = await startForFrontEnd({ dataDir, port: server.port, extraArgs: ['--workers', '2'] });
    const retried = await post(server, '/pedidos/queue/retry-failed');
    assert.equal(retried.body.retried, done.progress.failedTotal);
    const finished = await waitFor(async () => {
      const body = await status(server);
      return body.phase === 'DONE' && body.progress.processedTotal === 20000 ? body : null;
    }, { what: 'every order processed', timeoutMs: 60000 });
    assert.equal(finished.progress.failedTotal, 0);
    run = await storedRun(server, done.runId);
    assert.equal(run.totalProcessedVIP + run.totalProcessedNormal, 20000);
  });
});
