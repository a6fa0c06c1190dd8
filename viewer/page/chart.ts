/**
 * The stats panel's chart: bytes per second from peers and from HTTP over the last two minutes
 * (uPlot), so a viewer sees at a glance where the stream is coming from.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const WINDOW_POINTS = 120;
/** Rates are averaged over this many seconds: segments arrive in bursts every target duration. */
const SMOOTHING_POINTS = 4;

export class TrafficChart {
  private readonly data: [number[], number[], number[]] = [[], [], []];
  private readonly plot: uPlot;
  private readonly samples: Array<{ at: number; p2p: number; http: number }> = [];

  constructor(container: HTMLElement) {
    this.plot = new uPlot(
      {
        width: container.clientWidth || 320,
        height: 140,
        legend: { show: true, live: false },
        cursor: { show: false },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] } },
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
    new ResizeObserver(() => this.plot.setSize({ width: container.clientWidth || 320, height: 140 })).observe(container);
  }

  /** Adds a point from cumulative byte counters (the chart shows their rate). */
  add(atMs: number, p2pBytes: number, httpBytes: number): void {
    this.samples.push({ at: atMs, p2p: p2pBytes, http: httpBytes });
    if (this.samples.length > SMOOTHING_POINTS + 1) this.samples.shift();
    const last = this.samples[0];
    if (this.samples.length < 2 || atMs <= last.at) return;
    const seconds = (atMs - last.at) / 1000;
    this.data[0].push(Date.now() / 1000);
    this.data[1].push((p2pBytes - last.p2p) / 1024 / seconds);
    this.data[2].push((httpBytes - last.http) / 1024 / seconds);
    if (this.data[0].length > WINDOW_POINTS) for (const series of this.data) series.shift();
    this.plot.setData(this.data);
  }

  points(): number {
    return this.data[0].length;
  }
}
