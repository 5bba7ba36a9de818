// bpmnlint ships no types.
declare module 'bpmnlint' {
  export class Linter {
    constructor(options: { config: Record<string, unknown>; resolver: unknown });
    lint(root: unknown): Promise<Record<string, unknown[]>>;
  }
}
declare module 'bpmnlint/lib/resolver/node-resolver' {
  export default class NodeResolver {
    constructor(options?: Record<string, unknown>);
  }
}
