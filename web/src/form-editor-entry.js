// The form-js editor alone, as its own chunk (loaded when a form is first opened in the modeler).
export { FormEditor } from '@bpmn-io/form-js';
