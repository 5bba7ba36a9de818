// The release record (/releases/:idOrNumber): the record, its current step on the diagram, open tasks,
// incidents, files, reports, CMDB items changed and the audit trail.
import { api, bi, clear, describeError, el, formatTime, renderHeader, requireSignIn } from './api.js';
import { InstanceDiagram } from './instance-diagram.js';
import {
  empty,
  releaseFacts,
  renderCmdb,
  renderFiles,
  renderHistory,
  renderReports,
  renderTimeline,
  table,
} from './release-record.js';

const POLL_MS = 5000;

if (requireSignIn()) {
  renderHeader('releases');
  main().catch((err) => setStatus(`failed: ${err instanceof Error ? err.message : String(err)}`, 'error'));
}

function setStatus(text, kind = 'info') {
  const status = document.getElementById('status');
  status.className = `status ${kind}`;
  status.textContent = text;
}

async function main() {
  const idOrNumber = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] ?? '');
  const diagram = new InstanceDiagram('#canvas');
  window.releaseFlowViewer = diagram.viewer;
  let timer = null;
  let once = false;
  let shownProgress = null;
  let manual = false;

  async function refresh() {
    const release = await api(`/api/releases/${encodeURIComponent(idOrNumber)}`);
    if (!release.ok) return setStatus(describeError(release), 'error');
    renderRelease(release.body);
    if (!once) {
      once = true;
      renderReports(document.getElementById('reports'), release.body.id);
    }
    // The timeline is read, not watched: refreshed only when the release moved on (or on Refresh).
    const progress = `${release.body.status} ${(release.body.currentSteps ?? []).map((s) => s.elementId)}`;
    if (progress !== shownProgress || manual) {
      shownProgress = progress;
      await renderTimeline(document.getElementById('timeline'), release.body.id);
    }
    await Promise.all([
      renderFiles(document.getElementById('files'), release.body.id),
      renderCmdb(document.getElementById('cmdb'), release.body.id),
    ]);
    if (!release.body.instanceId) return setStatus('this release has no process instance', 'warning');

    const instance = await api(`/api/process-instances/${release.body.instanceId}`);
    if (!instance.ok) return setStatus(describeError(instance), 'error');
    const view = instance.body;
    const failed = await diagram.show(view);
    if (failed) return setStatus(failed, 'error');
    renderSide(view);
    document.body.dataset.instanceStatus = view.status;
    setStatus(`updated ${new Date().toLocaleTimeString()}`, 'ok');
  }

  function renderRelease(release) {
    const box = clear(document.getElementById('release'));
    box.append(el('h1', {}, `${release.number} ${release.title ?? ''}`), releaseFacts(release));
    if (release.processKey) {
      box.append(
        el(
          'p',
          {},
          el(
            'a',
            {
              href: `/modeler?key=${encodeURIComponent(release.processKey)}&version=${release.processVersion}`,
            },
            bi('在流程设计中打开', 'open in the modeler'),
          ),
        ),
      );
    }
    document.title = `${release.number} · 发布 Release`;
  }

  function renderSide(view) {
    const tasks = clear(document.getElementById('open-tasks'));
    tasks.append(
      view.openTasks.length
        ? table(
            [bi('任务', 'task'), bi('候选组', 'groups'), bi('处理人', 'assignee'), bi('期限', 'due')],
            view.openTasks.map((t) => [
              el(
                'a',
                { class: 'task-name', href: `/tasks?task=${t.id}`, dataset: { elementId: t.elementId } },
                t.name ?? t.elementId,
              ),
              (t.candidateGroups ?? []).join(', '),
              t.assignee ?? '—',
              formatTime(t.dueAt),
            ]),
          )
        : empty('没有待办', 'no open tasks'),
    );

    const active = clear(document.getElementById('active-activities'));
    active.append(
      view.activeActivities.length
        ? table(
            [bi('步骤', 'step'), bi('类型', 'kind'), bi('开始', 'since')],
            view.activeActivities.map((a) => [
              a.name ?? a.elementId,
              a.jobType ? `${a.kind} (${a.jobType})` : a.kind,
              formatTime(a.since),
            ]),
          )
        : el(
            'p',
            { class: 'empty' },
            view.status === 'running' ? bi('没有进行中的步骤', 'nothing active') : `instance ${view.status}`,
          ),
    );

    // Its own open incidents, then those of the instances its call activities started (and theirs): each of those
    // names the child instance and the call activity it happened under.
    const incidents = clear(document.getElementById('incidents'));
    const open = view.incidents.filter((i) => i.status === 'open');
    const children = view.childIncidents ?? [];
    incidents.append(
      open.length || children.length
        ? table(
            [bi('元素', 'element'), bi('错误', 'error'), bi('开始', 'since'), bi('子流程', 'child instance')],
            [
              ...open.map((i) => [i.elementId, i.error ?? i.message ?? '', formatTime(i.createdAt), '—']),
              ...children.map((i) => [
                i.elementId,
                i.error ?? i.message ?? '',
                formatTime(i.createdAt),
                el(
                  'span',
                  { class: 'child-incident', dataset: { childInstanceId: i.instanceId } },
                  el('code', { title: i.instanceId }, String(i.instanceId).slice(0, 8)),
                  ' ',
                  bi('调用活动', 'call activity'),
                  ` ${i.callElementId ?? '—'}`,
                ),
              ]),
            ],
          )
        : empty('没有未解决的故障', 'no open incidents'),
    );

    const variables = clear(document.getElementById('variables'));
    variables.append(el('pre', {}, JSON.stringify(view.variables ?? {}, null, 2)));
    renderHistory(document.getElementById('history'), view.history);
  }

  document.getElementById('refresh').addEventListener('click', async () => {
    manual = true;
    try {
      await refresh();
    } finally {
      manual = false;
    }
  });
  const auto = document.getElementById('auto-refresh');
  const schedule = () => {
    clearInterval(timer);
    timer = auto.checked ? setInterval(() => refresh(), POLL_MS) : null;
  };
  auto.addEventListener('change', schedule);
  await refresh();
  schedule();
}
