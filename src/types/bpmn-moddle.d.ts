// bpmn-moddle 10 ships a broken types export; this is the part of its API we use.
declare module 'bpmn-moddle' {
  export interface ModdleElement {
    $type: string;
    id?: string;
    name?: string;
    [key: string]: unknown;
  }
  export interface ParseWarning {
    message: string;
    element?: ModdleElement;
    property?: string;
    /** For an unresolved reference: the id it names. */
    value?: unknown;
  }
  export interface ParseResult {
    rootElement: ModdleElement;
    warnings: ParseWarning[];
    elementsById: Record<string, ModdleElement>;
    references: unknown[];
  }
  export class BpmnModdle {
    constructor(packages?: Record<string, unknown>, options?: Record<string, unknown>);
    fromXML(xml: string, typeName?: string): Promise<ParseResult>;
  }
  export default BpmnModdle;
}
