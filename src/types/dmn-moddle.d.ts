// dmn-moddle 12 ships no types; this is the part of its API the DMN reader uses.
declare module 'dmn-moddle' {
  export interface DmnElement {
    $type: string;
    id?: string;
    name?: string;
    [key: string]: unknown;
  }
  export interface DmnParseWarning {
    message: string;
    element?: DmnElement;
    property?: string;
  }
  export interface DmnParseResult {
    rootElement: DmnElement;
    warnings: DmnParseWarning[];
    elementsById: Record<string, DmnElement>;
    references: unknown[];
  }
  export class DmnModdle {
    constructor(packages?: Record<string, unknown>, options?: Record<string, unknown>);
    fromXML(xml: string, typeName?: string): Promise<DmnParseResult>;
  }
}
