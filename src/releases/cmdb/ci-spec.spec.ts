import { itemTypeOf, parseCiSpecs } from './ci-spec';

describe('configuration items named by a release', () => {
  it('reads a name, or a name with its own version after @', () => {
    expect(parseCiSpecs(['billing-api', ' billing-db@15.2 ', '', 'svc@'])).toEqual([
      { name: 'billing-api', version: undefined },
      { name: 'billing-db', version: '15.2' },
      { name: 'svc@', version: undefined },
    ]);
  });

  it('keeps one entry per name, the last one given', () => {
    expect(parseCiSpecs(['a@1', 'a@2'])).toEqual([{ name: 'a', version: '2' }]);
  });

  it('types new items by the release source', () => {
    expect(['software', 'hardware', 'document', 'project-info', 'other'].map(itemTypeOf)).toEqual([
      'software',
      'hardware',
      'document',
      'document',
      'other',
    ]);
  });
});
