import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidDmnError, looksLikeDmn, readDmn } from './index';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const releaseClass = () => fixture('release-class.dmn');

/** The problems a file is refused with. */
async function problemsOf(xml: string): Promise<Array<{ field: string; message: string }>> {
  try {
    await readDmn(xml);
  } catch (err) {
    if (err instanceof InvalidDmnError) return [...err.problems];
    throw err;
  }
  throw new Error('the file was not refused');
}

/** Replace text of a fixture that must be there (so a fixture edit cannot make a test pass vacuously). */
function edit(xml: string, from: string | RegExp, to: string): string {
  const changed = xml.replace(from, to);
  if (changed === xml) throw new Error(`fixture has no ${String(from)}`);
  return changed;
}

describe('reading a DMN file drawn in Camunda Modeler', () => {
  it('reads its decisions, hit policies, inputs, outputs and rules', async () => {
    const document = await readDmn(fixture('hit-policies.dmn'));
    expect(document).toMatchObject({
      id: 'hit-policies',
      name: 'Hit policies',
      checksum: expect.any(String),
    });
    expect(
      [...document.decisions.values()].map((d) => [
        d.id,
        d.logic.kind === 'decisionTable' && d.logic.hitPolicy,
      ]),
    ).toEqual([
      ['approval-level', 'UNIQUE'],
      ['notify-channel', 'FIRST'],
      ['review-level', 'PRIORITY'],
      ['change-freeze', 'ANY'],
      ['release-checklist', 'COLLECT'],
      ['risk-score', 'COLLECT'],
      ['earliest-window', 'COLLECT'],
      ['latest-window', 'COLLECT'],
      ['risk-factors', 'COLLECT'],
      ['approvers', 'RULE ORDER'],
      ['reviewers-by-rank', 'OUTPUT ORDER'],
    ]);
    const classification = (await readDmn(releaseClass())).decisions.get('release-class')!;
    expect(classification).toMatchObject({
      name: '发布分类',
      requires: [],
      logic: {
        kind: 'decisionTable',
        hitPolicy: 'UNIQUE',
        inputs: [
          { title: '是否紧急', expression: 'urgent' },
          { title: '风险等级', expression: 'risk' },
          { title: '影响范围', expression: 'impact' },
        ],
        outputs: [
          { title: '发布类别', name: 'releaseClass', priorities: [] },
          { title: '类别名称', name: 'className' },
        ],
      },
    });
    expect(classification.logic.kind === 'decisionTable' && classification.logic.rules[0]).toEqual({
      id: 'release-class-r1',
      index: 1,
      inputEntries: ['true', undefined, undefined],
      outputEntries: ['"emergency"', '"紧急发布"'],
    });
  });

  it('reads required decisions and literal expressions', async () => {
    const document = await readDmn(fixture('release-plan.dmn'));
    expect(document.decisions.get('release-plan')).toMatchObject({
      requires: ['release-class', 'risk-score'],
      variableName: '发布计划',
      logic: { kind: 'literalExpression' },
    });
  });

  it('tells DMN from BPMN by the namespace', () => {
    expect(looksLikeDmn(releaseClass())).toBe(true);
    expect(
      looksLikeDmn(readFileSync(join(__dirname, '..', '..', 'processes', 'standard-release.bpmn'), 'utf8')),
    ).toBe(false);
  });
});

describe('a DMN file that is refused names the decision, rule and cell', () => {
  it('refuses document type declarations and entities before parsing, as the BPMN deploy does', async () => {
    const xml = releaseClass().replace('<definitions', '<!DOCTYPE d [<!ENTITY x "y">]>\n<definitions');
    expect(await problemsOf(xml)).toEqual([
      { field: 'xml', message: 'document type declarations and entities are not allowed' },
    ]);
  });

  it('refuses a file that is not DMN 1.3', async () => {
    const bpmn = readFileSync(join(__dirname, '..', '..', 'processes', 'standard-release.bpmn'), 'utf8');
    expect(await problemsOf(bpmn)).toEqual([
      {
        field: 'xml',
        message:
          'not a DMN 1.3 document: its root must be <definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/">',
      },
    ]);
  });

  it('refuses duplicate ids and elements the reader cannot place', async () => {
    const xml = edit(releaseClass(), 'id="release-class-r2"', 'id="release-class-r1"');
    expect(await problemsOf(xml)).toEqual([
      { field: 'release-class-r1', message: expect.stringMatching(/duplicate ID <release-class-r1>/) },
    ]);
  });

  it('a syntax error in an input entry names the decision, the rule and the input column', async () => {
    const xml = edit(releaseClass(), '<text>"高"</text>', '<text>"高</text>');
    expect(await problemsOf(xml)).toEqual([
      {
        field: 'release-class.release-class-r2',
        message:
          'decision "release-class": rule 2 (release-class-r2), input "风险等级": FEEL syntax error at position 0',
      },
    ]);
  });

  it('a syntax error in an output entry names the output column', async () => {
    const xml = edit(releaseClass(), '<text>"重大发布"</text>', '<text>"重大" +</text>');
    expect(await problemsOf(xml)).toEqual([
      {
        field: 'release-class.release-class-r2',
        message: expect.stringMatching(
          /^decision "release-class": rule 2 \(release-class-r2\), output "类别名称": FEEL syntax error/,
        ),
      },
    ]);
  });

  it('a rule with a missing cell', async () => {
    const xml = edit(
      releaseClass(),
      /(<rule id="release-class-r3">[\s\S]*?)<inputEntry id="[^"]+">\s*<text>"全公司"<\/text>\s*<\/inputEntry>/,
      '$1',
    );
    expect(await problemsOf(xml)).toEqual([
      {
        field: 'release-class.release-class-r3',
        message: 'decision "release-class": rule 3 (release-class-r3) has 2 input entries for 3 inputs',
      },
    ]);
  });

  it('an input without an expression', async () => {
    const xml = edit(releaseClass(), '<text>risk</text>', '<text></text>');
    expect(await problemsOf(xml)).toEqual([
      {
        field: 'release-class.Input_hodzdoc',
        message: 'decision "release-class": input "风险等级": needs an input expression',
      },
    ]);
  });

  it('an expression language other than FEEL: nothing deployed runs code', async () => {
    const xml = edit(
      releaseClass(),
      '<inputExpression id="InputExpression_9is0j8h"',
      '<inputExpression expressionLanguage="javascript" id="InputExpression_9is0j8h"',
    );
    expect(await problemsOf(xml)).toEqual([
      {
        field: 'release-class.Input_hodzdoc',
        message:
          'decision "release-class": input "风险等级": expression language "javascript" is not supported: only FEEL is (nothing deployed runs code)',
      },
    ]);
  });

  it('a hit policy DMN does not have', async () => {
    const xml = edit(
      releaseClass(),
      '<decisionTable id="DecisionTable_ujzde8g">',
      '<decisionTable id="DecisionTable_ujzde8g" hitPolicy="LAST">',
    );
    expect(await problemsOf(xml)).toEqual([
      {
        field: 'release-class',
        message:
          'decision "release-class": hit policy "LAST" is not one of UNIQUE, FIRST, PRIORITY, ANY, COLLECT, RULE ORDER, OUTPUT ORDER',
      },
    ]);
  });

  it('an aggregation without COLLECT, or over several outputs', async () => {
    const first = edit(
      releaseClass(),
      '<decisionTable id="DecisionTable_ujzde8g">',
      '<decisionTable id="DecisionTable_ujzde8g" hitPolicy="FIRST" aggregation="SUM">',
    );
    expect(await problemsOf(first)).toEqual([
      {
        field: 'release-class',
        message: 'decision "release-class": aggregation SUM is only allowed with hit policy COLLECT',
      },
    ]);
    const collect = edit(
      releaseClass(),
      '<decisionTable id="DecisionTable_ujzde8g">',
      '<decisionTable id="DecisionTable_ujzde8g" hitPolicy="COLLECT" aggregation="COUNT">',
    );
    expect(await problemsOf(collect)).toEqual([
      {
        field: 'release-class',
        message: 'decision "release-class": aggregation COUNT needs a table with one output, this one has 2',
      },
    ]);
  });

  it('PRIORITY without output values to order by', async () => {
    const xml = edit(
      edit(
        releaseClass(),
        '<decisionTable id="DecisionTable_ujzde8g">',
        '<decisionTable id="DecisionTable_ujzde8g" hitPolicy="PRIORITY">',
      ),
      /<outputValues[\s\S]*?<\/outputValues>/,
      '',
    );
    expect(await problemsOf(xml)).toEqual([
      {
        field: 'release-class',
        message:
          'decision "release-class": hit policy PRIORITY orders by the output values: list them, highest priority first, on an output',
      },
    ]);
  });

  it('several outputs without names to key the result by', async () => {
    const xml = edit(releaseClass(), ' name="className"', '');
    expect(await problemsOf(xml)).toEqual([
      {
        field: 'release-class.Output_seh60kv',
        message: 'decision "release-class": output "类别名称" needs a name: the table has several outputs',
      },
    ]);
  });

  it('a required decision that is not in the file, and required decisions in a cycle', async () => {
    const plan = fixture('release-plan.dmn');
    expect(await problemsOf(edit(plan, 'href="#risk-score"', 'href="#risk-scores"'))).toEqual([
      { field: 'release-plan', message: 'requires decision "risk-scores", which is not in this file' },
    ]);
    const cycle = edit(
      plan,
      '<decision id="risk-score" name="Risk score">',
      '<decision id="risk-score" name="Risk score">\n    <informationRequirement id="IR_back">\n      <requiredDecision href="#release-plan" />\n    </informationRequirement>',
    );
    expect(await problemsOf(cycle)).toEqual([
      {
        field: 'release-plan',
        message: 'required decisions form a cycle: release-plan → risk-score → release-plan',
      },
    ]);
  });

  it('decision logic this evaluator does not run', async () => {
    const xml = edit(
      fixture('release-plan.dmn'),
      /<literalExpression id="[^"]+">\s*<text>"封网期间[^<]*<\/text>\s*<\/literalExpression>/,
      '<context id="Context_1" />',
    );
    expect(await problemsOf(xml)).toEqual([
      {
        field: 'freeze-notice',
        message:
          'decision "freeze-notice": Context is not supported: only decision tables and literal expressions are',
      },
    ]);
  });

  it('a FEEL cell over the size bounds of one expression', async () => {
    const huge = Array.from({ length: 1_200 }, (_, i) => `"v${i}"`).join(',');
    const xml = edit(releaseClass(), '<text>"高"</text>', `<text>${huge}</text>`);
    expect(await problemsOf(xml)).toEqual([
      {
        field: 'release-class.release-class-r2',
        message: expect.stringMatching(
          /^decision "release-class": rule 2 \(release-class-r2\), input "风险等级": a FEEL cell may have at most 4000 characters/,
        ),
      },
    ]);
  });

  it('lists every problem of a file at once', async () => {
    const xml = edit(
      edit(releaseClass(), '<text>"高"</text>', '<text>"高</text>'),
      '<text>risk</text>',
      '<text></text>',
    );
    expect((await problemsOf(xml)).map((p) => p.field)).toEqual([
      'release-class.Input_hodzdoc',
      'release-class.release-class-r2',
    ]);
  });
});
