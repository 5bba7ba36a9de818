import { startTestApp, type TestApp } from '../support/test-app';

describe('the OpenAPI description', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('documents every endpoint with its errors, generated from the DTOs', async () => {
    const { body } = await t.http().get('/api/docs-json').expect(200);
    const operations = Object.entries(
      body.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>,
    )
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })))
      .filter(({ path }) => path.startsWith('/api/'));
    expect(operations.length).toBeGreaterThan(15);
    for (const { path, method, op } of operations) {
      const codes = Object.keys(op.responses);
      expect({ path, method, has2xx: codes.some((c) => c.startsWith('2')) }).toEqual({
        path,
        method,
        has2xx: true,
      });
      if (path !== '/api/auth/login')
        expect({ path, method, codes }).toEqual({ path, method, codes: expect.arrayContaining(['401']) });
    }
    expect(body.components.schemas.FileReleaseDto.required).toEqual(
      expect.arrayContaining(['class', 'request']),
    );
    expect(body.components.schemas.ErrorResponseDto).toBeDefined();
    // The Camunda 8 REST API (/v2) is Camunda's specification's to describe: deliberately left out, and said so.
    expect(Object.keys(body.paths).filter((path) => path.startsWith('/v2'))).toEqual([]);
    expect(body.info.description).toContain('/v2');
  });

  it('serves the Swagger UI', async () => {
    const page = await t.http().get('/api/docs/').expect(200);
    expect(page.text).toContain('swagger');
  });
});
