/**
 * The stats panel's chart: bytes per second from peers and from HTTP over the last two minutes
 * (uPlot), so a viewer sees at a glance where the stream is coming from.
 *
 * Points are taken each second but the canvas is redrawn only every REDRAW_MS, and only while the
 * chart is on screen in a visible tab: a two-minute chart barely moves in a few seconds, and the
 * redraw was most of what the page cost over plain hls.js (issue 21).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { START_UP_MS, scaleTop } from './chart-scale';

const WINDOW_POINTS = 120;
/** Rates are averaged over this many seconds: segments arrive in bursts every target duration. */
const SMOOTHING_POINTS = 4;
const REDRAW_MS = 5000;
export class TrafficChart {
  private readonly data: [number[], number[], number[]] = [[], [], []];
  /** Whether each point was taken in the start-up window. */
  private readonly startUp: boolean[] = [];
  private readonly plot: uPlot;
  private readonly samples: Array<{ at: number; p2p: number; http: number }> = [];
  private readonly startedAt: number;
  private onScreen = true;
  private dirty = false;
  private drawnAt = -Infinity;
  private draws = 0;

  constructor(
    private readonly container: HTMLElement,
    now = performance.now(),
  ) {
    this.startedAt = now;
    this.plot = new uPlot(
      {
        width: container.clientWidth || 320,
        height: 140,
        legend: { show: true, live: false },
        cursor: { show: false },
        scales: { x: { time: true }, y: { range: (u) => [0, scaleTop([u.data[1], u.data[2]], this.startUp)] } },
        axes: [
          {
            stroke: '#9aa4b2',
            grid: { stroke: '#2a3240' },
            ticks: { stroke: '#2a3240' },
            space: 70,
            values: (_u, splits) => splits.map((t) => new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })),
          },
          {
            stroke: '#9aa4b2',
            grid: { stroke: '#2a3240' },
            ticks: { stroke: '#2a3240' },
            size: 50,
            values: (_u, v) => v.map((x) => `${x.toFixed(0)}`),
            label: 'KB/s',
          },
        ],
        series: [
          {},
          { label: 'peers', stroke: '#3ddc97', fill: 'rgba(61,220,151,0.25)', width: 2 },
          { label: 'HTTP', stroke: '#f59e0b', fill: 'rgba(245,158,11,0.15)', width: 2 },
        ],
      },
      this.data,
      container,
    );
    let width = container.clientWidth;
    new ResizeObserver(() => {
      if (container.clientWidth === width) return;
      width = container.clientWidth;
      this.plot.setSize({ width: width || 320, height: 140 });
    }).observe(container);
    new IntersectionObserver((entries) => {
      this.onScreen = entries.some((e) => e.isIntersecting);
      this.flush(performance.now(), true);
    }).observe(container);
    document.addEventListener('visibilitychange', () => this.flush(performance.now(), true));
  }

  /** Adds a point from cumulative byte counters (the chart shows their rate). */
  add(atMs: number, p2pBytes: number, httpBytes: number): void {
    this.samples.push({ at: atMs, p2p: p2pBytes, http: httpBytes });
    if (this.samples.length > SMOOTHING_POINTS + 1) this.samples.shift();
    const first = this.samples[0];
    if (this.samples.length < 2 || atMs <= first.at) return;
    const seconds = (atMs - first.at) / 1000;
    this.data[0].push(Date.now() / 1000);
    this.data[1].push((p2pBytes - first.p2p) / 1024 / seconds);
    this.data[2].push((httpBytes - first.http) / 1024 / seconds);
    this.startUp.push(atMs - this.startedAt < START_UP_MS);
    if (this.data[0].length > WINDOW_POINTS) {
      for (const series of this.data) series.shift();
      this.startUp.shift();
    }
    this.dirty = true;
    this.flush(atMs, false);
  }

  points(): number {
    return this.data[0].length;
  }

  /** Canvas redraws so far (the CPU it costs is what this class keeps low). */
  redraws(): number {
    return this.draws;
  }

  private flush(now: number, soon: boolean): void {
    if (!this.dirty || !this.onScreen || document.visibilityState === 'hidden') return;
    if (!soon && now - this.drawnAt < REDRAW_MS) return;
    this.dirty = false;
    this.drawnAt = now;
    this.draws++;
    this.plot.setData(this.data);
  }
}
