// SPDX-License-Identifier: GPL-3.0-or-later
// A live line chart of orders processed per second, drawn on a canvas.
// Rates come from how far the processed counts moved between one-second samples, so
// the chart shows what is happening now rather than an average over the whole run.

const WINDOW_MS = 120000;
const SAMPLE_MS = 1000;
// Overall first, as a filled area, so the per-priority lines stay visible on top of it.
const SERIES = [
  { key: 'overall', color: '--overall', width: 1.5, fill: true },
  { key: 'vip', color: '--vip', width: 2 },
  { key: 'normal', color: '--normal', width: 2 },
];

const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });

function niceStep (max, ticks)
{
  const raw = max / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 5, 10]) {
    if (raw <= factor * magnitude)
      return factor * magnitude;
  }
  return 10 * magnitude;
}

export class ThroughputChart
{
  #samples = [];
  #previous = null;
  #timer = 0;
  #frame = 0;
  #readCounts;

  // readCounts () returns {run, vip, normal}: the current run's id and what it processed so far.
  constructor (canvas, readCounts)
  {
    this.canvas = canvas;
    this.#readCounts = readCounts;
    new ResizeObserver(() => this.redraw()).observe(canvas);
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.redraw());
  }

  start ()
  {
    const tick = () => {
      this.#sample();
      this.#timer = setTimeout(tick, SAMPLE_MS);
    };
    clearTimeout(this.#timer);
    tick();
  }

  // Forgets the rate baseline, for instance when a new run starts or the server restarted.
  resetBaseline ()
  {
    this.#previous = null;
  }

  #sample ()
  {
    const now = performance.now();
    const counts = this.#readCounts();
    let vip = 0, normal = 0;
    if (this.#previous) {
      // A new run counts from zero, even when it started and ended between two samples.
      const sameRun = this.#previous.run === counts.run;
      const seconds = (now - this.#previous.time) / 1000;
      const dVip = counts.vip - (sameRun ? this.#previous.vip : 0);
      const dNormal = counts.normal - (sameRun ? this.#previous.normal : 0);
      if (seconds > 0 && dVip >= 0 && dNormal >= 0) {
        vip = dVip / seconds;
        normal = dNormal / seconds;
      }
    }
    this.#previous = { time: now, run: counts.run, vip: counts.vip, normal: counts.normal };
    this.#samples.push({ time: now, vip, normal, overall: vip + normal });
    while (this.#samples.length && now - this.#samples[0].time > WINDOW_MS + SAMPLE_MS)
      this.#samples.shift();
    this.redraw();
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

    const max = Math.max(10, ...this.#samples.map((sample) => sample.overall));
    const step = niceStep(max, 4);
    const top = Math.ceil(max / step) * step;

    context.font = `12px ${font}`;
    const labelWidth = Math.max(...[0, 1, 2, 3, 4].map((i) => context.measureText(compact.format(step * i)).width));
    const left = Math.ceil(labelWidth) + 10;
    const right = width - 4;
    const bottom = height - 20;
    const plotTop = 8;
    const x = (time, now) => right - ((now - time) / WINDOW_MS) * (right - left);
    const y = (value) => bottom - (value / top) * (bottom - plotTop);

    context.strokeStyle = color('--border');
    context.fillStyle = color('--dim-fg');
    context.lineWidth = 1;
    context.textBaseline = 'middle';
    context.textAlign = 'right';
    for (let value = 0; value <= top + step / 2; value += step) {
      const lineY = Math.round(y(value)) + 0.5;
      context.beginPath();
      context.moveTo(left, lineY);
      context.lineTo(right, lineY);
      context.stroke();
      context.fillText(compact.format(value), left - 6, lineY);
    }
    context.textBaseline = 'alphabetic';
    context.textAlign = 'left';
    context.fillText('2 min ago', left, height - 4);
    context.textAlign = 'right';
    context.fillText('now', right, height - 4);

    if (!this.#samples.some((sample) => sample.overall > 0)) {
      context.textAlign = 'center';
      context.textBaseline = 'middle';
      context.font = `14px ${font}`;
      context.fillText('No orders processed recently', (left + right) / 2, (plotTop + bottom) / 2 - 12);
      return;
    }
    const now = this.#samples[this.#samples.length - 1].time;

    context.save();
    context.beginPath();
    context.rect(left, 0, right - left, height);
    context.clip();
    for (const series of SERIES) {
      context.beginPath();
      this.#samples.forEach((sample, index) => {
        const pointX = x(sample.time, now);
        const pointY = y(sample[series.key]);
        if (index === 0)
          context.moveTo(pointX, pointY);
        else
          context.lineTo(pointX, pointY);
      });
      context.strokeStyle = color(series.color);
      context.lineWidth = series.width;
      context.lineJoin = 'round';
      context.stroke();
      if (series.fill) {
        context.lineTo(x(now, now), bottom);
        context.lineTo(x(this.#samples[0].time, now), bottom);
        context.closePath();
        context.globalAlpha = 0.18;
        context.fillStyle = color(series.color);
        context.fill();
        context.globalAlpha = 1;
      }
    }
    context.restore();
  }
}
