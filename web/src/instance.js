import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import zeebeModdle from 'zeebe-bpmn-moddle/resources/zeebe.json';
import { api, clear, describeError, el, formatTime, renderHeader, requireSignIn } from './api.js';
import { DiagramMarkers, showReadable } from './diagram-markers.js';

const POLL_MS = 5000;

if (requireSignIn()) {
  renderHeader('release');
  main().catch((err) => setStatus(`failed: ${err instanceof Error ? err.message : String(err)}`, 'error'));
}

function setStatus(text, kind = 'info') {
  const status = document.getElementById('status');
  status.className = `status ${kind}`;
  status.textContent = text;
}

async function main() {
  const idOrNumber = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] ?? '');
  const viewer = new NavigatedViewer({
    container: '#canvas',
    moddleExtensions: { zeebe: zeebeModdle },
    textRenderer: { defaultStyle: { fontFamily: '"Noto Sans CJK SC", "Noto Sans", Arial, sans-serif' } },
  });
  window.releaseFlowViewer = viewer;
  const markers = new DiagramMarkers(viewer);
  let shownDefinition = null;
  let timer = null;

  async function refresh() {
    const release = await api(`/api/releases/${encodeURIComponent(idOrNumber)}`);
    if (!release.ok) return setStatus(describeError(release), 'error');
    renderRelease(release.body);
    if (!release.body.instanceId) return setStatus('this release has no process instance', 'warning');

    const instance = await api(`/api/process-instances/${release.body.instanceId}`);
    if (!instance.ok) return setStatus(describeError(instance), 'error');
    const view = instance.body;

    const definition = `${view.processKey}@${view.version}`;
    if (definition !== shownDefinition) {
      const xml = await api(
        `/api/process-definitions/${encodeURIComponent(view.processKey)}/versions/${view.version}/xml`,
      );
      if (!xml.ok) return setStatus(describeError(xml), 'error');
      await viewer.importXML(xml.body);
      const registry = viewer.get('elementRegistry');
      const focus = view.activeActivities.map((a) => registry.get(a.elementId)).find(Boolean) ?? null;
      showReadable(viewer.get('canvas'), { focus });
      shownDefinition = definition;
    }
    mark(view);
    renderSide(view);
    document.body.dataset.instanceStatus = view.status;
    setStatus(`updated ${new Date().toLocaleTimeString()}`, 'ok');
  }

  /** As Camunda Operate draws it: done in green, waiting in blue with a token count, incidents in red. */
  function mark(view) {
    markers.clear();
    for (const id of view.completedActivities) markers.add(id, 'rf-completed');
    for (const id of view.takenFlows) markers.add(id, 'rf-taken');
    const active = new Map();
    for (const activity of view.activeActivities) {
      active.set(activity.elementId, (active.get(activity.elementId) ?? 0) + 1);
    }
    const incidents = new Map();
    for (const incident of view.incidents.filter((i) => i.status === 'open')) {
      incidents.set(incident.elementId, incident);
    }
    for (const [id, count] of active) {
      if (incidents.has(id)) continue;
      markers.add(id, 'rf-active');
      markers.overlay(id, el('span', { class: 'rf-token', title: 'active' }, String(count)), {
        bottom: 10,
        left: -8,
      });
    }
    for (const [id, incident] of incidents) {
      markers.add(id, 'rf-incident');
      markers.overlay(
        id,
        el('span', { class: 'rf-incident-badge', title: incident.error ?? 'incident' }, '⚠'),
        {
          bottom: 10,
          left: -8,
        },
      );
    }
  }

  function renderRelease(release) {
    const box = clear(document.getElementById('release'));
    box.append(
      el('h1', {}, `${release.number} ${release.title ?? ''}`),
      el(
        'dl',
        { class: 'facts' },
        el('dt', {}, 'status'),
        el('dd', { id: 'release-status' }, release.status),
        el('dt', {}, 'process'),
        el(
          'dd',
          {},
          release.processKey
            ? el(
                'a',
                {
                  href: `/modeler?key=${encodeURIComponent(release.processKey)}&version=${release.processVersion}`,
                },
                `${release.processKey} version ${release.processVersion}`,
              )
            : '—',
        ),
        el('dt', {}, 'filed'),
        el('dd', {}, `${formatTime(release.createdAt)} ${release.createdBy ?? ''}`),
      ),
    );
    document.title = `${release.number} · 发布 Release`;
  }

  function table(headers, rows) {
    return el(
      'table',
      {},
      el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))),
      el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((c) => el('td', {}, c))))),
    );
  }

  function renderSide(view) {
    const tasks = clear(document.getElementById('open-tasks'));
    tasks.append(
      view.openTasks.length
        ? table(
            ['task', 'groups', 'assignee', 'due'],
            view.openTasks.map((t) => [
              el('span', { class: 'task-name', dataset: { elementId: t.elementId } }, t.name ?? t.elementId),
              (t.candidateGroups ?? []).join(', '),
              t.assignee ?? '—',
              formatTime(t.dueAt),
            ]),
          )
        : el('p', { class: 'empty' }, 'no open tasks'),
    );

    const active = clear(document.getElementById('active-activities'));
    active.append(
      view.activeActivities.length
        ? table(
            ['step', 'kind', 'since'],
            view.activeActivities.map((a) => [
              a.name ?? a.elementId,
              a.jobType ? `${a.kind} (${a.jobType})` : a.kind,
              formatTime(a.since),
            ]),
          )
        : el(
            'p',
            { class: 'empty' },
            view.status === 'running' ? 'nothing active' : `instance ${view.status}`,
          ),
    );

    const incidents = clear(document.getElementById('incidents'));
    const open = view.incidents.filter((i) => i.status === 'open');
    incidents.append(
      open.length
        ? table(
            ['element', 'error', 'since'],
            open.map((i) => [i.elementId, i.error ?? i.message ?? '', formatTime(i.createdAt)]),
          )
        : el('p', { class: 'empty' }, 'no open incidents'),
    );

    const variables = clear(document.getElementById('variables'));
    variables.append(el('pre', {}, JSON.stringify(view.variables ?? {}, null, 2)));

    const history = clear(document.getElementById('history'));
    history.append(
      table(
        ['time', 'event', 'step', 'by'],
        [...view.history]
          .reverse()
          .map((h) => [
            formatTime(h.createdAt ?? h.at),
            h.type,
            h.elementName ?? h.elementId ?? '',
            h.actor ?? '',
          ]),
      ),
    );
  }

  document.getElementById('refresh').addEventListener('click', () => refresh());
  const auto = document.getElementById('auto-refresh');
  const schedule = () => {
    clearInterval(timer);
    timer = auto.checked ? setInterval(() => refresh(), POLL_MS) : null;
  };
  auto.addEventListener('change', schedule);
  await refresh();
  schedule();
}
