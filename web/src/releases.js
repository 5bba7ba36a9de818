// The release records (/releases): search and filter, paged; each opens its record.
import {
  api,
  bi,
  clear,
  describeError,
  el,
  formatTime,
  hasRole,
  renderHeader,
  requireSignIn,
} from './api.js';
import { showFilingForm } from './file-release.js';
import { table } from './release-record.js';

const PAGE_SIZE = 25;
let page = 1;

if (requireSignIn()) {
  renderHeader('releases');
  const form = document.getElementById('release-filters');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    page = 1;
    load();
  });
  form.addEventListener('change', () => {
    page = 1;
    load();
  });
  document.getElementById('previous').addEventListener('click', () => {
    page = Math.max(1, page - 1);
    load();
  });
  document.getElementById('next').addEventListener('click', () => {
    page += 1;
    load();
  });
  // Applicants and project managers file release requests here.
  const fileButton = document.getElementById('new-release');
  fileButton.hidden = !hasRole('applicant', 'project-manager');
  fileButton.addEventListener('click', async () => {
    fileButton.hidden = true;
    await showFilingForm(document.getElementById('file-release'));
  });
  load();
}

function setStatus(text, kind = 'info') {
  const status = document.getElementById('status');
  status.className = `status ${kind}`;
  status.textContent = text;
}

async function load() {
  const data = new FormData(document.getElementById('release-filters'));
  const query = new URLSearchParams({ page: String(page), pageSize: String(PAGE_SIZE) });
  for (const [name, value] of data) {
    if (!String(value).trim()) continue;
    query.set(
      name,
      name === 'from' || name === 'to' ? new Date(String(value)).toISOString() : String(value).trim(),
    );
  }
  const response = await api(`/api/releases?${query}`);
  const box = clear(document.getElementById('release-list'));
  if (!response.ok) return setStatus(describeError(response), 'error');
  const { items, total } = response.body;
  box.append(
    items.length
      ? table(
          [
            bi('编号', 'number'),
            bi('标题', 'title'),
            bi('类别', 'class'),
            bi('来源', 'source'),
            bi('状态', 'status'),
            bi('版本号', 'version'),
            bi('申请时间', 'filed'),
            bi('关闭时间', 'closed'),
          ],
          items.map((r) => [
            el('a', { href: `/releases/${encodeURIComponent(r.number)}`, class: 'release-link' }, r.number),
            r.title,
            r.releaseClass,
            r.source,
            el('span', { class: `release-status ${r.status}` }, r.status),
            r.versionNumber ?? '',
            formatTime(r.createdAt),
            formatTime(r.closedAt),
          ]),
          { class: 'releases' },
        )
      : el('p', { class: 'empty' }, bi('没有符合条件的发布', 'no matching releases')),
  );
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  document.getElementById('page-info').textContent = `${page} / ${pages} · ${total}`;
  document.getElementById('previous').disabled = page <= 1;
  document.getElementById('next').disabled = page >= pages;
  setStatus('');
}
