import type { ModdleElement } from 'bpmn-moddle';

/*
 * The shapes of a parsed process, apart from the parser: the element behaviours the parser registers read them
 * too, so they cannot import the parser.
 */

/** What the host needs to know of one element of a process, read from its zeebe extensions. */
export interface ElementInfo {
  readonly id: string;
  readonly type: string;
  readonly name?: string;
  readonly candidateGroups: readonly string[];
  /**
   * The form a user task links: `zeebe:formDefinition formId` (a deployed Camunda Form), a legacy `formKey`
   * naming one, or `camunda-forms:bpmn:<id>` for a form embedded in the process (`zeebe:userTaskForm`).
   */
  readonly formKey?: string;
  /** For a form embedded in the process: its form-js JSON as the file holds it. */
  readonly embeddedForm?: string;
  readonly jobType?: string;
  readonly retries?: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly properties: Readonly<Record<string, string>>;
  readonly dueDate?: string;
  readonly priority?: number;
  /** For sequence flows: the condition body and the ends. */
  readonly condition?: string;
  readonly sourceRef?: string;
  readonly targetRef?: string;
  /** For gateways and activities: the id of their default flow. */
  readonly defaultFlow?: string;
  readonly attachedToRef?: string;
  readonly eventDefinitions: readonly string[];
  readonly timer?: { readonly kind: 'timeDuration' | 'timeDate' | 'timeCycle'; readonly expression: string };
  /** For script tasks: the zeebe:script FEEL expression and the variable its value goes to. */
  readonly script?: { readonly expression: string; readonly resultVariable?: string };
  /** The sub-process (or process) the element sits in. */
  readonly parentId?: string;
  /** For call activities: the process the child instance runs (latest version) and what comes back. */
  readonly calledElement?: { readonly processId: string; readonly propagateAllChildVariables: boolean };
  /** For business rule tasks: the decision they call (`zeebe:calledDecision`) and where its result goes. */
  readonly calledDecision?: { readonly decisionId: string; readonly resultVariable?: string };
  /** For message catch events and receive tasks: the message's name and its zeebe:subscription correlation key. */
  readonly message?: { readonly name: string; readonly correlationKey?: string };
  /** For signal catch and boundary events: the name of the signal they wait for. */
  readonly signal?: { readonly name: string };
  /** For the start event of an event sub-process: the sub-process, and whether it interrupts its scope. */
  readonly eventSubProcess?: { readonly id: string; readonly interrupting: boolean };
  /** For error events: the error code they throw or catch (none: an error catch event catches any). */
  readonly errorCode?: string;
  /** For escalation events: the escalation code they throw or catch (none: a catch event catches any). */
  readonly escalationCode?: string;
  /** zeebe:ioMapping: input mappings make the element's local variables, output mappings what it hands back. */
  readonly ioMapping?: {
    readonly inputs: readonly VariableMapping[];
    readonly outputs: readonly VariableMapping[];
  };
  /** For multi-instance activities: their zeebe:loopCharacteristics and completion condition. */
  readonly multiInstance?: MultiInstanceInfo;
}

/** One zeebe:input or zeebe:output: a FEEL source (or a literal) and a target variable, maybe a nested path. */
export interface VariableMapping {
  readonly source: string;
  readonly target: string;
}

export interface MultiInstanceInfo {
  readonly sequential: boolean;
  readonly inputCollection?: string;
  readonly inputElement?: string;
  readonly outputCollection?: string;
  readonly outputElement?: string;
  readonly completionCondition?: string;
  /** A loop marker (bpmn:standardLoopCharacteristics) rather than multi-instance. */
  readonly standardLoop: boolean;
}

export interface ProcessModel {
  readonly processId: string;
  readonly name: string;
  /** The process's own zeebe:properties (for example `starterGroups`). */
  readonly properties: Readonly<Record<string, string>>;
  readonly checksum: string;
  readonly elements: ReadonlyMap<string, ElementInfo>;
  readonly jobTypes: ReadonlySet<string>;
  /** Every element type in the file (including non-flow ones such as lanes), for validation. */
  readonly elementTypes: ReadonlySet<string>;
  /** What the reader read past in the file (not only in this process). */
  readonly warnings: readonly ImportWarning[];
  readonly moddleRoot: ModdleElement;
  readonly executable: boolean;
}

/** Something bpmn-moddle read past: content it could not place (an unknown element, a duplicate id) or a reference to nothing. */
export interface ImportWarning {
  readonly message: string;
  /** The element holding the unresolved reference, when the reader names one. */
  readonly element?: { readonly id?: string; readonly type: string };
  /** For an unresolved reference: the attribute (`bpmn:targetRef`, `bpmndi:bpmnElement`) and the id it names. */
  readonly property?: string;
  readonly reference?: string;
}

/** Every process of a file, executable or not, and what the reader read past: for validation that lists all. */
export interface BpmnDocument {
  readonly processes: readonly ProcessModel[];
  readonly warnings: readonly ImportWarning[];
  readonly moddleRoot: ModdleElement;
}

/** A parsed process, ready to run: parsed once per definition version and shared by all its instances. */
export interface CompiledProcess extends ProcessModel {
  /** The engine's serialized moddle context (opaque): every start event of the process in it. */
  readonly sourceContext: unknown;
  /**
   * The context an instance started at one top-level start event runs on (Camunda 8: only the start event that was
   * triggered starts): the others and their outgoing flows left out, and the chosen one without its trigger (the
   * host fired it). Built once per start event.
   */
  readonly sourceContextFor: (startEventId: string) => unknown;
}
