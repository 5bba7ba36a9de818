import { sampleFormData } from './form-samples';
import { eventually } from './test-env';
import type { Tokens } from './users';

/**
 * Drives releases over HTTP against any base URL (an in-process app's or a child process's), as the test
 * users: one per role, named after it.
 */
export class ReleaseDriver {
  constructor(
    private readonly baseUrl: string,
    private readonly tokens: Tokens,
  ) {}

  async call(
    method: string,
    path: string,
    body?: unknown,
    as = 'admin',
  ): Promise<{ status: number; body: any }> {
    const token = this.tokens[as];
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  async file(
    releaseClass: string,
    request: Record<string, unknown> = {},
    as = 'applicant',
  ): Promise<{ id: string; number: string; instanceId: string }> {
    const { status, body } = await this.call(
      'POST',
      '/api/releases',
      {
        class: releaseClass,
        request: {
          title: 'Upgrade billing',
          source: 'software',
          rollbackPlan: 'restore previous package',
          ...request,
        },
      },
      as,
    );
    if (status !== 201) throw new Error(`filing failed: ${status} ${JSON.stringify(body)}`);
    return body;
  }

  async openTask(
    releaseId: string,
    elementId: string,
  ): Promise<{ id: string; elementId: string; formKey: string; candidateGroups: string[] }> {
    return eventually(
      async () => {
        const { body } = await this.call(
          'GET',
          `/api/tasks?releaseId=${releaseId}`,
          undefined,
          'project-manager',
        );
        return body.items.find((t: { elementId: string }) => t.elementId === elementId);
      },
      { what: `task ${elementId} of release ${releaseId}` },
    );
  }

  /** Complete a task as the user of its first candidate group, with valid form data plus `data`. */
  async complete(
    task: { id: string; formKey: string | null; candidateGroups: string[] },
    data: Record<string, unknown> = {},
  ) {
    return this.call(
      'POST',
      `/api/tasks/${task.id}/complete`,
      { data: sampleFormData(task.formKey, data) },
      task.candidateGroups[0],
    );
  }

  /** Complete whatever task opens next with the answer for its element, until the release ends. */
  async runToEnd(releaseId: string, answers: Record<string, Record<string, unknown>>): Promise<string> {
    return eventually(
      async () => {
        const release = await this.call('GET', `/api/releases/${releaseId}`, undefined, 'project-manager');
        if (release.body.status !== 'in-progress') return release.body.status as string;
        for (const task of release.body.openTasks as Array<{
          id: string;
          elementId: string;
          formKey: string;
          candidateGroups: string[];
        }>) {
          await this.complete(task, answers[task.elementId] ?? {});
        }
        return undefined;
      },
      { timeoutMs: 60_000, what: `release ${releaseId} to end` },
    );
  }
}

/** The answers that take an emergency release straight through to closed. */
export const EMERGENCY_HAPPY_PATH: Record<string, Record<string, unknown>> = {
  'approve-emergency': { approvalDecision: 'approve' },
  'install-release': { installResult: 'success' },
  'verify-release': { verificationResult: 'pass' },
};
