// SPDX-License-Identifier: GPL-3.0-or-later
// The status object of GET /pedidos and the `status` event, as the page reads it.
// Every figure the page shows comes from here, so the contract's shape is read in
// one place: `processing.*.count` are orders processed, `progress.*` the totals, and
// the orders generated per priority travel in `generated` {vip, normal} (older
// servers sent them in `counts`, which now means processed, as in the Node system).

import { STEPS } from './format.js';

const num = (value) => (value !== null && value !== '' && Number.isFinite(Number(value)) ? Number(value) : 0);

export function readStatus (raw)
{
  const processing = raw?.processing ?? {};
  const progress = raw?.progress ?? {};
  const vipProcessed = num(processing.vip?.count);
  const normalProcessed = num(processing.normal?.count);
  const generated = (typeof raw?.generated === 'object' && raw.generated !== null ? raw.generated : null) ??
    raw?.counts ?? {};
  const failed = raw?.failed ?? {};
  const etaMs = raw?.eta?.estimatedMs;
  const durations = {
    generate: num(raw?.generationTimeMs),
    queueVip: num(raw?.enqueueVipTimeMs),
    vip: num(processing.vip?.timeMs),
    queueNormal: num(raw?.enqueueNormalTimeMs),
    normal: num(processing.normal?.timeMs),
  };
  return {
    phase: typeof raw?.phase === 'string' ? raw.phase : 'IDLE',
    runId: Number.isFinite(Number(raw?.runId)) && raw?.runId !== null ? Number(raw.runId) : null,
    workers: num(raw?.workers),
    target: num(progress.target),
    generated: num(progress.generated),
    processed: num(progress.processedTotal ?? vipProcessed + normalProcessed),
    vip: {
      generated: Math.max(num(generated.vip), vipProcessed),
      processed: vipProcessed,
      failed: num(failed.vip),
      rate: num(raw?.throughput?.vip),
      start: processing.vip?.start ?? null,
      end: processing.vip?.end ?? null,
    },
    normal: {
      generated: Math.max(num(generated.normal), normalProcessed),
      processed: normalProcessed,
      failed: num(failed.normal),
      rate: num(raw?.throughput?.normal),
      start: processing.normal?.start ?? null,
      end: processing.normal?.end ?? null,
    },
    overallRate: num(raw?.throughput?.overall),
    durations,
    totalMs: num(raw?.totalTimeMs),
    etaMs: etaMs === null || etaMs === undefined || !Number.isFinite(Number(etaMs)) ? null : Number(etaMs),
    finishAt: raw?.eta?.finishAt ?? null,
    paused: raw?.paused === true || raw?.queueStatus?.paused === true,
    cluster: Array.isArray(raw?.cluster) ? raw.cluster : [],
    failedTotal: num(progress.failedTotal ?? num(failed.vip) + num(failed.normal)),
    delayed: num(raw?.queue?.delayed),
    error: typeof raw?.error === 'string' && raw.error ? raw.error : '',
    startedAt: raw?.startedAt ?? null,
    finishedAt: raw?.finishedAt ?? null,
    // The server's monotonic clock when it sent this, if it says.
    monoMs: Number.isFinite(Number(raw?.monoMs)) && raw?.monoMs !== null ? Number(raw.monoMs) : null,
  };
}

// One run of GET /runs, in the same shape as far as a stored run goes.
export function readRun (raw)
{
  const processing = raw?.processing ?? {};
  const vipProcessed = num(processing.vip?.count);
  const normalProcessed = num(processing.normal?.count);
  return {
    id: num(raw?.id),
    phase: typeof raw?.phase === 'string' ? raw.phase : 'IDLE',
    quantity: num(raw?.quantity),
    startedAt: raw?.startedAt ?? null,
    processed: vipProcessed + normalProcessed,
    vipProcessed,
    durations: {
      generate: num(raw?.generationTimeMs),
      queueVip: num(raw?.enqueueVipTimeMs),
      vip: num(processing.vip?.timeMs),
      queueNormal: num(raw?.enqueueNormalTimeMs),
      normal: num(processing.normal?.timeMs),
    },
    totalMs: num(raw?.totalTimeMs),
    error: typeof raw?.error === 'string' ? raw.error : '',
  };
}

// The time spent in every step, which the ribbon splits the run into.
export function stepsMs (durations)
{
  return STEPS.reduce((sum, step) => sum + Math.max(0, durations[step.key] ?? 0), 0);
}
