/** What other modules may use of definitions beside its services, entities and DTOs. */
export { FORMS } from './form-schemas.js';
export { readUploadedFiles, type UploadedFile } from './bpmn-upload.js';
