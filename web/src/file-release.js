// Filing a release request from the releases page (applicants and project managers): the request's fields as a
// form-js form, sent to POST /api/releases; the server's field errors are shown at their fields.
import { api, bi, describeError, el } from './api.js';
import { showFieldErrors, TaskForm } from './task-form.js';

const option = (value, zh, en) => ({ value, label: `${zh} (${en})` });

/** The request as the API takes it (ReleaseRequestDto), with the class of the release beside it. */
export const REQUEST_FORM = {
  type: 'default',
  id: 'file-release',
  schemaVersion: 16,
  components: [
    {
      id: 'Field_class',
      key: 'class',
      type: 'radio',
      label: '发布类别 (class)',
      values: [
        option('standard', '标准发布', 'standard'),
        option('emergency', '紧急发布', 'emergency'),
        option('major', '重大发布', 'major'),
      ],
      validate: { required: true },
    },
    {
      id: 'Field_title',
      key: 'title',
      type: 'textfield',
      label: '标题 (title)',
      validate: { required: true, maxLength: 200 },
    },
    {
      id: 'Field_source',
      key: 'source',
      type: 'select',
      label: '发布来源 (source)',
      values: [
        option('software', '软件', 'software'),
        option('hardware', '硬件', 'hardware'),
        option('document', '文档', 'document'),
        option('project-info', '项目信息', 'project information'),
        option('other', '其他', 'other'),
      ],
      validate: { required: true },
    },
    {
      id: 'Field_scope',
      key: 'scope',
      type: 'textfield',
      label: '发布范围 (scope)',
      validate: { maxLength: 2000 },
    },
    {
      id: 'Field_content',
      key: 'content',
      type: 'textarea',
      label: '发布内容 (content)',
      validate: { maxLength: 10000 },
    },
    {
      id: 'Field_plannedAt',
      key: 'plannedAt',
      type: 'datetime',
      subtype: 'datetime',
      dateLabel: '计划日期 (planned date)',
      timeLabel: '计划时间 (planned time)',
    },
    {
      id: 'Field_changeRequest',
      key: 'changeRequest',
      type: 'textfield',
      label: '关联变更 (change request)',
      validate: { maxLength: 100 },
    },
    {
      id: 'Field_configurationItems',
      key: 'configurationItems',
      type: 'textarea',
      label: '受影响配置项 · 每行一项 (configuration items, one per line)',
      properties: { listOfLines: 'true' },
    },
    {
      id: 'Field_rollbackPlan',
      key: 'rollbackPlan',
      type: 'textarea',
      label: '回退计划 (rollback plan; standard and major releases)',
      validate: { maxLength: 10000 },
    },
    {
      id: 'Field_distributionMethods',
      key: 'distributionMethods',
      type: 'checklist',
      label: '发布方式 (distribution methods)',
      values: [
        option('intranet', '内网', 'intranet'),
        option('email', '邮件', 'email'),
        option('paper', '纸质', 'paper'),
        option('telegram', '电报', 'telegram'),
      ],
    },
    {
      id: 'Field_distributionScope',
      key: 'distributionScope',
      type: 'textfield',
      label: '分发范围 (distribution scope)',
      validate: { maxLength: 2000 },
    },
  ],
};

/** Show the request form in `container`; a filed release opens its record. */
export async function showFilingForm(container) {
  const formBox = el('div', { class: 'task-form', id: 'file-form' });
  const errors = el('ul', { class: 'form-errors', role: 'alert' });
  const status = el('p', { class: 'status', role: 'status', id: 'file-status' });
  const submit = el(
    'button',
    { type: 'button', id: 'file-submit', class: 'primary' },
    bi('提交申请', 'File'),
  );
  container.replaceChildren(
    el('h2', {}, bi('新发布申请', 'New release request')),
    formBox,
    errors,
    submit,
    status,
  );
  container.hidden = false;
  const form = new TaskForm(formBox);
  await form.show(REQUEST_FORM, { class: 'standard', source: 'software' });
  submit.addEventListener('click', async () => {
    errors.replaceChildren();
    const data = form.collect();
    if (!data) {
      status.className = 'status error';
      status.textContent = '请修正标出的字段 fix the marked fields';
      return;
    }
    const { class: releaseClass, ...request } = data;
    submit.disabled = true;
    try {
      const response = await api('/api/releases', { method: 'POST', body: { class: releaseClass, request } });
      if (response.ok) {
        location.assign(`/releases/${encodeURIComponent(response.body.number)}`);
        return;
      }
      status.className = 'status error';
      status.textContent = describeError(response);
      // The API names request fields as request.title; the form's keys are the field names.
      showFieldErrors(form, response.body?.details, errors, 'request.');
    } finally {
      submit.disabled = false;
    }
  });
}
