// Incidents (/incidents): open or resolved, paged, newest first, with retry (operators); a called instance's names
// its caller and call activity.
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
import { table } from './release-record.js';

const PAGE_SIZE = 50;
let page = 1;

if (requireSignIn()) {
  renderHeader('incidents');
  document.getElementById('refresh').addEventListener('click', () => load());
  document.getElementById('state').addEventListener('change', () => {
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
  load();
}

function setStatus(text, kind = 'info') {
  const status = document.getElementById('status');
  status.className = `status ${kind}`;
  status.textContent = text;
}

async function load() {
  const state = document.getElementById('state').value;
  const query = new URLSearchParams({ state, page: String(page), pageSize: String(PAGE_SIZE) });
  const response = await api(`/api/incidents?${query}`);
  const box = clear(document.getElementById('incident-list'));
  if (!response.ok) return setStatus(describeError(response), 'error');
  const { items, total } = response.body;
  // The last incident of a later page was retried or resolved: show the page before.
  if (items.length === 0 && page > 1) {
    page = Math.max(1, Math.ceil(total / PAGE_SIZE));
    return load();
  }
  const operator = hasRole('admin');
  box.append(
    items.length
      ? table(
          [
            bi('流程实例', 'instance'),
            bi('调用方', 'called by'),
            bi('元素', 'element'),
            bi('错误', 'error'),
            bi('开始', 'since'),
            bi('状态', 'state'),
            '',
          ],
          items.map((i) => [
            el('code', { title: i.instanceId }, String(i.instanceId).slice(0, 8)),
            // A called instance's incident is shown with the instance that called it and its call activity.
            i.parentInstanceId
              ? el(
                  'span',
                  { class: 'called-by', dataset: { parentInstanceId: i.parentInstanceId } },
                  el('code', { title: i.parentInstanceId }, String(i.parentInstanceId).slice(0, 8)),
                  ' ',
                  bi('调用活动', 'call activity'),
                  ` ${i.callElementId ?? '—'}`,
                )
              : '—',
            // A gateway's incident has no job: the element alone.
            i.jobType ? `${i.elementId} (${i.jobType})` : i.elementId,
            el('span', { class: 'incident-error' }, i.error ?? ''),
            formatTime(i.createdAt),
            i.status,
            operator && i.status === 'open'
              ? el(
                  'button',
                  {
                    type: 'button',
                    class: 'retry',
                    dataset: { incidentId: i.id },
                    onclick: async (event) => {
                      event.target.closest('button').disabled = true;
                      const retried = await api(`/api/incidents/${i.id}/retry`, { method: 'POST', body: {} });
                      if (!retried.ok) setStatus(describeError(retried), 'error');
                      else setStatus(`retried ${i.elementId}`, 'ok');
                      await load();
                    },
                  },
                  bi('重试', 'Retry'),
                )
              : '',
          ]),
          { class: 'incidents' },
        )
      : el('p', { class: 'empty' }, bi('没有故障', 'no incidents')),
  );
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  document.getElementById('page-info').textContent = `${page} / ${pages} · ${total}`;
  document.getElementById('previous').disabled = page <= 1;
  document.getElementById('next').disabled = page >= pages;
}
