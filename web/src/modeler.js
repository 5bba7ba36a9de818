import BpmnModeler from 'bpmn-js/lib/Modeler';
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  ZeebePropertiesProviderModule,
} from 'bpmn-js-properties-panel';
import ZeebeBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-cloud';
import zeebeModdle from 'zeebe-bpmn-moddle/resources/zeebe.json';
import { api, clear, describeError, el, formatTime, hasRole, renderHeader, requireSignIn } from './api.js';
import { DiagramMarkers, showReadable } from './diagram-markers.js';
import { FormDesigner } from './form-designer.js';

const NEW_DIAGRAM = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="definitions-new-process" targetNamespace="http://bpmn.io/schema/bpmn" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.6.0">
  <bpmn:process id="new-process" name="新流程" isExecutable="true">
    <bpmn:startEvent id="start" name="开始" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram">
    <bpmndi:BPMNPlane id="plane" bpmnElement="new-process">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start">
        <dc:Bounds x="180" y="160" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;

if (requireSignIn()) {
  renderHeader('modeler');
  main().catch((err) =>
    setStatus(`failed to start: ${err instanceof Error ? err.message : String(err)}`, 'error'),
  );
}

/** What is open: a deployed version, or a new diagram. */
const state = { key: null, version: null, dirty: false, expanded: new Set(), mode: 'process' };

/** The width the palette covers on the left of the canvas. */
function paletteMargin(canvas) {
  const palette = document.querySelector('.djs-palette');
  if (!palette) return 0;
  return palette.getBoundingClientRect().right - canvas.getContainer().getBoundingClientRect().left + 16;
}

function setStatus(text, kind = 'info') {
  const status = document.getElementById('status');
  status.className = `status ${kind}`;
  status.textContent = text;
}

async function main() {
  const modeler = new BpmnModeler({
    container: '#canvas',
    propertiesPanel: { parent: '#properties' },
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      ZeebePropertiesProviderModule,
      ZeebeBehaviorsModule,
    ],
    moddleExtensions: { zeebe: zeebeModdle },
    textRenderer: { defaultStyle: { fontFamily: '"Noto Sans CJK SC", "Noto Sans", Arial, sans-serif' } },
  });
  const markers = new DiagramMarkers(modeler);
  window.releaseFlowModeler = modeler; // for debugging from the console and for the browser tests

  modeler.on('commandStack.changed', () => {
    state.dirty = true;
    renderLabel();
  });

  const canDesign = hasRole('process-designer', 'admin');
  const validateButton = document.getElementById('validate');
  const deployButton = document.getElementById('deploy');
  if (!canDesign) {
    for (const button of [validateButton, deployButton]) {
      button.disabled = true;
      button.title = 'only process designers and admins may validate and deploy';
    }
    setStatus('You may look and download; only process designers and admins validate and deploy.');
  }

  // Forms: the same toolbar acts on the form open in the form editor.
  const forms = new FormDesigner({
    list: document.getElementById('form-list'),
    container: document.getElementById('form-editor'),
    label: document.getElementById('current-label'),
    status: setStatus,
    onOpen: () => setMode('form'),
  });
  function setMode(mode) {
    state.mode = mode;
    document.body.classList.toggle('editing-form', mode === 'form');
    document.getElementById('form-editor').hidden = mode !== 'form';
  }
  document.getElementById('new-form').addEventListener('click', () => forms.openNew());
  // The forms are listed when asked for: most visits are about a process.
  const showForms = document.getElementById('show-forms');
  showForms.addEventListener('click', async () => {
    const open = showForms.getAttribute('aria-expanded') !== 'true';
    showForms.setAttribute('aria-expanded', String(open));
    document.getElementById('form-list').hidden = !open;
    if (open) await forms.load();
  });

  document.getElementById('new-diagram').addEventListener('click', () => openXml(NEW_DIAGRAM, null, null));
  validateButton.addEventListener('click', () => (state.mode === 'form' ? forms.validate() : validate()));
  deployButton.addEventListener('click', () => (state.mode === 'form' ? forms.deploy() : deploy()));
  document
    .getElementById('download')
    .addEventListener('click', () => (state.mode === 'form' ? forms.download() : download()));

  async function openXml(xml, key, version) {
    setMode('process');
    markers.clear();
    showProblems([], []);
    try {
      const { warnings } = await modeler.importXML(xml);
      showReadable(modeler.get('canvas'), { leftMargin: paletteMargin(modeler.get('canvas')) });
      state.key = key;
      state.version = version;
      state.dirty = false;
      renderLabel();
      if (warnings.length > 0) setStatus(`opened with ${warnings.length} import warning(s)`, 'warning');
      else setStatus(key ? `opened ${key} version ${version}` : 'new diagram');
      const url = key ? `/modeler?key=${encodeURIComponent(key)}&version=${version}` : '/modeler';
      history.replaceState(null, '', url);
    } catch (err) {
      setStatus(`cannot open the diagram: ${err instanceof Error ? err.message : String(err)}`, 'error');
    }
  }

  async function openVersion(key, version) {
    const response = await api(`/api/process-definitions/${encodeURIComponent(key)}/versions/${version}/xml`);
    if (!response.ok) return setStatus(describeError(response), 'error');
    await openXml(response.body, key, version);
  }

  function renderLabel() {
    const label = document.getElementById('current-label');
    const processId = currentProcessId();
    label.textContent = state.key
      ? `${state.key} · version ${state.version}${state.dirty ? ' · edited, not deployed' : ''}`
      : `${processId ?? 'new diagram'}${state.dirty ? ' · not deployed' : ''}`;
  }

  function currentProcessId() {
    const definitions = modeler.getDefinitions?.();
    const process = definitions?.rootElements?.find((e) => e.$type === 'bpmn:Process' && e.isExecutable);
    return process?.id ?? null;
  }

  async function currentXml() {
    const { xml } = await modeler.saveXML({ format: true });
    return xml;
  }

  /** Each problem on its element (marker + badge) and in the list below the canvas. */
  function showProblems(errors, warnings) {
    markers.clear();
    const list = clear(document.getElementById('problem-list'));
    const counts = new Map();
    for (const problem of errors) {
      if (markers.add(problem.field, 'rf-validation-error')) {
        counts.set(problem.field, (counts.get(problem.field) ?? 0) + 1);
      }
    }
    for (const [id, count] of counts) {
      markers.overlay(id, el('span', { class: 'rf-error-badge', title: 'validation errors' }, `✕ ${count}`));
    }
    for (const problem of warnings) markers.add(problem.field, 'rf-validation-warning');
    const item = (kind, problem) =>
      el(
        'li',
        { class: `problem ${kind}`, dataset: { field: problem.field } },
        el(
          'button',
          {
            type: 'button',
            class: 'link',
            onclick: () => {
              const element = markers.find(problem.field);
              if (!element) return;
              modeler.get('selection').select(element);
              if (element.waypoints || element.x !== undefined)
                modeler.get('canvas').scrollToElement(element);
            },
          },
          problem.field,
        ),
        ' ',
        el('span', { class: 'message' }, problem.message),
      );
    const first = errors.map((p) => markers.find(p.field)).find((e) => e && e.x !== undefined);
    if (first)
      modeler
        .get('canvas')
        .scrollToElement(first, { top: 120, left: paletteMargin(modeler.get('canvas')) + 60 });
    errors.forEach((p) => list.append(item('error', p)));
    warnings.forEach((p) => list.append(item('warning', p)));
    document.getElementById('problem-count').textContent =
      `${errors.length} error(s), ${warnings.length} warning(s)`;
  }

  async function validate() {
    setStatus('validating…');
    const response = await api('/api/process-definitions/validate', {
      method: 'POST',
      body: await currentXml(),
      contentType: 'application/xml',
    });
    if (!response.ok) return setStatus(describeError(response), 'error');
    showProblems(response.body.errors, response.body.warnings);
    if (response.body.valid) setStatus(`valid: ${response.body.processId} can be deployed`, 'ok');
    else setStatus(`not valid: ${response.body.errors.length} error(s), shown on the diagram`, 'error');
  }

  async function deploy() {
    setStatus('deploying…');
    const response = await api('/api/process-definitions', {
      method: 'POST',
      body: await currentXml(),
      contentType: 'application/xml',
    });
    if (response.status === 400 && Array.isArray(response.body?.details)) {
      showProblems(response.body.details, []);
      return setStatus(
        `not deployed: ${response.body.details.length} error(s), shown on the diagram`,
        'error',
      );
    }
    if (!response.ok) return setStatus(`not deployed: ${describeError(response)}`, 'error');
    const { key, version, created, warnings } = response.body;
    showProblems([], warnings ?? []);
    state.key = key;
    state.version = version;
    state.dirty = false;
    renderLabel();
    history.replaceState(null, '', `/modeler?key=${encodeURIComponent(key)}&version=${version}`);
    setStatus(
      created
        ? `deployed ${key} version ${version}; new releases start on it`
        : `unchanged: identical to ${key} version ${version}, nothing deployed`,
      'ok',
    );
    state.expanded.add(key);
    await loadProcesses();
  }

  async function download() {
    const xml = await currentXml();
    const name = `${state.key ?? currentProcessId() ?? 'process'}${state.version && !state.dirty ? `-v${state.version}` : ''}.bpmn`;
    const url = URL.createObjectURL(new Blob([xml], { type: 'application/xml' }));
    const link = el('a', { href: url, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  async function loadProcesses() {
    const list = clear(document.getElementById('process-list'));
    const response = await api('/api/process-definitions');
    if (!response.ok) return setStatus(describeError(response), 'error');
    for (const definition of response.body) {
      const versions = el('ol', { class: 'versions', reversed: true });
      const item = el(
        'li',
        { class: 'process', dataset: { key: definition.key } },
        el(
          'button',
          {
            type: 'button',
            class: 'process-open',
            onclick: async () => {
              state.expanded.add(definition.key);
              await loadVersions(definition.key, versions);
              await openVersion(definition.key, definition.version);
            },
          },
          el('span', { class: 'name' }, definition.name),
          el('span', { class: 'key' }, `${definition.key} · v${definition.version}`),
        ),
        versions,
      );
      list.append(item);
      if (state.expanded.has(definition.key)) await loadVersions(definition.key, versions);
    }
  }

  async function loadVersions(key, container) {
    const response = await api(`/api/process-definitions/${encodeURIComponent(key)}/versions`);
    if (!response.ok) return setStatus(describeError(response), 'error');
    clear(container);
    for (const v of response.body) {
      const releases = (v.runningReleases ?? []).map((number) =>
        el('a', { href: `/releases/${encodeURIComponent(number)}`, class: 'release-link' }, number),
      );
      container.append(
        el(
          'li',
          { class: 'version', dataset: { version: v.version } },
          el(
            'button',
            { type: 'button', class: 'link', onclick: () => openVersion(key, v.version) },
            `version ${v.version}`,
          ),
          el('span', { class: 'meta' }, ` ${formatTime(v.deployedAt)} · ${v.deployedBy ?? ''}`),
          el('span', { class: 'running' }, ` · ${v.runningInstances} running`),
          releases.length ? el('div', { class: 'releases' }, ...releases) : null,
        ),
      );
    }
  }

  await loadProcesses();
  const params = new URLSearchParams(location.search);
  const key = params.get('key');
  if (key) {
    state.expanded.add(key);
    await loadProcesses();
    const version = Number(params.get('version'));
    if (Number.isInteger(version) && version > 0) await openVersion(key, version);
    else {
      const latest = await api(`/api/process-definitions/${encodeURIComponent(key)}/versions`);
      if (latest.ok && latest.body[0]) await openVersion(key, latest.body[0].version);
    }
  } else {
    await openXml(NEW_DIAGRAM, null, null);
    setStatus('open a process on the left, or draw a new one');
  }
}
