// SPDX-License-Identifier: GPL-3.0-or-later
// Turning raw numbers from the server into text people read. The window
// (src/ui/orderly-format.c) says everything the same way: the same words, the same
// precision, 24-hour clock times.

const integerFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const dateFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

export const NOT_YET = '—';

export function number (value)
{
  return Number.isFinite(value) ? integerFormat.format(value) : NOT_YET;
}

// "1,000,000", "1 000 000", "1M", "10k": what people type for a quantity.
export function parseCount (text)
{
  const match = /^\s*([\d\s.,'\u00a0\u202f]+?)\s*([kKmM])?\s*$/.exec(String(text ?? ''));
  if (!match)
    return NaN;
  const digits = match[1].replace(/[^\d]/g, '');
  if (!digits)
    return NaN;
  const multiplier = { k: 1e3, K: 1e3, m: 1e6, M: 1e6 }[match[2]] ?? 1;
  return Number(digits) * multiplier;
}

// "0%", "53.2%", "100%": one decimal between the ends, never rounded up to 100.
export function percent (value)
{
  if (!Number.isFinite(value))
    return NOT_YET;
  const clamped = Math.min(100, Math.max(0, value));
  if (clamped <= 0)
    return '0%';
  if (clamped >= 100)
    return '100%';
  return `${oneDecimal.format(Math.floor(clamped * 10) / 10)}%`;
}

// "< 1 ms", "2.4 ms", "850 ms", "18.4 s", "3 min 05 s", "1 h 02 min"; a dash for a
// step that has not taken place.
export function duration (ms)
{
  if (!Number.isFinite(ms) || ms <= 0)
    return NOT_YET;
  if (ms < 1)
    return '< 1 ms';
  if (ms < 10)
    return `${oneDecimal.format(ms)} ms`;
  if (ms < 1000)
    return `${Math.round(ms)} ms`;
  if (ms < 60000)
    return `${oneDecimal.format(ms / 1000)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0)
    return `${hours} h ${String(minutes).padStart(2, '0')} min`;
  return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
}

// "1,234 orders/s", "9.5 orders/s".
export function rate (perSecond)
{
  if (!Number.isFinite(perSecond) || perSecond <= 0)
    return NOT_YET;
  return `${perSecond < 100 ? oneDecimal.format(perSecond) : integerFormat.format(perSecond)} orders/s`;
}

// The average rate of a run: orders processed over the time spent processing them.
export function averageRate (processed, processingMs)
{
  return processingMs > 0 && processed > 0 ? processed / (processingMs / 1000) : 0;
}

// The peak rate of a run: the highest rate over any stretch of its processing,
// the whole processing time being one of them, so never below the average,
// even for a run that was fast at first or took less than the chart's first second.
export function peakRate (windowPeak, average)
{
  return Math.max(windowPeak, average);
}

// "18% faster", "5% slower", "About as fast".
export function change (now, before)
{
  if (!(now > 0) || !(before > 0))
    return NOT_YET;
  const delta = (now - before) / before * 100;
  if (Math.abs(delta) < 1)
    return 'About as fast';
  return delta > 0 ? `${Math.round(delta)}% faster` : `${Math.round(-delta)}% slower`;
}

// "12 ms median · 40 ms p95": how long orders waited from creation to processing.
export function wait (medianMs, p95Ms)
{
  if (!Number.isFinite(medianMs) || medianMs === null)
    return NOT_YET;
  return `${duration(Math.max(medianMs, 0.001))} median · ${duration(Math.max(p95Ms ?? medianMs, 0.001))} p95`;
}

// "19:54:57".
export function clockTime (value)
{
  const date = toDate(value);
  return date ? clockFormat.format(date) : NOT_YET;
}

// "19:54:57.987", as the window's log shows it.
export function logTime (value)
{
  const date = toDate(value);
  return date ? `${clockFormat.format(date)}.${String(date.getMilliseconds()).padStart(3, '0')}` : NOT_YET;
}

// "Jul 18, 19:54".
export function dateTime (value)
{
  const date = toDate(value);
  return date ? dateFormat.format(date) : NOT_YET;
}

// "12.5 s left", "Estimating time left…".
export function eta (ms)
{
  if (!Number.isFinite(ms) || ms < 0)
    return 'Estimating time left…';
  if (ms < 1000)
    return 'Less than a second left';
  return `${duration(ms)} left`;
}

export function toDate (value)
{
  if (value === null || value === undefined || value === '')
    return null;
  const date = new Date(typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);
  return Number.isNaN(date.getTime()) ? null : date;
}

// The phases, in the words of the window's headline.
const PHASES = {
  IDLE: { label: 'Idle', kind: 'idle' },
  GENERATING: { label: 'Generating Orders', kind: 'running' },
  ENQUEUE_VIP: { label: 'Queueing VIP Orders', kind: 'running' },
  WAITING_VIP_DRAIN: { label: 'Processing VIP Orders', kind: 'running' },
  ENQUEUE_NORMAL: { label: 'Queueing Normal Orders', kind: 'running' },
  WAITING_NORMAL_DRAIN: { label: 'Processing Normal Orders', kind: 'running' },
  DONE: { label: 'Done', kind: 'done' },
  ABORTED: { label: 'Cancelled', kind: 'warning' },
  INTERRUPTED: { label: 'Interrupted', kind: 'warning' },
  ERROR: { label: 'Failed', kind: 'error' },
};

export function phaseLabel (phase)
{
  return PHASES[phase]?.label ?? 'Unknown';
}

export function phaseKind (phase)
{
  return PHASES[phase]?.kind ?? 'idle';
}

export function isRunning (phase)
{
  return phaseKind(phase) === 'running';
}

// The steps of a run, as the ribbon and the timings name them, with the phase each
// one is.
export const STEPS = [
  { key: 'generate', short: 'Generate', label: 'Generating Orders', phase: 'GENERATING' },
  { key: 'queueVip', short: 'Queue VIP', label: 'Queueing VIP Orders', phase: 'ENQUEUE_VIP' },
  { key: 'vip', short: 'VIP', label: 'Processing VIP Orders', phase: 'WAITING_VIP_DRAIN' },
  { key: 'queueNormal', short: 'Queue Normal', label: 'Queueing Normal Orders', phase: 'ENQUEUE_NORMAL' },
  { key: 'normal', short: 'Normal', label: 'Processing Normal Orders', phase: 'WAITING_NORMAL_DRAIN' },
];

const ORDER = ['IDLE', ...STEPS.map((step) => step.phase), 'DONE'];

// Whether a run in `phase` has finished the step that `stepPhase` names.
export function isPastStep (phase, stepPhase)
{
  const at = ORDER.indexOf(phase);
  return at !== -1 && at > ORDER.indexOf(stepPhase);
}

// A step's duration; one too short to measure reads "< 1 ms" once the run is past it.
export function stepDuration (ms, phase, stepPhase)
{
  if (!(ms > 0) && isPastStep(phase, stepPhase))
    return '< 1 ms';
  return duration(ms);
}

// "12 failed for good · 30 waiting for a retry", as the window's Failed row says it.
export function failures (failed, delayed)
{
  const parts = [];
  if (failed > 0)
    parts.push(`${number(failed)} failed for good`);
  if (delayed > 0)
    parts.push(`${number(delayed)} waiting for a retry`);
  return parts.join(' · ');
}

// A run whose queue is paused reads as such, whatever step it holds in.
export function isPaused (phase, paused)
{
  return paused === true && isRunning(phase);
}

export const LEVELS = { log: 'Info', warn: 'Warning', error: 'Error', note: 'Note' };
