// SPDX-License-Identifier: GPL-3.0-or-later
// Turning raw numbers from the server into text people read.

const integerFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimalFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function number (value)
{
  return Number.isFinite(value) ? integerFormat.format(value) : '—';
}

export function percent (value)
{
  if (!Number.isFinite(value))
    return '—';
  const clamped = Math.min(100, Math.max(0, value));
  return `${clamped >= 10 || clamped === 0 ? Math.floor(clamped) : decimalFormat.format(clamped)}%`;
}

// A duration in milliseconds: "850 ms", "4.2 s", "3 min 05 s", "1 h 02 min".
export function duration (ms)
{
  if (!Number.isFinite(ms) || ms < 0)
    return '—';
  if (ms > 0 && ms < 1)
    return '< 1 ms';
  if (ms < 1000)
    return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60)
    return `${decimalFormat.format(seconds)} s`;
  const totalSeconds = Math.round(seconds);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const rest = totalSeconds % 60;
  if (hours > 0)
    return `${hours} h ${String(minutes).padStart(2, '0')} min`;
  return `${minutes} min ${String(rest).padStart(2, '0')} s`;
}

export function rate (perSecond)
{
  if (!Number.isFinite(perSecond) || perSecond <= 0)
    return '—';
  return `${perSecond >= 100 ? integerFormat.format(perSecond) : decimalFormat.format(perSecond)}/s`;
}

export function clockTime (value)
{
  const date = toDate(value);
  return date ? timeFormat.format(date) : '';
}

export function dateTime (value)
{
  const date = toDate(value);
  return date ? dateTimeFormat.format(date) : '—';
}

export function toDate (value)
{
  if (value === null || value === undefined || value === '')
    return null;
  const date = new Date(typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);
  return Number.isNaN(date.getTime()) ? null : date;
}

const PHASES = {
  IDLE: { label: 'Idle', kind: 'idle' },
  GENERATING: { label: 'Generating', kind: 'running' },
  ENQUEUE_VIP: { label: 'Queueing VIP', kind: 'running' },
  WAITING_VIP_DRAIN: { label: 'Processing VIP', kind: 'running' },
  ENQUEUE_NORMAL: { label: 'Queueing normal', kind: 'running' },
  WAITING_NORMAL_DRAIN: { label: 'Processing normal', kind: 'running' },
  DONE: { label: 'Done', kind: 'done' },
  ABORTED: { label: 'Cancelled', kind: 'warning' },
  INTERRUPTED: { label: 'Interrupted', kind: 'warning' },
  ERROR: { label: 'Error', kind: 'error' },
};

export function phaseLabel (phase)
{
  return PHASES[phase]?.label ?? String(phase ?? 'Unknown').replaceAll('_', ' ').toLowerCase();
}

export function phaseKind (phase)
{
  return PHASES[phase]?.kind ?? 'idle';
}

export function isRunning (phase)
{
  return phaseKind(phase) === 'running';
}

const STEPS = ['IDLE', 'GENERATING', 'ENQUEUE_VIP', 'WAITING_VIP_DRAIN', 'ENQUEUE_NORMAL', 'WAITING_NORMAL_DRAIN', 'DONE'];

// Whether a run in `phase` has finished the step that `stepPhase` names.
export function isPastStep (phase, stepPhase)
{
  const at = STEPS.indexOf(phase);
  return at !== -1 && at > STEPS.indexOf(stepPhase);
}
