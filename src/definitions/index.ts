/** What other modules may use of definitions beside its services, entities and DTOs. */
export { readUploadedFiles, type UploadedFile } from './bpmn-upload.js';
export { EMBEDDED_FORM_PREFIX, fieldLabels, type FormJsSchema, type FormComponent } from './form-js.js';
