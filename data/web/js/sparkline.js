// SPDX-License-Identifier: GPL-3.0-or-later
// A run's throughput at a glance, for its row in the history: the series the run kept
// (GET /runs/{id}/samples) as VIP and Normal rates over the run, drawn as the window's
// history draws it, with the peak in the tooltip.

import { rate } from './format.js';

const WIDTH = 120;
const HEIGHT = 28;
const SVG = 'http://www.w3.org/2000/svg';

// Rates between consecutive samples: [{time, vip, normal}] in orders per second.
export function ratesOf (samples)
{
  const rates = [];
  for (let i = 1; i < samples.length; i++) {
    const seconds = (samples[i].time - samples[i - 1].time) / 1000;
    if (!(seconds > 0))
      continue;
    rates.push({
      time: samples[i].time,
      vip: Math.max(0, samples[i].vipProcessed - samples[i - 1].vipProcessed) / seconds,
      normal: Math.max(0, samples[i].normalProcessed - samples[i - 1].normalProcessed) / seconds,
    });
  }
  return rates;
}

export function createSparkline (samples)
{
  const rates = ratesOf(Array.isArray(samples) ? samples : []);
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'sparkline');
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  const peak = Math.max(0, ...rates.map((point) => point.vip + point.normal));
  svg.dataset.points = String(rates.length);
  svg.dataset.peak = String(Math.round(peak));
  const label = rates.length ? `Throughput over the run, peak ${rate(peak)}` : 'No throughput series kept';
  svg.setAttribute('aria-label', label);
  const title = document.createElementNS(SVG, 'title');
  title.textContent = label;
  svg.append(title);
  if (rates.length === 0)
    return svg;

  const start = samples[0].time;
  const span = Math.max(1, rates[rates.length - 1].time - start);
  const top = Math.max(peak, 1);
  for (const key of ['vip', 'normal']) {
    if (!rates.some((point) => point[key] > 0))
      continue;
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('class', key);
    line.setAttribute('points', [`0,${HEIGHT}`, ...rates.map((point) =>
      `${((point.time - start) / span * WIDTH).toFixed(1)},${(HEIGHT - 1 - point[key] / top * (HEIGHT - 2)).toFixed(1)}`)].join(' '));
    svg.append(line);
  }
  return svg;
}
