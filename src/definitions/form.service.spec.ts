import { FormService } from './form.service';

describe('the form check', () => {
  const forms = new FormService();
  const valid = { assessmentDecision: 'reject', impactAssessment: 'none' };

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'prototype'])(
    'refuses "%s" as a field the form does not have',
    (key) => {
      // given data parsed from JSON, where "__proto__" is an own key like any other
      const data = JSON.parse(JSON.stringify(valid).replace('{', `{"${key}":1,`));
      // when it is checked, then the key is named as unknown
      expect(() => forms.validate('release-assessment', data)).toThrow(`${key} is not a field of this form`);
    },
  );

  it('counts only own fields: a required field inherited from a prototype is missing', () => {
    // given data whose required decision sits on its prototype (what class-transformer makes of "__proto__")
    const data = Object.assign(Object.create({ assessmentDecision: 'approve' }) as object, {
      impactAssessment: 'none',
    });
    // when it is checked, then the decision is missing
    expect(() => forms.validate('release-assessment', data)).toThrow('assessmentDecision is required');
  });

  it('accepts the form fields themselves', () => {
    expect(forms.validate('release-assessment', { ...valid })).toEqual(valid);
  });
});
