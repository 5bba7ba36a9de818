// Incidents (/incidents): the open ones, with retry (operators); a called instance's names its caller and call activity.
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

if (requireSignIn()) {
  renderHeader('incidents');
  document.getElementById('refresh').addEventListener('click', () => load());
  document.getElementById('state').addEventListener('change', () => load());
  load();
}

function setStatus(text, kind = 'info') {
  const status = document.getElementById('status');
  status.className = `status ${kind}`;
  status.textContent = text;
}

async function load() {
  const state = document.getElementById('state').value;
  const response = await api(`/api/incidents?state=${encodeURIComponent(state)}`);
  const box = clear(document.getElementById('incident-list'));
  if (!response.ok) return setStatus(describeError(response), 'error');
  const items = Array.isArray(response.body) ? response.body : (response.body.items ?? []);
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
            `${i.elementId} (${i.jobType})`,
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
}
