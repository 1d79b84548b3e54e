// The self-contained HTML report of a campaign: one file, inline CSS and SVG, no script, no
// server. Plots: commands per second and coverage over time (from progress.json's timeline),
// findings by platform and by invariant, command and state coverage; then every finding with
// its repro. Built from the state directory's data only, so `merge` can render one too.
import { STATES } from '../engine/coverage';
import type { Progress, StoredFinding } from '../engine/state-dir';

export interface ReportInput {
  readonly title: string;
  readonly progress: Progress;
  readonly findings: readonly StoredFinding[];
  readonly configurations: readonly string[];
  readonly generated: string;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A line plot of (x, y) points as inline SVG. */
export function linePlot(title: string, points: readonly { x: number; y: number }[], xLabel: string, yLabel: string): string {
  const w = 560;
  const h = 220;
  const pad = { l: 60, r: 16, t: 28, b: 40 };
  const maxX = Math.max(1, ...points.map((p) => p.x));
  const maxY = Math.max(1, ...points.map((p) => p.y));
  const sx = (x: number): number => pad.l + (x / maxX) * (w - pad.l - pad.r);
  const sy = (y: number): number => h - pad.b - (y / maxY) * (h - pad.t - pad.b);
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
  const body =
    points.length === 0
      ? `<text x="${w / 2}" y="${h / 2}" text-anchor="middle" class="muted">no samples</text>`
      : `<path d="${path}" fill="none" stroke="#2563eb" stroke-width="2"/>` + points.map((p) => `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="2.5" fill="#2563eb"><title>${p.x.toFixed(0)}: ${p.y.toFixed(0)}</title></circle>`).join('');
  return `<figure><svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">
<text x="${pad.l}" y="18" class="title">${esc(title)}</text>
<line x1="${pad.l}" y1="${h - pad.b}" x2="${w - pad.r}" y2="${h - pad.b}" stroke="#888"/><line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${h - pad.b}" stroke="#888"/>
<text x="${pad.l - 6}" y="${pad.t + 4}" text-anchor="end" class="tick">${maxY.toFixed(0)}</text><text x="${pad.l - 6}" y="${h - pad.b}" text-anchor="end" class="tick">0</text>
<text x="${w - pad.r}" y="${h - pad.b + 16}" text-anchor="end" class="tick">${maxX.toFixed(0)}</text>
<text x="${(w + pad.l) / 2}" y="${h - 6}" text-anchor="middle" class="tick">${esc(xLabel)}</text>
<text x="14" y="${(h - pad.b + pad.t) / 2}" transform="rotate(-90 14 ${(h - pad.b + pad.t) / 2})" text-anchor="middle" class="tick">${esc(yLabel)}</text>
${body}</svg></figure>`;
}

/** A horizontal bar chart as inline SVG. */
export function barChart(title: string, bars: readonly { label: string; value: number; highlight?: boolean }[]): string {
  const rowH = 18;
  const w = 560;
  const labelW = 250;
  const h = 30 + Math.max(1, bars.length) * rowH + 8;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const rows = bars
    .map((b, i) => {
      const y = 30 + i * rowH;
      const bw = (b.value / max) * (w - labelW - 60);
      return `<text x="${labelW - 6}" y="${y + 12}" text-anchor="end" class="tick">${esc(b.label)}</text><rect x="${labelW}" y="${y + 2}" width="${bw.toFixed(1)}" height="${rowH - 5}" fill="${b.value === 0 ? '#ddd' : b.highlight === true ? '#dc2626' : '#2563eb'}"><title>${esc(b.label)}: ${b.value}</title></rect><text x="${(labelW + bw + 4).toFixed(1)}" y="${y + 12}" class="tick">${b.value}</text>`;
    })
    .join('\n');
  return `<figure><svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}"><text x="4" y="18" class="title">${esc(title)}</text>
${bars.length === 0 ? `<text x="${labelW}" y="44" class="muted">none</text>` : rows}</svg></figure>`;
}

function countBy<T>(xs: readonly T[], key: (x: T) => string): { label: string; value: number }[] {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([label, value]) => ({ label, value }));
}

export function renderReport(r: ReportInput): string {
  const p = r.progress;
  const fresh = r.findings.filter((f) => f.known === null);
  const timeline = p.timeline ?? [];
  const rate = timeline.slice(1).map((s, i) => {
    const prev = timeline[i] as (typeof timeline)[number];
    const dt = (s.t - prev.t) / 1000;
    return { x: s.t / 1000, y: dt > 0 ? (s.commands - prev.commands) / dt : 0 };
  });
  const cov = timeline.map((s) => ({ x: s.t / 1000, y: s.states }));
  const commands = Object.entries(p.coverage)
    .filter(([k]) => k.startsWith('cmd:'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => ({ label: k.slice(4), value: v }));
  const states = STATES.map((s) => ({ label: s, value: p.coverage[`state:${s}`] ?? 0 }));
  const unreached = states.filter((s) => s.value === 0).map((s) => s.label);
  // Fault sites and pools: what fired where, and what no run of the campaign reached
  const sites = Object.entries(p.coverage)
    .filter(([k]) => (k.startsWith('site:') && !k.includes('#')) || (k.startsWith('pool:') && !k.includes('@')))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => ({ label: k.startsWith('pool:') ? `exhaust(${k.slice(5)})` : k.slice(5), value: v, highlight: v === 0 }));
  const sitesUnreached = sites.filter((s) => s.value === 0).map((s) => s.label);
  const findingRows = r.findings
    .map(
      (f) => `<tr class="${f.known === null ? 'new' : 'known'}"><td>${f.known === null ? 'NEW' : `known: ${esc(f.known)}`}</td><td>${esc(f.invariant)}</td><td>${esc(f.platform)}@${esc(f.revision)}${f.revisionCorrect ? '' : ' <span class="muted">(revision known bad)</span>'}</td><td>${esc(f.lastKind)}</td><td>${f.length}</td><td>${f.hits}</td></tr>
<tr><td colspan="6"><details><summary>repro</summary><pre>${esc(f.repro)}</pre><code>${esc(f.reproduce)}</code></details></td></tr>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;max-width:1200px;color:#111}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
.grid{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0;border:1px solid #ddd;border-radius:6px;padding:6px}
.title{font-weight:600;font-size:13px}.tick{font-size:11px;fill:#333}.muted{color:#777;fill:#777}
table{border-collapse:collapse}td,th{border-bottom:1px solid #eee;padding:3px 8px;text-align:left;vertical-align:top}
tr.new td:first-child{color:#dc2626;font-weight:600}pre{background:#f6f6f6;padding:8px;overflow:auto}
.stats span{display:inline-block;margin-right:18px}
</style></head><body>
<h1>${esc(r.title)}</h1>
<p class="stats"><span>${r.configurations.length} configuration(s)</span><span>${p.done.length} units</span><span>${p.runs} runs</span><span>${p.commands} commands</span><span id="new-findings">${fresh.length} new finding(s)</span><span id="known-findings">${r.findings.length - fresh.length} known</span><span class="muted">generated ${esc(r.generated)}</span></p>
${Object.keys(p.openIssues).length > 0 ? `<p>Known open issues hit (not counted): ${Object.entries(p.openIssues).map(([k, v]) => `${esc(k)} × ${v}`).join(', ')}</p>` : ''}
<h2>Over time</h2>
<div class="grid">${linePlot('commands per second', rate, 'seconds', 'cmd/s')}${linePlot(`coverage: states reached (of ${STATES.length})`, cov, 'seconds', 'states')}</div>
<h2>Findings</h2>
<div class="grid">${barChart('findings by platform', countBy(r.findings, (f) => f.platform))}${barChart('findings by invariant', countBy(r.findings, (f) => f.invariant))}</div>
<table id="findings"><thead><tr><th>status</th><th>invariant</th><th>configuration</th><th>last command</th><th>length</th><th>hits</th></tr></thead><tbody>
${findingRows || '<tr><td colspan="6">no violation</td></tr>'}
</tbody></table>
<h2>Coverage</h2>
<p id="unreached">${unreached.length === 0 ? 'every state of the list was reached' : `not reached: ${unreached.map(esc).join(', ')}`}</p>
<div class="grid">${barChart('states reached (steps)', states.map((s) => ({ ...s, highlight: s.value === 0 })))}${barChart('commands executed', commands)}</div>
<p id="unreached-sites">${sites.length === 0 ? 'no fault site could be armed' : sitesUnreached.length === 0 ? `every one of the ${sites.length} fault sites and pools fired` : `fault sites and pools that never fired: ${sitesUnreached.map(esc).join(', ')}`}</p>
${sites.length > 0 ? `<div class="grid">${barChart('faults fired, by site', sites)}</div>` : ''}
<h2>Configurations</h2>
<table id="configurations"><thead><tr><th>configuration</th><th>seeds</th><th>runs</th><th>commands</th><th>findings</th></tr></thead><tbody>
${r.configurations.map((c) => { const s = p.perConfig[c] ?? { units: 0, runs: 0, commands: 0, findings: 0 }; return `<tr><td>${esc(c)}</td><td>${s.units}</td><td>${s.runs}</td><td>${s.commands}</td><td>${s.findings}</td></tr>`; }).join('\n')}
</tbody></table>
</body></html>
`;
}
