import { expect } from 'chai';
import fc from 'fast-check';
import { jsonErrorLocation, jsonErrorOffset } from '../../reports/json-position.js';

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('reports: JSON error position', () => {
  it('agrees with JSON.parse on valid JSON of any shape and spacing', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 2, '\t'), (value, indent) => {
        expect(jsonErrorOffset(JSON.stringify(value, null, indent))).to.equal(null);
      }),
    );
  });

  it('finds an error whenever JSON.parse rejects the text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), fc.string({ minLength: 1, maxLength: 3 }), (value, at, junk) => {
        const text = JSON.stringify(value, null, 2);
        const cut = at % (text.length + 1);
        const broken = text.slice(0, cut) + junk + text.slice(cut);
        expect(jsonErrorOffset(broken) === null).to.equal(parses(broken));
      }),
    );
  });

  it('gives line and column of the first bad token', () => {
    expect(jsonErrorLocation('{\n  "a": 1,\n  "b": oops\n}')).to.equal(':3:8');
    expect(jsonErrorLocation('{"a": [1, 2,]}')).to.equal(':1:13');
    expect(jsonErrorLocation('{"a": 1')).to.equal(':1:8');
    expect(jsonErrorLocation('{"a": 1}')).to.equal('');
  });
});
