// The self-contained HTML report of a campaign: one file, inline CSS and SVG, no script, no
// server. Plots: commands per second and coverage over time (from the state's timeline),
// findings by platform and by invariant (by status: new, known, expected), command and state
// coverage; then every finding with its repro. Built from the state directory's data only, so
// `merge` can render one too. That data may come from a file someone else wrote: every value
// inserted, numbers included, goes through txt() (escaped text) or coord() (a finite number),
// so a crafted file can put text on the page but never markup.
import { STATES } from '../engine/coverage';
import { findingStatus, STATUS_LABEL, type FindingStatus } from '../engine/finding-status';
import type { Progress, StoredFinding } from '../engine/state-dir';

export interface ReportInput {
  readonly title: string;
  readonly progress: Progress;
  readonly findings: readonly StoredFinding[];
  readonly configurations: readonly string[];
  readonly generated: string;
}

/** Any value as HTML text (element content or a double-quoted attribute). */
export function txt(v: unknown): string {
  return String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A number for SVG geometry: anything that is not a finite number is 0. */
function coord(v: unknown, digits = 1): string {
  return (typeof v === 'number' && Number.isFinite(v) ? v : 0).toFixed(digits);
}

const finite = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

const STATUS_COLOUR: Readonly<Record<FindingStatus, string>> = { new: '#dc2626', known: '#2563eb', expected: '#d97706' };
const STATUSES: readonly FindingStatus[] = ['new', 'known', 'expected'];

/** Round tick values from 0 to at least max: 1, 2 or 5 times a power of ten apart, about `count` of them. */
export function ticks(max: number, count = 5): number[] {
  const top = Math.max(1, finite(max));
  const raw = top / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let v = 0; v < top + step / 2; v += step) out.push(v);
  if ((out[out.length - 1] as number) < top) out.push(out.length * step);
  return out;
}

/** A tick label: whole numbers grouped by thousands (k, M), fractions with one decimal. */
function tickLabel(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (v >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

/** A line plot of (x, y) points as inline SVG, with ticks, grid lines and titled axes. */
export function linePlot(title: string, points: readonly { x: number; y: number }[], xLabel: string, yLabel: string): string {
  const w = 560;
  const h = 240;
  const pad = { l: 64, r: 16, t: 28, b: 48 };
  const xt = ticks(Math.max(0, ...points.map((p) => finite(p.x))));
  const yt = ticks(Math.max(0, ...points.map((p) => finite(p.y))), 4);
  const maxX = xt[xt.length - 1] as number;
  const maxY = yt[yt.length - 1] as number;
  const sx = (x: unknown): number => pad.l + (finite(x) / maxX) * (w - pad.l - pad.r);
  const sy = (y: unknown): number => h - pad.b - (finite(y) / maxY) * (h - pad.t - pad.b);
  const grid = [
    ...yt.map((v) => `<line x1="${pad.l}" y1="${coord(sy(v))}" x2="${w - pad.r}" y2="${coord(sy(v))}" class="grid"/><text x="${pad.l - 6}" y="${coord(sy(v) + 4)}" text-anchor="end" class="tick">${txt(tickLabel(v))}</text>`),
    ...xt.map((v) => `<line x1="${coord(sx(v))}" y1="${h - pad.b}" x2="${coord(sx(v))}" y2="${h - pad.b + 4}" stroke="#888"/><text x="${coord(sx(v))}" y="${h - pad.b + 16}" text-anchor="middle" class="tick">${txt(tickLabel(v))}</text>`),
  ].join('');
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${coord(sx(p.x))},${coord(sy(p.y))}`).join(' ');
  const body =
    points.length === 0
      ? `<text x="${w / 2}" y="${h / 2}" text-anchor="middle" class="muted">no samples</text>`
      : `<path d="${path}" fill="none" stroke="#2563eb" stroke-width="2"/>` + points.map((p) => `<circle cx="${coord(sx(p.x))}" cy="${coord(sy(p.y))}" r="2.5" fill="#2563eb"><title>${txt(coord(p.x, 0))} ${txt(xLabel)}: ${txt(coord(p.y, 0))} ${txt(yLabel)}</title></circle>`).join('');
  return `<figure><svg role="img" aria-label="${txt(title)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">
<text x="${pad.l}" y="18" class="title">${txt(title)}</text>${grid}
<line x1="${pad.l}" y1="${h - pad.b}" x2="${w - pad.r}" y2="${h - pad.b}" stroke="#888"/><line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${h - pad.b}" stroke="#888"/>
<text x="${(w + pad.l) / 2}" y="${h - 8}" text-anchor="middle" class="axis">${txt(xLabel)}</text>
<text x="16" y="${(h - pad.b + pad.t) / 2}" transform="rotate(-90 16 ${(h - pad.b + pad.t) / 2})" text-anchor="middle" class="axis">${txt(yLabel)}</text>
${body}</svg></figure>`;
}

/** One bar: a label and its value, split into coloured segments (a plain bar has one). */
export interface Bar {
  readonly label: string;
  readonly segments: readonly { readonly value: number; readonly colour: string; readonly name?: string }[];
}

/** A horizontal bar chart as inline SVG, each bar's total written after it. */
export function barChart(title: string, bars: readonly Bar[], valueLabel: string): string {
  const rowH = 18;
  const w = 560;
  const labelW = 250;
  const h = 30 + Math.max(1, bars.length) * rowH + 24;
  const total = (b: Bar): number => b.segments.reduce((n, s) => n + finite(s.value), 0);
  const max = Math.max(1, ...bars.map(total));
  const scale = (v: number): number => (v / max) * (w - labelW - 60);
  const rows = bars
    .map((b, i) => {
      const y = 30 + i * rowH;
      let x = labelW;
      const segs = b.segments.map((s) => {
        const bw = scale(finite(s.value));
        const r = `<rect x="${coord(x)}" y="${y + 2}" width="${coord(bw)}" height="${rowH - 5}" fill="${txt(s.colour)}"><title>${txt(b.label)}${s.name !== undefined ? ` (${txt(s.name)})` : ''}: ${txt(s.value)}</title></rect>`;
        x += bw;
        return r;
      });
      const empty = total(b) === 0 ? `<rect x="${labelW}" y="${y + 2}" width="2" height="${rowH - 5}" fill="#ddd"/>` : '';
      return `<text x="${labelW - 6}" y="${y + 12}" text-anchor="end" class="tick">${txt(b.label)}</text>${empty}${segs.join('')}<text x="${coord(x + 4)}" y="${y + 12}" class="tick">${txt(total(b))}</text>`;
    })
    .join('\n');
  return `<figure><svg role="img" aria-label="${txt(title)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}"><text x="4" y="18" class="title">${txt(title)}</text>
${bars.length === 0 ? `<text x="${labelW}" y="44" class="muted">none</text>` : rows}
<text x="${w - 8}" y="${h - 6}" text-anchor="end" class="axis">${txt(valueLabel)}</text></svg></figure>`;
}

/** Findings counted by `key`, each bar split by status. */
function findingBars(findings: readonly StoredFinding[], key: (f: StoredFinding) => string): Bar[] {
  const m = new Map<string, Record<FindingStatus, number>>();
  for (const f of findings) {
    const c = m.get(key(f)) ?? { new: 0, known: 0, expected: 0 };
    c[findingStatus(f)]++;
    m.set(key(f), c);
  }
  return [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([label, c]) => ({ label, segments: STATUSES.filter((s) => c[s] > 0).map((s) => ({ value: c[s], colour: STATUS_COLOUR[s], name: STATUS_LABEL[s] })) }));
}

const plain = (label: string, value: number, colour = '#2563eb'): Bar => ({ label, segments: [{ value, colour }] });

function legend(counts: Readonly<Record<FindingStatus, number>>): string {
  const what: Readonly<Record<FindingStatus, string>> = {
    new: 'at a revision declared correct and not a known bug: a model error, an oracle error or a kernel bug to decide by reading the kernel (the campaign exits 1)',
    known: 'recognised as a known bug (its fix makes it go away)',
    expected: 'at a revision declared known-bad (msi-fuzz list), not a known bug: what that revision is broken for',
  };
  return `<ul id="legend">${STATUSES.map((s) => `<li class="${s}"><span class="swatch" style="background:${STATUS_COLOUR[s]}"></span><b>${STATUS_LABEL[s]}</b> (<span class="count">${txt(counts[s])}</span>): ${txt(what[s])}</li>`).join('')}</ul>`;
}

export function renderReport(r: ReportInput): string {
  const p = r.progress;
  const counts: Record<FindingStatus, number> = { new: 0, known: 0, expected: 0 };
  for (const f of r.findings) counts[findingStatus(f)]++;
  const timeline = p.timeline ?? [];
  const rate = timeline.slice(1).map((s, i) => {
    const prev = timeline[i] as (typeof timeline)[number];
    const dt = (finite(s.t) - finite(prev.t)) / 1000;
    return { x: finite(s.t) / 1000, y: dt > 0 ? (finite(s.commands) - finite(prev.commands)) / dt : 0 };
  });
  const cov = timeline.map((s) => ({ x: finite(s.t) / 1000, y: finite(s.states) }));
  const commands = Object.entries(p.coverage)
    .filter(([k]) => k.startsWith('cmd:'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => plain(k.slice(4), finite(v)));
  const states = STATES.map((s) => ({ label: s, value: finite(p.coverage[`state:${s}`]) }));
  const unreached = states.filter((s) => s.value === 0).map((s) => s.label);
  // Fault sites and pools: what fired where, and what no run of the campaign reached
  const sites = Object.entries(p.coverage)
    .filter(([k]) => (k.startsWith('site:') && !k.includes('#')) || (k.startsWith('pool:') && !k.includes('@')))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => ({ label: k.startsWith('pool:') ? `exhaust(${k.slice(5)})` : k.slice(5), value: finite(v) }));
  const sitesUnreached = sites.filter((s) => s.value === 0).map((s) => s.label);
  const findingRows = r.findings
    .map((f) => {
      const status = findingStatus(f);
      return `<tr class="${status}"><td>${status === 'known' ? `known: ${txt(f.known)}` : STATUS_LABEL[status]}</td><td>${txt(f.invariant)}</td><td>${txt(f.platform)}@${txt(f.revision)}${f.revisionCorrect ? '' : ' <span class="muted">(revision known bad)</span>'}</td><td>${txt(f.lastKind)}</td><td>${txt(f.length)}</td><td>${txt(f.hits)}</td></tr>
<tr><td colspan="6"><details><summary>repro</summary><pre>${txt(f.repro)}</pre><code>${txt(f.reproduce)}</code></details></td></tr>`;
    })
    .join('\n');
  const configRows = r.configurations
    .map((c) => {
      const s = p.perConfig[c] ?? { units: 0, runs: 0, commands: 0, findings: 0 };
      return `<tr><td>${txt(c)}</td><td>${txt(s.units)}</td><td>${txt(s.runs)}</td><td>${txt(s.commands)}</td><td>${txt(s.findings)}</td></tr>`;
    })
    .join('\n');
  const open = Object.entries(p.openIssues);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${txt(r.title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;max-width:1200px;color:#111}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
.grid{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0;border:1px solid #ddd;border-radius:6px;padding:6px}
.title{font-weight:600;font-size:13px}.tick{font-size:11px;fill:#333}.axis{font-size:12px;fill:#111}.muted{color:#777;fill:#777}
line.grid{stroke:#eee}
table{border-collapse:collapse}td,th{border-bottom:1px solid #eee;padding:3px 8px;text-align:left;vertical-align:top}
tr.new td:first-child{color:${STATUS_COLOUR.new};font-weight:600}tr.known td:first-child{color:${STATUS_COLOUR.known}}tr.expected td:first-child{color:${STATUS_COLOUR.expected}}
pre{background:#f6f6f6;padding:8px;overflow:auto}
#legend{list-style:none;padding:0}#legend li{margin:2px 0}.swatch{display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:middle;border-radius:2px}
.stats span{display:inline-block;margin-right:18px}
</style></head><body>
<h1>${txt(r.title)}</h1>
<p class="stats"><span>${txt(r.configurations.length)} configuration(s)</span><span>${txt(p.done.length)} units</span><span>${txt(p.runs)} runs</span><span>${txt(p.commands)} commands</span><span id="new-findings">${txt(counts.new)} new finding(s)</span><span id="known-findings">${txt(counts.known)} known</span><span id="expected-findings">${txt(counts.expected)} expected</span><span class="muted">generated ${txt(r.generated)}</span></p>
${open.length > 0 ? `<p>Known open issues hit (not counted): ${open.map(([k, v]) => `${txt(k)} × ${txt(v)}`).join(', ')}</p>` : ''}
<h2>Over time</h2>
<div class="grid">${linePlot('commands per second', rate, 'campaign time (s)', 'commands per second')}${linePlot(`coverage: states reached (of ${STATES.length})`, cov, 'campaign time (s)', 'states reached')}</div>
<h2>Findings</h2>
${legend(counts)}
<div class="grid">${barChart('findings by platform', findingBars(r.findings, (f) => f.platform), 'findings (signatures)')}${barChart('findings by invariant', findingBars(r.findings, (f) => f.invariant), 'findings (signatures)')}</div>
<table id="findings"><thead><tr><th>status</th><th>invariant</th><th>configuration</th><th>last command</th><th>length</th><th>hits</th></tr></thead><tbody>
${findingRows || '<tr><td colspan="6">no violation</td></tr>'}
</tbody></table>
<h2>Coverage</h2>
<p id="unreached">${unreached.length === 0 ? 'every state of the list was reached' : `not reached: ${unreached.map(txt).join(', ')}`}</p>
<div class="grid">${barChart('states reached (steps)', states.map((s) => plain(s.label, s.value, s.value === 0 ? '#dc2626' : '#2563eb')), 'steps in that state')}${barChart('commands executed', commands, 'commands executed')}</div>
<p id="unreached-sites">${sites.length === 0 ? 'no fault site could be armed' : sitesUnreached.length === 0 ? `every one of the ${sites.length} fault sites and pools fired` : `fault sites and pools that never fired: ${sitesUnreached.map(txt).join(', ')}`}</p>
${sites.length > 0 ? `<div class="grid">${barChart('faults fired, by site', sites.map((x) => plain(x.label, x.value, x.value === 0 ? '#dc2626' : '#2563eb')), 'faults fired')}</div>` : ''}
<h2>Configurations</h2>
<table id="configurations"><thead><tr><th>configuration</th><th>seeds</th><th>runs</th><th>commands</th><th>findings</th></tr></thead><tbody>
${configRows}
</tbody></table>
</body></html>
`;
}
