// The task list (/tasks): my tasks, my groups' unclaimed tasks, all open ones (coordinators), and what I
// completed; filters, sort and search. A task opens beside the list with its form (form-js), its release's
// record and files, the diagram with its step marked and its audit trail; claim, unclaim, assign, complete.
import {
  api,
  bi,
  clear,
  currentUser,
  describeError,
  el,
  formatTime,
  hasRole,
  renderHeader,
  requireSignIn,
} from './api.js';
import { InstanceDiagram } from './instance-diagram.js';
import { releaseFacts, renderFiles, renderHistory } from './release-record.js';
import { showFieldErrors, TaskForm } from './task-form.js';

const VIEWS = [
  { key: 'mine', zh: '我的任务', en: 'My tasks' },
  { key: 'group', zh: '组内待领取', en: 'My groups, unclaimed' },
  { key: 'all', zh: '全部待办', en: 'All open', roles: ['project-manager', 'admin'] },
  { key: 'done', zh: '我已完成', en: 'Completed by me' },
];

const CLASSES = ['standard', 'emergency', 'major'];
const SORTS = [
  ['createdAt', '创建时间 ↑', 'created ↑'],
  ['-createdAt', '创建时间 ↓', 'created ↓'],
  ['dueAt', '期限 ↑', 'due ↑'],
  ['-dueAt', '期限 ↓', 'due ↓'],
  ['-priority', '优先级 ↓', 'priority ↓'],
  ['priority', '优先级 ↑', 'priority ↑'],
];

const user = currentUser();
const params = new URLSearchParams(location.search);
const state = {
  view: VIEWS.some((v) => v.key === params.get('view')) ? params.get('view') : 'mine',
  taskId: params.get('task'),
  tasks: [],
  /** How many tasks each view holds, as its tab shows. */
  counts: null,
};
let form = null;
let diagram = null;

if (requireSignIn()) {
  renderHeader('tasks');
  main().catch((err) => setStatus(`failed: ${err instanceof Error ? err.message : String(err)}`, 'error'));
}

function setStatus(text, kind = 'info') {
  const status = document.getElementById('status');
  status.className = `status ${kind}`;
  status.textContent = text;
}

/** The view and the open task in the address: a task opened from the list is a new history entry. */
function remember() {
  const next = new URLSearchParams();
  next.set('view', state.view);
  if (state.taskId) next.set('task', state.taskId);
  const opened = state.taskId && new URLSearchParams(location.search).get('task') !== state.taskId;
  if (opened) history.pushState(null, '', `/tasks?${next}`);
  else history.replaceState(null, '', `/tasks?${next}`);
}

// Back and forward move between the tasks opened, without loading the page again.
window.addEventListener('popstate', () => {
  const taskId = new URLSearchParams(location.search).get('task');
  if (taskId && taskId !== state.taskId) openTask(taskId);
});

function inMyGroups(task) {
  return (task.candidateGroups ?? []).some((group) => user.roles.includes(group));
}

async function main() {
  renderViews();
  renderFilters();
  document.getElementById('refresh').addEventListener('click', () => loadList());
  await loadList();
  if (state.taskId) await openTask(state.taskId);
}

function renderViews() {
  const box = clear(document.getElementById('views'));
  for (const view of VIEWS.filter((v) => !v.roles || hasRole(...v.roles))) {
    box.append(
      el(
        'button',
        {
          type: 'button',
          role: 'tab',
          id: `view-${view.key}`,
          'aria-selected': String(state.view === view.key),
          class: state.view === view.key ? 'tab active' : 'tab',
          onclick: () => {
            state.view = view.key;
            remember();
            renderViews();
            loadList();
          },
        },
        bi(view.zh, view.en),
        el('span', { class: 'count', id: `count-${view.key}` }, state.counts?.[view.key] ?? ''),
      ),
    );
  }
}

function select(id, zh, en, options) {
  return el(
    'label',
    { for: id },
    bi(zh, en),
    el(
      'select',
      { id, onchange: () => loadList() },
      el('option', { value: '' }, '— 全部 all —'),
      ...options.map(([value, label]) => el('option', { value }, label)),
    ),
  );
}

function renderFilters() {
  const box = clear(document.getElementById('filters'));
  box.append(
    el(
      'label',
      { for: 'search' },
      bi('搜索', 'Search'),
      el('input', {
        id: 'search',
        type: 'search',
        placeholder: '编号、标题、步骤 number, title, step',
        onchange: () => loadList(),
      }),
    ),
    el(
      'label',
      { for: 'filter-release' },
      bi('发布', 'Release'),
      el('input', {
        id: 'filter-release',
        size: 14,
        placeholder: 'REL-2026-0001',
        onchange: () => loadList(),
      }),
    ),
    select(
      'filter-class',
      '类别',
      'Class',
      CLASSES.map((c) => [c, c]),
    ),
    el(
      'label',
      { for: 'filter-process' },
      bi('流程', 'Process'),
      el('input', { id: 'filter-process', size: 14, onchange: () => loadList() }),
    ),
    select(
      'filter-group',
      '候选组',
      'Group',
      [
        'project-manager',
        'network-engineer',
        'project-team',
        'test-team',
        'user-representative',
        'applicant',
      ].map((g) => [g, g]),
    ),
    el(
      'label',
      { for: 'filter-due-after' },
      bi('到期自', 'Due from'),
      el('input', { id: 'filter-due-after', type: 'date', onchange: () => loadList() }),
    ),
    el(
      'label',
      { for: 'filter-due' },
      bi('到期前', 'Due before'),
      el('input', { id: 'filter-due', type: 'date', onchange: () => loadList() }),
    ),
    el(
      'label',
      { for: 'filter-priority' },
      bi('优先级 ≥', 'Priority ≥'),
      el('input', {
        id: 'filter-priority',
        type: 'number',
        min: 0,
        max: 100,
        size: 4,
        onchange: () => loadList(),
      }),
    ),
    el(
      'label',
      { for: 'sort' },
      bi('排序', 'Sort'),
      el(
        'select',
        { id: 'sort', onchange: () => loadList() },
        ...SORTS.map(([value, zh, en]) => el('option', { value }, `${zh} ${en}`)),
      ),
    ),
  );
}

function value(id) {
  return document.getElementById(id)?.value.trim() ?? '';
}

/** The filters and the sort as a query (the views add who holds or completed the tasks). */
function filterQuery() {
  const query = new URLSearchParams({ sort: value('sort') || 'createdAt' });
  if (value('search')) query.set('q', value('search'));
  if (value('filter-release')) query.set('release', value('filter-release'));
  if (value('filter-priority')) query.set('minPriority', value('filter-priority'));
  if (value('filter-due-after'))
    query.set('dueAfter', new Date(`${value('filter-due-after')}T00:00:00`).toISOString());
  if (value('filter-class')) query.set('class', value('filter-class'));
  if (value('filter-process')) query.set('processKey', value('filter-process'));
  if (value('filter-group')) query.set('candidateGroup', value('filter-group'));
  if (value('filter-due')) query.set('dueBefore', new Date(`${value('filter-due')}T23:59:59`).toISOString());
  return query;
}

function tasksQuery(extra) {
  const query = filterQuery();
  for (const [name, v] of Object.entries(extra)) query.set(name, v);
  return `/api/tasks?${query}`;
}

/**
 * The list of the view, and how many tasks each view holds under the same filters: the tabs say it, so a task
 * claimed from the group's view is seen to move to "my tasks" instead of the list just counting one less.
 */
async function loadList() {
  const size = (view) => (state.view === view ? '200' : '1');
  const [open, mine, done] = await Promise.all([
    api(tasksQuery({ pageSize: '200' })),
    api(tasksQuery({ assignee: 'me', pageSize: size('mine') })),
    api(tasksQuery({ completedBy: 'me', pageSize: size('done') })),
  ]);
  const failed = [open, mine, done].find((response) => !response.ok);
  if (failed) return setStatus(describeError(failed), 'error');
  const group = open.body.items.filter((t) => !t.assignee && inMyGroups(t));
  const more = open.body.total > open.body.items.length ? '+' : '';
  state.counts = {
    mine: String(mine.body.total),
    group: `${group.length}${more}`,
    all: String(open.body.total),
    done: String(done.body.total),
  };
  const lists = { mine: mine.body.items, group, all: open.body.items, done: done.body.items };
  state.tasks = lists[state.view];
  // In place: the tab a keyboard user is on keeps the focus.
  for (const [key, count] of Object.entries(state.counts)) {
    const badge = document.getElementById(`count-${key}`);
    if (badge) badge.textContent = count;
  }
  renderList();
  setStatus(`${new Date().toLocaleTimeString()}`, 'ok');
}

/**
 * A step's name in Chinese (the BPMN's name) with English beside; the English is the element id read as words
 * (build-package: build package), so a step added to a flow has it too.
 */
function stepName(task) {
  const english = String(task.elementId ?? '').replace(/[-_]+/g, ' ');
  return task.name ? bi(task.name, english) : english;
}

/** The release a task belongs to, as the task list gives it. */
function releaseOf(task) {
  return {
    number: task.release?.number ?? '',
    title: task.release?.title ?? '',
    id: task.release?.id ?? task.businessKey,
  };
}

function marks(task) {
  return [
    task.overdue ? el('span', { class: 'mark overdue', title: 'overdue' }, bi('逾期', 'overdue')) : null,
    task.escalated
      ? el('span', { class: 'mark escalated', title: 'escalated' }, bi('已升级', 'escalated'))
      : null,
  ];
}

function renderList() {
  const shown = state.tasks;
  const body = clear(document.getElementById('task-rows'));
  const view = VIEWS.find((v) => v.key === state.view);
  clear(document.getElementById('task-count')).append(
    bi(`${view.zh}：${shown.length} 项`, `${shown.length} in ${view.en.toLowerCase()}`),
  );
  if (!shown.length) {
    body.append(el('tr', {}, el('td', { colspan: 5, class: 'empty' }, bi('没有任务', 'no tasks'))));
    return;
  }
  for (const task of shown) {
    const release = releaseOf(task);
    body.append(
      el(
        'tr',
        {
          class: task.id === state.taskId ? 'task-row selected' : 'task-row',
          dataset: { taskId: task.id, elementId: task.elementId },
        },
        el(
          'td',
          {},
          el('span', { class: 'release-number' }, release.number),
          el('br'),
          el('span', { class: 'release-title' }, release.title),
        ),
        el(
          'td',
          {},
          el(
            'button',
            {
              type: 'button',
              class: 'link open-task',
              'aria-label': `${task.name ?? ''} ${task.elementId} ${release.number}`,
              onclick: () => openTask(task.id),
            },
            stepName(task),
          ),
        ),
        el(
          'td',
          { class: 'holder' },
          task.status === 'completed'
            ? (task.completedBy ?? '')
            : (task.assignee ??
                el('span', { class: 'muted' }, `(${(task.candidateGroups ?? []).join(', ')})`)),
        ),
        el('td', {}, formatTime(task.status === 'completed' ? task.completedAt : task.dueAt)),
        el(
          'td',
          { class: 'marks' },
          ...marks(task),
          task.priority > 50 ? el('span', { class: 'mark priority' }, `P${task.priority}`) : null,
        ),
      ),
    );
  }
}

function detailStatus(text, kind = 'info') {
  const status = document.getElementById('detail-status');
  status.className = `status ${kind}`;
  status.textContent = text;
}

/** Shows a task; `status` is the outcome of the action that led here, kept on the redrawn pane. */
async function openTask(taskId, status = { text: '', kind: 'info' }) {
  state.taskId = taskId;
  remember();
  for (const row of document.querySelectorAll('.task-row')) {
    row.classList.toggle('selected', row.dataset.taskId === taskId);
  }
  const pane = document.getElementById('task-detail');
  pane.hidden = false;
  document.body.classList.add('task-open');
  const response = await api(`/api/tasks/${taskId}`);
  if (!response.ok) {
    clear(document.getElementById('task-heading')).append(describeError(response));
    return;
  }
  const task = response.body;
  const release = releaseOf(task);
  clear(document.getElementById('task-heading')).append(
    el('h2', { id: 'task-title', tabindex: '-1', dataset: { taskId: task.id } }, stepName(task)),
    el(
      'p',
      { class: 'task-release' },
      el(
        'a',
        { href: `/releases/${encodeURIComponent(release.number || task.businessKey)}` },
        release.number,
      ),
      ' ',
      release.title,
      ' ',
      ...marks(task),
    ),
    el(
      'dl',
      { class: 'facts' },
      el('dt', {}, bi('状态', 'status')),
      el('dd', { id: 'task-status' }, task.status),
      el('dt', {}, bi('处理人', 'holder')),
      el('dd', { id: 'task-assignee' }, task.assignee ?? '—'),
      el('dt', {}, bi('候选组', 'groups')),
      el('dd', {}, (task.candidateGroups ?? []).join(', ')),
      el('dt', {}, bi('期限', 'due')),
      el('dd', {}, formatTime(task.dueAt) || '—'),
      el('dt', {}, bi('优先级', 'priority')),
      el('dd', {}, String(task.priority)),
    ),
  );
  document.getElementById('task-title').focus();
  renderActions(task);
  detailStatus(status.text, status.kind);
  await Promise.all([renderTaskForm(task), renderContext(task)]);
}

function renderActions(task) {
  const box = clear(document.getElementById('task-actions'));
  if (task.status !== 'open') return;
  const me = user.username;
  const coordinator = hasRole('project-manager', 'admin');
  const act = async (path, body, done) => {
    const response = await api(`/api/tasks/${task.id}/${path}`, { method: 'POST', body });
    if (!response.ok) return detailStatus(describeError(response), 'error');
    detailStatus(done, 'ok');
    await loadList();
    await openTask(task.id, { text: done, kind: 'ok' });
  };
  if (!task.assignee && inMyGroups(task)) {
    box.append(
      el(
        'button',
        { type: 'button', id: 'claim', onclick: () => act('claim', undefined, 'claimed') },
        bi('领取', 'Claim'),
      ),
    );
  }
  if (task.assignee && (task.assignee === me || coordinator)) {
    box.append(
      el(
        'button',
        { type: 'button', id: 'unclaim', onclick: () => act('unclaim', undefined, 'given back') },
        bi('退回', 'Unclaim'),
      ),
    );
  }
  if (coordinator) {
    const input = el('input', {
      id: 'assignee',
      placeholder: 'username',
      size: 14,
      'aria-label': '指派给 assign to',
    });
    box.append(
      el(
        'form',
        {
          class: 'assign',
          onsubmit: (event) => {
            event.preventDefault();
            if (input.value.trim())
              act('assign', { assignee: input.value.trim() }, `assigned to ${input.value.trim()}`);
          },
        },
        input,
        el('button', { type: 'submit', id: 'assign' }, bi('指派', 'Assign')),
      ),
    );
  }
}

async function renderTaskForm(task) {
  const container = document.getElementById('task-form');
  const complete = document.getElementById('complete');
  const errors = clear(document.getElementById('form-errors'));
  form?.destroy();
  form = new TaskForm(container);
  const mayComplete =
    task.status === 'open' && inMyGroups(task) && (!task.assignee || task.assignee === user.username);
  complete.hidden = !mayComplete;
  if (!task.form) {
    clear(container).append(
      el('label', { for: 'free-variables' }, bi('变量 (JSON)', 'Variables (JSON)')),
      el('textarea', { id: 'free-variables', rows: 6 }, JSON.stringify(task.output ?? {}, null, 2)),
    );
    form = null;
  } else {
    await form.show(task.form, task.output ?? {}, { readOnly: !mayComplete });
  }
  complete.onclick = async () => {
    clear(errors);
    detailStatus('');
    let data;
    if (form) {
      data = form.collect();
      if (!data) return detailStatus('请修正标出的字段 fix the marked fields', 'error');
    } else {
      try {
        data = JSON.parse(document.getElementById('free-variables').value || '{}');
      } catch {
        return detailStatus('变量不是 JSON variables are not JSON', 'error');
      }
    }
    complete.disabled = true;
    try {
      const response = await api(`/api/tasks/${task.id}/complete`, { method: 'POST', body: { data } });
      if (response.ok) {
        const completed = '已完成 completed';
        detailStatus(completed, 'ok');
        await loadList();
        await openTask(task.id, { text: completed, kind: 'ok' });
        return;
      }
      detailStatus(describeError(response), 'error');
      showFieldErrors(form, response.body?.details, errors);
    } finally {
      complete.disabled = false;
    }
  };
}

async function renderContext(task) {
  const record = clear(document.getElementById('task-record'));
  const files = document.getElementById('task-files');
  const releaseId = task.release?.id ?? task.businessKey;
  if (releaseId) {
    const release = await api(`/api/releases/${encodeURIComponent(releaseId)}`);
    if (release.ok) {
      record.append(el('h3', {}, `${release.body.number} ${release.body.title}`), releaseFacts(release.body));
      await renderFiles(files, release.body.id);
    } else record.append(el('p', { class: 'status error' }, describeError(release)));
  }
  renderHistory(document.getElementById('task-history'), task.history ?? []);
  diagram = diagram ?? new InstanceDiagram('#task-canvas');
  window.releaseFlowViewer = diagram.viewer;
  const instance = await api(`/api/process-instances/${task.instanceId}`);
  if (!instance.ok) return;
  const failed = await diagram.show(instance.body, { focus: task.elementId });
  if (failed) return;
  diagram.markers.add(task.elementId, 'rf-current');
}
