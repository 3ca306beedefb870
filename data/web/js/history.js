// SPDX-License-Identifier: GPL-3.0-or-later
// The history table: the same columns as the window's History page (run, started,
// result, processed, steps, total, average rate, throughput), each run's steps as a
// ribbon on the scale of the longest run shown, the throughput series each finished
// run kept, and the row of the run that goes following the live status rather than
// what was stored when it started.

import * as format from './format.js';
import { createRibbon, updateRibbon } from './ribbon.js';
import { createSparkline } from './sparkline.js';
import { readRun, stepsMs } from './status.js';

const MAX_ROWS = 100;

function cell (label, content, className)
{
  const td = document.createElement('td');
  td.dataset.label = label;
  if (className)
    td.className = className;
  if (content instanceof Node)
    td.append(content);
  else
    td.textContent = content;
  return td;
}

export function processedText (processed, quantity)
{
  return processed >= quantity
    ? format.number(processed)
    : `${format.number(processed)} of ${format.number(quantity)}`;
}

export class HistoryView
{
  #runs = [];
  #live = null;
  #longest = 0;
  #series = new Map();   // run → samples of a finished run, which no longer change
  #loadSeries;

  // `loadSeries(runId)` resolves to a run's samples (GET /runs/{id}/samples).
  constructor ({ body, empty, loadSeries = null })
  {
    this.body = body;
    this.empty = empty;
    this.#loadSeries = loadSeries;
  }

  get runs () { return this.#runs; }

  // Runs from GET /runs, newest first.
  setRuns (raw)
  {
    const list = Array.isArray(raw) ? raw : (Array.isArray(raw?.runs) ? raw.runs : []);
    this.#runs = list.map(readRun).sort((a, b) => b.id - a.id);
    this.#render();
  }

  // The live status (status.js) of the run that goes, shown in its row.
  follow (status)
  {
    this.#live = status;
    const run = this.#runs.find((candidate) => candidate.id === status.runId);
    if (!run)
      return;
    run.phase = status.phase;
    run.processed = status.processed;
    run.vipProcessed = status.vip.processed;
    run.durations = { ...status.durations };
    run.totalMs = status.totalMs;
    // Only its row changes, unless it became the longest run, the scale of all.
    const row = this.body.querySelector(`tr[data-run="${run.id}"]`);
    if (row && stepsMs(run.durations) <= this.#longest)
      row.replaceWith(this.#row(run));
    else
      this.#render();
  }

  // The last finished run before `runId`, to compare with.
  previousDone (runId)
  {
    return this.#runs.find((run) => run.id < runId && run.phase === 'DONE') ?? null;
  }

  showError (message)
  {
    this.empty.hidden = false;
    this.empty.textContent = `The history could not be loaded. ${message}`;
  }

  #row (run)
  {
    const paused = this.#live?.runId === run.id && format.isPaused(run.phase, this.#live.paused);
    const badge = document.createElement('span');
    badge.className = 'phase-badge';
    badge.dataset.kind = paused ? 'warning' : format.phaseKind(run.phase);
    badge.textContent = paused ? 'Paused' : format.phaseLabel(run.phase);
    if (run.error)
      badge.title = run.error;
    const ribbon = createRibbon();
    const live = this.#live?.runId === run.id && format.isRunning(run.phase);
    updateRibbon(ribbon, run.durations, { phase: run.phase, remainingMs: live ? this.#live.etaMs : null, scaleMs: this.#longest });
    const row = document.createElement('tr');
    row.dataset.run = String(run.id);
    row.append(
      cell('Run', String(run.id), 'num'),
      cell('Started', format.dateTime(run.startedAt)),
      cell('Result', badge),
      cell('Processed', processedText(run.processed, run.quantity), 'num processed'),
      cell('Steps', ribbon, 'steps'),
      cell('Total', format.duration(run.totalMs), 'num'),
      cell('Average Rate', format.rate(format.averageRate(run.processed, run.durations.vip + run.durations.normal)), 'num'),
      cell('Throughput', this.#sparkline(run), 'series'),
    );
    return row;
  }

  // The finished run's series, once loaded; a request for it otherwise.
  #sparkline (run)
  {
    if (format.isRunning(run.phase) || run.phase === 'IDLE' || !this.#loadSeries)
      return format.NOT_YET;
    // Ids start again after Delete All: a run is its id and its start.
    const key = `${run.id}@${run.startedAt}`;
    if (this.#series.has(key)) {
      const samples = this.#series.get(key);
      return samples ? createSparkline(samples) : format.NOT_YET;
    }
    this.#series.set(key, null);
    this.#loadSeries(run.id).then((answer) => {
      const list = Array.isArray(answer?.samples) ? answer.samples : [];
      this.#series.set(key, list);
      const stillRun = this.#runs.find((candidate) => candidate.id === run.id);
      const row = this.body.querySelector(`tr[data-run="${run.id}"]`);
      if (row && stillRun)
        row.replaceWith(this.#row(stillRun));
    }, () => this.#series.delete(key));
    return format.NOT_YET;
  }

  #render ()
  {
    const runs = this.#runs.slice(0, MAX_ROWS);
    this.#longest = Math.max(0, ...runs.map((run) => stepsMs(run.durations)));
    this.body.replaceChildren(...runs.map((run) => this.#row(run)));
    this.empty.textContent = 'No past runs. Every run is kept here with its timings.';
    this.empty.hidden = runs.length > 0;
  }
}
