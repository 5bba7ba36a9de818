// The parts of a release's record that the record page and the task page both show: the record's facts, its
// files (downloaded with the user's token), its reports, the CMDB items it changed and its audit trail.
import { api, bi, clear, describeError, el, formatTime, hasRole } from './api.js';

export function table(headers, rows, attributes = {}) {
  return el(
    'table',
    attributes,
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((c) => el('td', {}, c))))),
  );
}

export function empty(zh, en) {
  return el('p', { class: 'empty' }, bi(zh, en));
}

/** The facts of a release record. */
export function releaseFacts(release) {
  const fact = (zh, en, value, id) => [el('dt', {}, bi(zh, en)), el('dd', { id }, value ?? '—')];
  return el(
    'dl',
    { class: 'facts' },
    ...fact('状态', 'status', release.status, 'release-status'),
    ...fact('类别', 'class', release.releaseClass),
    ...fact('来源', 'source', release.source),
    ...fact(
      '流程',
      'process',
      release.processKey ? `${release.processKey} version ${release.processVersion}` : null,
    ),
    ...fact('版本号', 'version', release.versionNumber),
    ...fact('计划时间', 'planned', formatTime(release.plannedAt) || null),
    ...fact('安装时间', 'installed', formatTime(release.installedAt) || null),
    ...fact('回退', 'rolled back', release.rolledBack ? '是 yes' : '否 no'),
    ...fact('已升级', 'escalated', formatTime(release.escalatedAt) || null, 'release-escalated'),
    ...fact('申请', 'filed', `${formatTime(release.createdAt)} ${release.createdBy ?? ''}`),
    ...fact('关闭', 'closed', formatTime(release.closedAt) || null),
    ...fact(
      '当前步骤',
      'current step',
      (release.currentSteps ?? []).map((s) => s.name ?? s.elementId).join(', ') || null,
      'current-steps',
    ),
  );
}

/** Save a response body as a file the browser downloads. */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = el('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function downloadArtifact(releaseId, artifact, status) {
  const response = await fetch(`/api/releases/${releaseId}/artifacts/${artifact.id}/content`, {
    headers: { authorization: `Bearer ${sessionStorage.getItem('release-flow.token') ?? ''}` },
  });
  if (!response.ok) {
    status.textContent = `${response.status}: ${(await response.text()).slice(0, 200)}`;
    return;
  }
  download(await response.blob(), artifact.name);
}

/** The release's files (the delivery list in the PSL). */
export async function renderFiles(box, releaseId) {
  const response = await api(`/api/releases/${releaseId}/artifacts`);
  // The list is drawn again whenever the task or record is (after a claim, say): the upload form stays the same
  // node, so files already chosen in it are not lost.
  const kept = box.querySelector('form.upload');
  const form = kept?.dataset.releaseId === releaseId ? kept : undefined;
  clear(box);
  if (!response.ok) return box.append(el('p', { class: 'status error' }, describeError(response)));
  // The build and install teams put the release's package files into the product library from here.
  if (hasRole('project-team', 'network-engineer', 'admin')) box.append(form ?? uploadForm(box, releaseId));
  const items = Array.isArray(response.body) ? response.body : (response.body.items ?? []);
  if (!items.length) return box.append(empty('没有文件', 'no files'));
  const status = el('p', { class: 'status error', role: 'status' });
  box.append(
    table(
      [bi('文件', 'file'), bi('版本', 'version'), bi('大小', 'size'), 'SHA-256', bi('状态', 'status')],
      items.map((a) => [
        el(
          'button',
          { type: 'button', class: 'link', onclick: () => downloadArtifact(releaseId, a, status) },
          a.name,
        ),
        a.version,
        String(a.size),
        el('code', { title: a.sha256 }, String(a.sha256).slice(0, 12)),
        a.status,
      ]),
      { class: 'files' },
    ),
    status,
  );
}

/** Package files chosen here are uploaded to the release's product library; the list is read again after. */
function uploadForm(box, releaseId) {
  const input = el('input', { type: 'file', multiple: true, id: 'upload-files', name: 'file' });
  const status = el('p', { class: 'status error', role: 'status', id: 'upload-status' });
  const form = el(
    'form',
    { class: 'upload', id: 'upload-form', dataset: { releaseId } },
    el('label', { for: 'upload-files' }, bi('上传发布包文件', 'upload package files')),
    ' ',
    input,
    ' ',
    el('button', { type: 'submit', id: 'upload' }, bi('上传', 'Upload')),
    status,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!input.files?.length) {
      status.textContent = '请选择文件 (choose files first)';
      return;
    }
    const data = new FormData();
    for (const file of input.files) data.append('file', file, file.name);
    status.textContent = '';
    const response = await api(`/api/releases/${releaseId}/artifacts`, { method: 'POST', body: data });
    if (!response.ok) {
      status.textContent = describeError(response);
      return;
    }
    form.reset();
    await renderFiles(box, releaseId);
  });
  return form;
}

const REPORTS = [
  ['release-report', '发布报告', 'release report'],
  ['delivery-list', '交付清单', 'delivery list'],
  ['assessment-report', '评估报告', 'assessment report'],
];

/** The generated reports, each opened in place (as Markdown) on request. */
export function renderReports(box, releaseId) {
  const shown = el('pre', { class: 'report', hidden: true, tabindex: '0' });
  const open = async (kind) => {
    const response = await api(`/api/releases/${releaseId}/reports/${kind}?format=md`);
    shown.hidden = false;
    shown.textContent = response.ok ? String(response.body) : describeError(response);
  };
  clear(box).append(
    el(
      'div',
      { class: 'report-buttons' },
      ...REPORTS.map(([kind, zh, en]) =>
        el('button', { type: 'button', dataset: { report: kind }, onclick: () => open(kind) }, bi(zh, en)),
      ),
    ),
    shown,
  );
}

/** The CMDB items this release changed. */
export async function renderCmdb(box, releaseId) {
  const response = await api(`/api/cmdb/items?releaseId=${encodeURIComponent(releaseId)}`);
  clear(box);
  if (!response.ok) return box.append(el('p', { class: 'status error' }, describeError(response)));
  const items = response.body.items ?? [];
  if (!items.length) return box.append(empty('没有变更的配置项', 'no CMDB items changed'));
  box.append(
    table(
      [bi('配置项', 'item'), bi('类型', 'type'), bi('当前版本', 'current version')],
      items.map((i) => [i.name, i.type, i.currentVersion ?? '—']),
    ),
  );
}

/** The audit trail, newest first: who did which step when. */
export function renderHistory(box, history) {
  clear(box).append(
    history.length
      ? table(
          [bi('时间', 'time'), bi('事件', 'event'), bi('步骤', 'step'), bi('人员', 'by')],
          [...history]
            .reverse()
            .map((h) => [
              formatTime(h.createdAt ?? h.at),
              h.type,
              h.elementName ?? h.elementId ?? '',
              h.actor ?? '',
            ]),
          { class: 'history-table' },
        )
      : empty('没有记录', 'no entries'),
  );
}

/**
 * The timeline a person reads (who did which step when, what they decided and wrote, what automatic steps
 * did, incidents and their resolution), paged: **More** appends the next page.
 */
export async function renderTimeline(box, releaseId, pageSize = 50) {
  const list = el('ol', { class: 'timeline' });
  const more = el('button', { type: 'button', class: 'more', hidden: true }, bi('更多', 'More'));
  clear(box).append(list, more);
  let page = 0;
  const next = async () => {
    page += 1;
    const response = await api(
      `/api/releases/${encodeURIComponent(releaseId)}/timeline?page=${page}&pageSize=${pageSize}`,
    );
    if (!response.ok) {
      box.append(el('p', { class: 'status error' }, describeError(response)));
      return;
    }
    const { items, total } = response.body;
    if (page === 1 && !items.length) list.append(el('li', { class: 'empty' }, bi('没有记录', 'no entries')));
    for (const entry of items) {
      const values = Object.entries(entry.values ?? {});
      list.append(
        el(
          'li',
          { class: `timeline-entry ${entry.kind}`, dataset: { kind: entry.kind } },
          el('time', { datetime: entry.at }, formatTime(entry.at)),
          ' ',
          entry.step ? el('strong', {}, entry.step.name ?? entry.step.id) : null,
          entry.actor ? el('span', { class: 'actor' }, ` · ${entry.actor}`) : null,
          el('div', { class: 'summary' }, entry.summary),
          entry.decision ? el('div', { class: 'decision' }, entry.decision) : null,
          values.length
            ? el(
                'dl',
                { class: 'values' },
                ...values.flatMap(([name, value]) => [el('dt', {}, name), el('dd', {}, value)]),
              )
            : null,
        ),
      );
    }
    more.hidden = page * pageSize >= total;
  };
  more.addEventListener('click', () => next());
  await next();
}
