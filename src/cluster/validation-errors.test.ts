import { describe, expect, it } from 'vitest';
import { describeViolation, expected } from './validation-errors.js';

describe('expected', () => {
  it('says what a schema wants in words', () => {
    expect(expected({ type: 'string' })).toBe('a string');
    expect(expected({ type: 'integer' })).toBe('an integer');
    expect(expected({ type: 'array', items: { type: 'string' } })).toBe('a list of strings');
    expect(expected({ type: 'object', additionalProperties: { type: 'string' } })).toBe(
      'an object of string values',
    );
    expect(expected({ enum: ['utf8', 'base64'] })).toBe('one of utf8, base64');
    expect(expected({ anyOf: [{ type: 'integer' }, { type: 'string' }] })).toBe('an integer or a string');
  });
});

describe('describeViolation', () => {
  const schema = {
    type: 'object',
    required: ['path'],
    properties: {
      path: { type: 'string' },
      files: {
        type: 'array',
        items: { type: 'object', required: ['size'], properties: { size: { type: 'integer' } } },
      },
    },
  };

  it('names a missing field, where it was and its type', () => {
    expect(
      describeViolation(
        { keyword: 'required', instancePath: '', params: { missingProperty: 'path' } },
        'body',
        schema,
        {},
      ),
    ).toBe("'path' is required in the body (a string)");
  });

  it('names a nested field by its dotted path, with the value it got', () => {
    const data = { path: '/a', files: [{ size: 'big' }] };
    expect(
      describeViolation(
        { keyword: 'type', instancePath: '/files/0/size', params: { type: 'integer' } },
        'body',
        schema,
        data,
      ),
    ).toBe(`'files.0.size' in the body must be an integer, got "big"`);
    expect(
      describeViolation(
        { keyword: 'required', instancePath: '/files/0', params: { missingProperty: 'size' } },
        'body',
        schema,
        { files: [{}] },
      ),
    ).toBe("'files.0.size' is required in the body (an integer)");
  });

  it('says when the whole part is of the wrong kind', () => {
    expect(
      describeViolation({ keyword: 'type', instancePath: '', params: {} }, 'body', schema, undefined),
    ).toBe('the body must be a JSON object, got nothing');
  });
});
