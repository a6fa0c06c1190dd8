/**
 * The supporter summary page's script (served by relaycast-payout as `<path>/me.js`, bundled by
 * scripts/build.mjs): asks `me` for the figures of the token typed in, sent as a Bearer header so it
 * never lands in a URL. Plain DOM, textContent only: nothing from the server is ever parsed as HTML.
 */
import type { SupporterSummary } from '../../lib/protocol/supporter-summary';

const form = document.getElementById('f') as HTMLFormElement;
const tokenInput = document.getElementById('t') as HTMLInputElement;
const out = document.getElementById('out') as HTMLDivElement;

function paragraph(text: string): void {
  const el = document.createElement('p');
  el.textContent = text;
  out.appendChild(el);
}

function table(rows: Array<Array<string | number>>): HTMLTableElement {
  const t = document.createElement('table');
  rows.forEach((row, i) => {
    const tr = t.insertRow();
    for (const value of row) {
      const cell = document.createElement(i ? 'td' : 'th');
      cell.textContent = String(value);
      tr.appendChild(cell);
    }
  });
  return t;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  out.textContent = '';
  const res = await fetch('me', { headers: { Authorization: `Bearer ${tokenInput.value}` } });
  if (!res.ok) {
    // 429: this address asked too often (the route's per-address limit); Retry-After says for how long.
    if (res.status === 429) out.textContent = `Too many attempts: try again in ${res.headers.get('Retry-After') ?? 'a few'} s.`;
    else out.textContent = res.status === 401 ? 'Unknown token.' : `Error ${res.status}`;
    return;
  }
  const s = (await res.json()) as SupporterSummary;
  paragraph(
    `${s.name}: ${s.verifiedBytes.toLocaleString()} verified bytes to ${s.viewersHelped} viewers; pending ${s.pending} ${s.currency ?? ''} (minor units), ${s.unsettledBytes.toLocaleString()} bytes not yet settled.`,
  );
  out.appendChild(
    table([
      ['period', 'bytes', 'viewers', 'earned', 'paid', 'carried'],
      ...s.statements.map((l) => [l.period, l.bytes, l.viewers, l.earned, l.paid, l.carriedOut]),
    ]),
  );
});
