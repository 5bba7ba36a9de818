import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestApp } from '../support/test-app';

export const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

/** Everything a deployment could have stored. */
export async function storedDefinitions(t: TestApp): Promise<Array<{ key: string; version: number }>> {
  return t.dataSource.query('SELECT process_key AS key, version FROM process_definition ORDER BY 1, 2');
}

/** Every decision version a deployment could have stored. */
export async function storedDecisions(t: TestApp): Promise<Array<{ key: string; version: number }>> {
  return t.dataSource.query('SELECT decision_key AS key, version FROM decision_definition ORDER BY 1, 2');
}

/** POST BPMN as an XML body to deploy (or `/validate`), as a user. */
export function postXml(t: TestApp, xml: string | Buffer, as = 'process-designer', path = '') {
  return t
    .as(as)
    .post(`/api/process-definitions${path}`)
    .set('content-type', 'application/xml')
    .send(typeof xml === 'string' ? xml : xml.toString('utf8'));
}
