// SPDX-License-Identifier: GPL-3.0-or-later
// A live chart of orders processed per second, VIP and normal, drawn on a canvas, as
// the window's OrderlyThroughputChart draws it: the run from its start, its last five
// minutes at most; each rate over two seconds (a thirtieth of the span once a short
// run ended), between the batches the counts move in, rather than between two
// updates; generating as a band
// with its rate; round ticks on the y axis; a gap where no update came; and, once the
// run ended, its start and end times instead of "now".

import { clockTime, duration, rate } from './format.js';

const SPAN_MS = 5 * 60 * 1000;
const RATE_WINDOW_MS = 2000;
const MIN_SPAN_MS = 5000;
const GAP_MS = 3000;
const TICKS = 4;
const SERIES = [
  { key: 'vip', color: '--vip', label: 'VIP' },
  { key: 'normal', color: '--normal', label: 'Normal' },
];

function niceStep (max, ticks)
{
  const raw = Math.max(max, 1) / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 5, 10]) {
    if (raw <= factor * magnitude)
      return factor * magnitude;
  }
  return 10 * magnitude;
}

// "0", "500", "2K", "1.5M", as the window's ticks read.
function tick (value)
{
  if (value >= 1e6)
    return `${+(value / 1e6).toPrecision(3)}M`;
  if (value >= 1e3)
    return `${+(value / 1e3).toPrecision(3)}K`;
  return String(value);
}

export class ThroughputChart
{
  #samples = [];
  #runId = undefined;
  #active = false;
  #generate = null;   // {start, end, generated, ms}
  #frame = 0;
  #clock = 0;
  #wallOffset = 0;
  #processingStart = null;
  #peak = 0;
  #clockOffset = 0;   // performance.now() minus the samples' clock
  #serverClock = false;
  #stored = false;    // the curve is a finished run's kept series, not live updates

  // The highest processing rate (VIP and normal) over two seconds, counted from a
  // full second of processing on: the first batches say more about batching.
  get peakRate () { return this.#peak; }

  constructor (canvas)
  {
    this.canvas = canvas;
    new ResizeObserver(() => this.redraw()).observe(canvas);
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.redraw());
  }

  // Takes a status as status.js reads it. Times are the server's (`monoMs`) when it
  // sends them, so that the network's jitter does not show as swings in the rates;
  // otherwise when the status arrived.
  add (status)
  {
    const running = ['GENERATING', 'ENQUEUE_VIP', 'WAITING_VIP_DRAIN', 'ENQUEUE_NORMAL', 'WAITING_NORMAL_DRAIN'].includes(status.phase);
    // The kept series of the run shown stands until a run goes.
    if (this.#stored && status.runId === this.#runId && !running)
      return;
    if (this.#stored) {
      this.#stored = false;
      this.#serverClock = false;
      this.reset(status.runId);
    }
    const arrived = performance.now();
    const fromServer = Number.isFinite(status.monoMs);
    // A status without the server's clock (a REST poll) is put on it by the last offset.
    if (fromServer && !this.#serverClock) {
      this.#serverClock = true;
      this.reset(status.runId);
    }
    if (fromServer)
      this.#clockOffset = arrived - status.monoMs;
    const time = fromServer ? status.monoMs : arrived - this.#clockOffset;
    if (status.runId !== this.#runId)
      this.reset(status.runId);
    this.#active = ['GENERATING', 'ENQUEUE_VIP', 'WAITING_VIP_DRAIN', 'ENQUEUE_NORMAL', 'WAITING_NORMAL_DRAIN'].includes(status.phase);
    this.#wallOffset = Date.now() - time;
    const last = this.#samples[this.#samples.length - 1];
    // A server that restarted counts its clock from zero again.
    if (last && time < last.time - GAP_MS)
      this.reset(status.runId);

    if (status.phase === 'GENERATING') {
      this.#generate ??= { start: time, end: time };
      this.#generate.end = time;
    }
    if (this.#generate) {
      this.#generate.generated = status.generated;
      this.#generate.ms = status.durations.generate;
    }
    const previous = this.#samples[this.#samples.length - 1];
    const sample = { time, vip: status.vip.processed, normal: status.normal.processed };
    // A finished run keeps its curve, ending where it stopped.
    if (this.#active || !previous || previous.vip !== sample.vip || previous.normal !== sample.normal) {
      if (!previous || time > previous.time) {
        this.#samples.push(sample);
        this.#updatePeak(sample);
      }
      while (this.#samples.length && time - this.#samples[0].time > SPAN_MS + RATE_WINDOW_MS)
        this.#samples.shift();
    }
    clearTimeout(this.#clock);
    // The time axis moves on with the clock while the run goes.
    if (this.#active)
      this.#clock = setTimeout(() => this.redraw(), 1000);
    this.redraw();
  }

  // Whether there is a curve to draw.
  get hasCurve () { return this.#samples.length >= 2; }

  // A run that ended before the page could follow it (the page opened later, or
  // the server restarted), from the series it kept (GET /runs/{id}/samples):
  // times in milliseconds since the epoch.
  loadStored (runId, samples)
  {
    if (!Array.isArray(samples) || samples.length < 2 || (this.#runId === runId && this.hasCurve))
      return false;
    // A run stopped before processing has no curve to draw.
    if (!samples.some((stored) => Number(stored.vipProcessed) > 0 || Number(stored.normalProcessed) > 0))
      return false;
    this.reset(runId);
    this.#stored = true;
    this.#active = false;
    this.#wallOffset = 0;
    clearTimeout(this.#clock);
    for (const stored of samples) {
      const sample = { time: Number(stored.time), vip: Number(stored.vipProcessed) || 0, normal: Number(stored.normalProcessed) || 0 };
      const previous = this.#samples[this.#samples.length - 1];
      if (!Number.isFinite(sample.time) || (previous && sample.time <= previous.time))
        continue;
      this.#samples.push(sample);
      this.#updatePeak(sample);
    }
    this.redraw();
    return true;
  }

  // Forgets the curve, for a new run or a restarted server.
  reset (runId = undefined)
  {
    this.#samples = [];
    this.#runId = runId;
    this.#generate = null;
    this.#processingStart = null;
    this.#peak = 0;
  }

  #updatePeak (sample)
  {
    const total = sample.vip + sample.normal;
    if (this.#processingStart === null || total === 0) {
      this.#processingStart = sample.time;
      return;
    }
    if (sample.time - this.#processingStart < 1000)
      return;
    const before = this.#samples.find((other) => sample.time - other.time <= RATE_WINDOW_MS &&
                                                 other.time >= this.#processingStart);
    if (before && before.time < sample.time)
      this.#peak = Math.max(this.#peak, (total - before.vip - before.normal) / ((sample.time - before.time) / 1000));
  }

  // The rate of each series at each sample, over `windowMs` before it.
  #rates (windowMs)
  {
    const rates = this.#samples.map(() => ({ vip: 0, normal: 0 }));
    let j = 0;
    for (let i = 1; i < this.#samples.length; i++) {
      while (j < i && this.#samples[i].time - this.#samples[j].time > windowMs)
        j++;
      for (const { key } of SERIES)
        rates[i][key] = this.#rateIn(j, i, key, windowMs);
    }
    return rates;
  }

  // Counts move in batches: between the first and the last batch seen in the window,
  // the orders of the later batches over the time they took is the rate, whatever
  // the batches' rhythm. With one batch in the window, the whole window.
  #rateIn (j, i, key, windowMs)
  {
    const samples = this.#samples;
    let first = -1;
    let last = -1;
    for (let k = Math.max(j, 1); k <= i; k++) {
      if (samples[k][key] !== samples[k - 1][key]) {
        if (first < 0)
          first = k;
        last = k;
      }
    }
    if (first < 0)
      return 0;
    if (last > first && samples[last].time - samples[first].time >= windowMs / 4)
      return (samples[last][key] - samples[first][key]) / ((samples[last].time - samples[first].time) / 1000);
    const base = samples[j < i ? j : i - 1];
    const span = samples[i].time - base.time;
    if (span <= 0 || span > Math.max(windowMs, GAP_MS))
      return 0;
    return Math.max(0, (samples[i][key] - base[key]) / (span / 1000));
  }

  redraw ()
  {
    if (this.#frame)
      return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.#draw();
    });
  }

  #draw ()
  {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (!width || !height)
      return;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const context = canvas.getContext('2d');
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);

    const style = getComputedStyle(document.documentElement);
    const color = (name) => style.getPropertyValue(name).trim() || '#888';
    const font = style.fontFamily;
    context.font = `12px ${font}`;

    if (this.#samples.length < 2) {
      context.fillStyle = color('--dim-fg');
      context.textAlign = 'center';
      context.textBaseline = 'middle';
      context.font = `14px ${font}`;
      context.fillText('Throughput appears here while orders are processed', width / 2, height / 2);
      return;
    }

    const end = this.#active ? performance.now() - this.#clockOffset : this.#samples[this.#samples.length - 1].time;
    const start = Math.max(this.#samples[0].time, end - SPAN_MS);
    const span = Math.max(end - start, this.#active ? MIN_SPAN_MS : 1);
    // Two seconds while the run goes; a finished short run keeps its shape with a
    // window of a thirtieth of its span.
    const rates = this.#rates(this.#active ? RATE_WINDOW_MS : Math.min(RATE_WINDOW_MS, Math.max(RATE_WINDOW_MS / 6, span / 30)));
    const first = this.#samples.findIndex((sample) => sample.time >= start);
    let max = 0;
    for (let i = first; i < rates.length; i++)
      max = Math.max(max, rates[i].vip, rates[i].normal);
    const step = niceStep(max, TICKS);
    const top = Math.max(Math.ceil(max / step), 1) * step;
    // What the chart shows, for the browser tests to read.
    canvas.dataset.top = String(top);
    canvas.dataset.vip = String(Math.round(rates[rates.length - 1].vip));
    canvas.dataset.normal = String(Math.round(rates[rates.length - 1].normal));
    canvas.dataset.axis = this.#active ? 'live' : 'ended';

    const labelWidth = Math.max(...Array.from({ length: Math.round(top / step) + 1 }, (_, i) => context.measureText(tick(i * step)).width));
    const left = Math.ceil(labelWidth) + 14;
    const right = width - 8;
    const plotTop = 26;
    const bottom = height - 22;
    const x = (time) => left + ((time - start) / span) * (right - left);
    const y = (value) => bottom - (value / top) * (bottom - plotTop);

    // The y axis: a labelled line at every tick.
    context.lineWidth = 1;
    context.textBaseline = 'middle';
    for (let i = 0; i * step <= top + step / 2; i++) {
      const lineY = Math.round(y(i * step)) + 0.5;
      context.strokeStyle = color('--border');
      context.beginPath();
      context.moveTo(left, lineY);
      context.lineTo(right, lineY);
      context.stroke();
      context.fillStyle = color('--dim-fg');
      context.textAlign = 'right';
      context.fillText(tick(i * step), left - 6, lineY);
    }
    context.textAlign = 'left';
    context.textBaseline = 'alphabetic';
    context.fillText('orders/s', 0, 14);

    // The time axis: from when to when; "now" while the run goes.
    const axis = (time) => (this.#active
      ? (end - time < 1000 ? 'now' : `${duration(end - time)} ago`)
      : clockTime(time + this.#wallOffset));
    context.fillText(axis(start), left, height - 4);
    context.textAlign = 'right';
    context.fillText(axis(end), right, height - 4);

    context.save();
    context.beginPath();
    context.rect(left, plotTop - 2, right - left, bottom - plotTop + 4);
    context.clip();

    // Generating, as a band with its rate: a hundred times faster than processing,
    // as a line it would flatten the others.
    if (this.#generate && this.#generate.end >= start) {
      const x0 = x(Math.max(this.#generate.start, start));
      const x1 = Math.max(x(this.#generate.end), x0 + 3);
      context.globalAlpha = 0.25;
      context.fillStyle = color('--generate');
      context.fillRect(x0, plotTop, x1 - x0, bottom - plotTop);
      context.globalAlpha = 1;
      const text = rate(this.#generate.ms > 0 ? this.#generate.generated / (this.#generate.ms / 1000) : 0);
      if (context.measureText(text).width + 8 <= x1 - x0) {
        context.fillStyle = color('--dim-fg');
        context.textAlign = 'center';
        context.fillText(text, (x0 + x1) / 2, plotTop + 14);
      }
    }

    context.lineWidth = 2;
    context.lineJoin = 'round';
    for (const series of SERIES) {
      context.strokeStyle = color(series.color);
      context.beginPath();
      let drawing = false;
      let previous = 0;
      for (let i = first; i < this.#samples.length; i++) {
        const sample = this.#samples[i];
        // No update for a while (offline, a suspended laptop): a gap, not a made-up line.
        if (drawing && sample.time - previous > GAP_MS) {
          context.stroke();
          context.beginPath();
          drawing = false;
        }
        if (drawing)
          context.lineTo(x(sample.time), y(rates[i][series.key]));
        else
          context.moveTo(x(sample.time), y(rates[i][series.key]));
        drawing = true;
        previous = sample.time;
      }
      context.stroke();
    }
    context.restore();
  }
}
