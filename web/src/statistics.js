// The procedure's measures over time (/statistics): success, rollback and on-time rates and lead time as
// plain SVG charts, with what each measure counts, and the same figures as CSV.
import { api, bi, clear, describeError, el, renderHeader, requireSignIn, token } from './api.js';
import { download, table } from './release-record.js';

const SVG = 'http://www.w3.org/2000/svg';

/** The measures drawn; what each counts comes from the API (`definitions`), so page and CSV agree. */
const MEASURES = [
  { key: 'successRate', zh: '发布成功率', en: 'Success rate', rate: true },
  { key: 'rollbackRate', zh: '回退率', en: 'Rollback rate', rate: true },
  { key: 'onTimeRate', zh: '按时完成率', en: 'On-time rate', rate: true },
  { key: 'meanLeadTimeHours', zh: '平均周期 (小时)', en: 'Mean lead time (hours)', rate: false },
  { key: 'emergencyRatio', zh: '紧急发布占比', en: 'Emergency ratio', rate: true },
  { key: 'firstPassTestRate', zh: '测试一次通过率', en: 'First-pass test rate', rate: true },
];

if (requireSignIn()) {
  renderHeader('statistics');
  const form = document.getElementById('statistics-filters');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  form.addEventListener('change', () => load());
  document.getElementById('csv').addEventListener('click', () => downloadCsv());
  load();
}

function setStatus(text, kind = 'info') {
  const status = document.getElementById('status');
  status.className = `status ${kind}`;
  status.textContent = text;
}

function query() {
  const data = new FormData(document.getElementById('statistics-filters'));
  const query = new URLSearchParams();
  for (const [name, value] of data) {
    if (!String(value).trim()) continue;
    query.set(name, name === 'from' || name === 'to' ? new Date(String(value)).toISOString() : String(value));
  }
  return query;
}

async function load() {
  const response = await api(`/api/statistics/releases?${query()}`);
  const charts = clear(document.getElementById('charts'));
  const open = clear(document.getElementById('open-by-step'));
  if (!response.ok) return setStatus(describeError(response), 'error');
  const { periods, openByStep, definitions } = response.body;
  for (const measure of MEASURES) {
    const definition = definitions?.[measure.key] ?? '';
    charts.append(
      el(
        'figure',
        { class: 'chart', dataset: { measure: measure.key } },
        el('figcaption', {}, el('strong', {}, bi(measure.zh, measure.en))),
        chart(periods, measure),
        el(
          'p',
          { class: 'definition' },
          typeof definition === 'string' ? definition : JSON.stringify(definition),
        ),
      ),
    );
  }
  if (definitions?.ended) {
    charts.append(
      el('p', { class: 'definition ended' }, bi('结束的发布', 'Ended releases'), ': ', definitions.ended),
    );
  }
  open.append(
    definitions?.openByStep ? el('p', { class: 'definition' }, definitions.openByStep) : '',
    openByStep.length
      ? table(
          [
            bi('步骤', 'step'),
            bi('发布数', 'releases'),
            bi('平均停留 (小时)', 'average age (h)'),
            bi('最长 (小时)', 'oldest (h)'),
          ],
          openByStep.map((s) => [
            s.name ?? s.step,
            String(s.releases),
            String(s.averageAgeHours),
            String(s.oldestAgeHours),
          ]),
        )
      : el('p', { class: 'empty' }, bi('没有进行中的发布', 'no releases in progress')),
  );
  setStatus(`${periods.length} 个周期 ${periods.length === 1 ? 'period' : 'periods'}`, 'ok');
}

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/** A line over the periods, one point per period that has a value; rates on a 0–100 % axis. */
function chart(periods, measure) {
  const width = 520;
  const height = 200;
  const left = 44;
  const bottom = 28;
  const top = 12;
  const right = 12;
  const values = periods.map((p) => p[measure.key]);
  const known = values.filter((v) => v !== null && v !== undefined);
  const max = measure.rate ? 1 : Math.max(1, ...known) * 1.1;
  const x = (i) =>
    left +
    (periods.length <= 1 ? (width - left - right) / 2 : (i * (width - left - right)) / (periods.length - 1));
  const y = (v) => top + (1 - v / max) * (height - top - bottom);
  const format = (v) => (measure.rate ? `${Math.round(v * 100)}%` : String(Math.round(v * 10) / 10));
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': `${measure.en}: ${periods.map((p, i) => `${p.period} ${values[i] === null ? '—' : format(values[i])}`).join(', ')}`,
  });
  for (const tick of [0, 0.5, 1]) {
    root.append(
      svg('line', { x1: left, x2: width - right, y1: y(tick * max), y2: y(tick * max), class: 'grid' }),
      svg(
        'text',
        { x: left - 6, y: y(tick * max) + 4, 'text-anchor': 'end', class: 'axis' },
        format(tick * max),
      ),
    );
  }
  periods.forEach((p, i) => {
    if (periods.length <= 12 || i % Math.ceil(periods.length / 12) === 0) {
      root.append(svg('text', { x: x(i), y: height - 8, 'text-anchor': 'middle', class: 'axis' }, p.period));
    }
  });
  const points = periods.map((p, i) => [i, values[i]]).filter(([, v]) => v !== null && v !== undefined);
  if (points.length > 1) {
    root.append(
      svg('polyline', { points: points.map(([i, v]) => `${x(i)},${y(v)}`).join(' '), class: 'line' }),
    );
  }
  for (const [i, v] of points) {
    const dot = svg('circle', { cx: x(i), cy: y(v), r: 4, class: 'point' });
    dot.append(svg('title', {}, `${periods[i].period}: ${format(v)}`));
    root.append(dot);
  }
  if (!points.length) {
    root.append(
      svg('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'axis' }, '无数据 no data'),
    );
  }
  return root;
}

async function downloadCsv() {
  const response = await fetch(`/api/statistics/releases?${query()}`, {
    headers: { accept: 'text/csv', authorization: `Bearer ${token() ?? ''}` },
  });
  if (!response.ok) return setStatus(`${response.status}: ${(await response.text()).slice(0, 200)}`, 'error');
  download(await response.blob(), 'release-statistics.csv');
}
