// The forms part of the modeler: the deployed Camunda Forms listed beside the processes, opened in the
// form-js editor (as Camunda Modeler's form editor), deployed as their next version or downloaded as .form.
import { api, bi, clear, describeError, el, formatTime, hasRole } from './api.js';
import { download } from './release-record.js';

const NEW_FORM = {
  type: 'default',
  id: 'new-form',
  name: '新表单 (new form)',
  schemaVersion: 16,
  components: [],
};

export class FormDesigner {
  /**
   * @param {{ list: HTMLElement, container: HTMLElement, label: HTMLElement, status: (text: string, kind?: string) => void,
   *   onOpen: () => void }} parts
   */
  constructor(parts) {
    this.parts = parts;
    this.editor = null;
    this.current = null;
    this.dirty = false;
  }

  async ensureEditor() {
    if (this.editor) return this.editor;
    // Loaded on first use: the editor is large and a process designer may never open a form.
    const { FormEditor } = await import('./form-editor-entry.js');
    this.editor = new FormEditor({ container: this.parts.container });
    window.releaseFlowFormEditor = this.editor; // for the browser tests
    this.editor.on('changed', () => {
      if (this.importing) return;
      this.dirty = true;
      this.renderLabel();
    });
    return this.editor;
  }

  async load() {
    const list = clear(this.parts.list);
    const response = await api('/api/forms');
    if (response.status === 404) {
      list.append(
        el('li', { class: 'empty' }, bi('此服务器尚无表单资源', 'no deployable forms on this server')),
      );
      return;
    }
    if (!response.ok) return this.parts.status(describeError(response), 'error');
    const forms = Array.isArray(response.body) ? response.body : (response.body.items ?? []);
    for (const form of forms) {
      list.append(
        el(
          'li',
          { class: 'process form', dataset: { formId: form.formId } },
          el(
            'button',
            {
              type: 'button',
              class: 'process-open form-open',
              onclick: () => this.open(form.formId, form.version),
            },
            el('span', { class: 'name' }, form.name ?? form.formId),
            el('span', { class: 'key' }, `${form.formId} · v${form.version}`),
            el('span', { class: 'meta' }, ` ${formatTime(form.deployedAt)}`),
          ),
        ),
      );
    }
  }

  async open(formId, version) {
    const response = await api(`/api/forms/${encodeURIComponent(formId)}/versions/${version}`);
    if (!response.ok) return this.parts.status(describeError(response), 'error');
    await this.show(response.body.schema, { formId, version });
  }

  async openNew() {
    await this.show(structuredClone(NEW_FORM), null);
  }

  async show(schema, current) {
    this.parts.onOpen();
    const editor = await this.ensureEditor();
    this.importing = true;
    try {
      await editor.importSchema(schema);
    } finally {
      this.importing = false;
    }
    this.current = current;
    this.dirty = false;
    this.renderLabel();
    this.parts.status(current ? `opened form ${current.formId} version ${current.version}` : 'new form');
  }

  renderLabel() {
    const id = this.editor?.getSchema()?.id ?? '';
    this.parts.label.textContent = this.current
      ? `${this.current.formId} · version ${this.current.version}${this.dirty ? ' · edited, not deployed' : ''}`
      : `${id}${this.dirty ? ' · not deployed' : ''}`;
  }

  schema() {
    return this.editor.saveSchema();
  }

  async validate() {
    const response = await api('/api/process-definitions/validate', { body: this.schema(), method: 'POST' });
    if (!response.ok) return this.parts.status(describeError(response), 'error');
    const problems = response.body.errors ?? [];
    if (response.body.valid) this.parts.status('valid', 'ok');
    else
      this.parts.status(
        `not valid: ${problems.map((p) => `${p.field ?? p.element ?? ''} ${p.message}`).join('; ')}`,
        'error',
      );
  }

  async deploy() {
    if (!hasRole('process-designer', 'admin')) return;
    const schema = this.schema();
    const response = await api('/api/process-definitions', { method: 'POST', body: schema });
    if (!response.ok) {
      const details = (response.body?.details ?? []).map((d) => `${d.field ?? ''} ${d.message}`).join('; ');
      return this.parts.status(
        `not deployed: ${describeError(response)}${details ? ` (${details})` : ''}`,
        'error',
      );
    }
    const formId = response.body.formId ?? schema.id;
    const version = response.body.version;
    this.current = { formId, version };
    this.dirty = false;
    this.renderLabel();
    this.parts.status(
      response.body.created === false
        ? `form ${formId} unchanged: still version ${version}`
        : `deployed form ${formId} version ${version}`,
      'ok',
    );
    await this.load();
  }

  download() {
    const schema = this.schema();
    download(
      new Blob([JSON.stringify(schema, null, 2)], { type: 'application/json' }),
      `${schema.id ?? 'form'}.form`,
    );
  }
}
