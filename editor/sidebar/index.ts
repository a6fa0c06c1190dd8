/**
 * The Relaycast sidebar tab in the Node-RED editor, like the core Debug sidebar: the runtime
 * publishes a telemetry snapshot on the comms topic relaycast/telemetry once a second (only to
 * signed-in editor connections); this tab draws, per stream, a headline, one row per figure and
 * two small charts over the last five minutes (uPlot). Clicking a figure reveals and selects the
 * node that produced it. What to show is computed in lib/telemetry/sidebar-model.ts.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './sidebar.css';
import { ChartHistory, payoutRows, streamCard, type FigureRow } from '../../lib/telemetry/sidebar-model';
import type { TelemetrySnapshot } from '../../lib/telemetry/snapshot';

interface EditorRED {
  plugins: { registerPlugin(id: string, definition: { onadd?: () => void }): void };
  sidebar: { addTab(options: Record<string, unknown>): void; show(id: string): void };
  comms: { subscribe(topic: string, callback: (topic: string, data: unknown) => void): void };
  actions: { add(name: string, handler: () => void): void };
  view: { reveal(id: string): void; select?(selection: string): void };
  nodes: { node(id: string): unknown };
}
declare const RED: EditorRED;

const TOPIC = 'relaycast/telemetry';
const CHART_HEIGHT = 90;
const CHART_MIN_WIDTH = 160;
const WINDOW_SECONDS = 300;
const AXIS_FONT = '10px sans-serif';
const Y_AXIS_SIZE = 36;

class StreamView {
  readonly root = document.createElement('div');
  private readonly headline = document.createElement('div');
  private readonly rows = document.createElement('table');
  private readonly charts: Array<{ plot: uPlot; holder: HTMLElement }> = [];

  constructor(readonly stream: string) {
    this.root.className = 'relaycast-stream';
    this.root.dataset.stream = stream;
    const title = document.createElement('div');
    title.className = 'relaycast-stream-title';
    title.textContent = stream;
    this.headline.className = 'relaycast-headline';
    this.rows.className = 'relaycast-figures';
    this.root.append(title, this.headline, this.rows);
    this.addChart(
      'viewers · P2P %',
      [
        { label: 'viewers', stroke: '#2563eb', width: 2, scale: 'n' },
        { label: 'P2P %', stroke: '#16a34a', width: 2, scale: '%' },
      ],
      { n: { range: (_u: uPlot, _min: number, max: number) => [0, Math.max(2, max * 1.2)] }, '%': { range: [0, 100] } },
    );
    this.addChart(
      'upload queue · segment age s',
      [
        { label: 'queue', stroke: '#d97706', width: 2, scale: 'n' },
        { label: 'age s', stroke: '#dc2626', width: 2, scale: 's' },
      ],
      {
        n: { range: (_u: uPlot, _min: number, max: number) => [0, Math.max(2, max * 1.2)] },
        s: { range: (_u: uPlot, _min: number, max: number) => [0, Math.max(5, max * 1.2)] },
      },
    );
  }

  private addChart(title: string, series: uPlot.Series[], scales: uPlot.Scales): void {
    const holder = document.createElement('div');
    holder.className = 'relaycast-chart';
    holder.title = title;
    this.root.append(holder);
    const plot = new uPlot(
      {
        width: CHART_MIN_WIDTH,
        height: CHART_HEIGHT,
        legend: { show: true, live: false },
        cursor: { show: false },
        // Always the last five minutes, labelled by how long ago: the chart does not rescale as
        // points arrive, and clock times of a few seconds apart ("':00', ':01'") said nothing.
        scales: { x: { time: false, range: (_u: uPlot, _min: number, max: number) => [max - WINDOW_SECONDS, max] }, ...scales },
        axes: [
          {
            font: AXIS_FONT,
            size: 22,
            splits: (u: uPlot) => {
              const max = u.scales.x.max ?? 0;
              return [5, 4, 3, 2, 1, 0].map((minutes) => max - minutes * 60);
            },
            values: (_u: uPlot, splits: number[]) => splits.map((_t, i) => (i === splits.length - 1 ? 'now' : `−${splits.length - 1 - i} min`)),
          },
          // Wide enough for "100" and a tick at AXIS_FONT, so the labels are not cut at the edge.
          { scale: series[0].scale, size: Y_AXIS_SIZE, font: AXIS_FONT },
          { scale: series[1].scale, side: 1, size: Y_AXIS_SIZE, font: AXIS_FONT, grid: { show: false } },
        ],
        series: [{}, ...series],
      },
      [[], [], []],
      holder,
    );
    this.charts.push({ plot, holder });
  }

  render(card: ReturnType<typeof streamCard>, series: ReturnType<ChartHistory['series']>): void {
    this.headline.textContent = card.headline;
    renderRows(this.rows, card.rows);
    if (!series) return;
    this.charts[0].plot.setData([series.t, series.viewers, series.p2pPercent as number[]]);
    this.charts[1].plot.setData([series.t, series.uploadQueue, series.segmentAge]);
  }

  /** Fits the charts to the card's own width (which leaves out the sidebar's padding and scrollbar), so their right axis is not cut off. */
  resize(): void {
    const width = Math.max(CHART_MIN_WIDTH, this.root.clientWidth);
    for (const { plot } of this.charts) plot.setSize({ width, height: CHART_HEIGHT });
  }
}

/** Rows keyed by label, updated in place so a click target does not vanish under the pointer. */
function renderRows(table: HTMLTableElement, rows: FigureRow[]): void {
  while (table.rows.length > rows.length) table.deleteRow(-1);
  rows.forEach((row, i) => {
    const tr = table.rows[i] ?? table.insertRow();
    if (tr.cells.length === 0) {
      tr.insertCell();
      tr.insertCell();
    }
    tr.className = `relaycast-figure${row.warn ? ' relaycast-warn' : ''}`;
    tr.dataset.node = row.node.id;
    tr.dataset.label = row.label;
    tr.title = `from ${row.node.type}${row.node.name ? ` "${row.node.name}"` : ''} (${row.node.id}): click to show it`;
    tr.cells[0].textContent = row.label;
    tr.cells[1].textContent = row.value;
    tr.cells[1].title = row.exact ?? '';
  });
}

/** Shows the node in the workspace (switching tabs if needed) and selects it, as Debug does. */
function revealNode(id: string): void {
  if (!RED.nodes.node(id)) return;
  RED.view.reveal(id);
  RED.view.select?.(id);
}

function mount(): void {
  const content = document.createElement('div');
  content.className = 'relaycast-sidebar';
  const empty = document.createElement('div');
  empty.className = 'relaycast-empty';
  empty.textContent = 'No Relaycast figures yet: deploy a flow with Relaycast nodes.';
  const streamsEl = document.createElement('div');
  const payoutsEl = document.createElement('table');
  payoutsEl.className = 'relaycast-figures relaycast-payouts';
  content.append(empty, streamsEl, payoutsEl);

  const views = new Map<string, StreamView>();
  const history = new ChartHistory(WINDOW_SECONDS);

  content.addEventListener('click', (event) => {
    const row = (event.target as HTMLElement).closest('tr[data-node]') as HTMLElement | null;
    if (row?.dataset.node) revealNode(row.dataset.node);
  });

  RED.sidebar.addTab({
    id: 'relaycast',
    label: 'Relaycast',
    name: 'Relaycast',
    iconClass: 'fa fa-signal',
    content,
    enableOnEdit: true,
    action: 'relaycast:show-sidebar',
    onchange: () => {
      for (const view of views.values()) view.resize();
    },
  });
  RED.actions.add('relaycast:show-sidebar', () => RED.sidebar.show('relaycast'));
  new ResizeObserver(() => {
    for (const view of views.values()) view.resize();
  }).observe(content);

  RED.comms.subscribe(TOPIC, (_topic, data) => {
    const snapshot = data as TelemetrySnapshot;
    if (!snapshot || !Array.isArray(snapshot.streams)) return;
    history.add(snapshot);
    empty.style.display = snapshot.streams.length === 0 && snapshot.payouts.length === 0 ? '' : 'none';
    for (const s of snapshot.streams) {
      let view = views.get(s.stream);
      if (!view) {
        view = new StreamView(s.stream);
        views.set(s.stream, view);
        streamsEl.append(view.root);
        view.resize();
      }
      view.render(streamCard(s), history.series(s.stream));
    }
    for (const [stream, view] of views) {
      if (!snapshot.streams.some((s) => s.stream === stream)) {
        view.root.remove();
        views.delete(stream);
      }
    }
    renderRows(payoutsEl, payoutRows(snapshot));
  });
}

RED.plugins.registerPlugin('relaycast-sidebar', { onadd: mount });
