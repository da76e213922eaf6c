import { describe, expect, it } from 'vitest';
import { MorphnetError } from '../../errors.js';
import { parseCsvRecords } from './csv-records.js';

const fieldsOf = (text: string) => parseCsvRecords(text, 'd.csv').map((record) => record.fields);

describe('parseCsvRecords (RFC 4180)', () => {
  it('splits plain records on commas and trims unquoted fields', () => {
    expect(fieldsOf('a,b\n1, 2 \n')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('keeps commas, line breaks and doubled quotes inside quoted fields, verbatim', () => {
    expect(fieldsOf('"x, y","say ""hi""","two\r\nlines"," padded "\r\n')).toEqual([['x, y', 'say "hi"', 'two\r\nlines', ' padded ']]);
  });

  it('ends records at LF, CRLF and CR, skips blank lines and a byte-order mark, and reads a last record without a newline', () => {
    expect(fieldsOf('\ufeffa,b\r\n1,2\r3,4\n\n  \n5,6')).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
      ['5', '6'],
    ]);
  });

  it('keeps empty fields, quoted or not', () => {
    expect(fieldsOf('1,,""\n')).toEqual([['1', '', '']]);
    expect(fieldsOf('""\n')).toEqual([['']]);
  });

  it('gives each record the line it starts on, counting line breaks inside quotes', () => {
    // line 1: header; lines 2-4: one record whose quoted field holds two line breaks; line 5: the next.
    const records = parseCsvRecords('h1,h2\n1,"a\nb\nc"\n2,d\n', 'd.csv');
    expect(records.map((r) => r.line)).toEqual([1, 2, 5]);
  });

  it('allows spaces around a quoted field', () => {
    expect(fieldsOf('1, "a,b" ,2\n')).toEqual([['1', 'a,b', '2']]);
  });

  it('refuses a quoted field that is never closed, naming the line it opens on', () => {
    expect(() => parseCsvRecords('a,b\n1,"open\n2,3\n', 'd.csv')).toThrow('d.csv:2: a quoted field opened on this line is never closed');
    expect(() => parseCsvRecords('a,b\n1,"open\n', 'd.csv')).toThrow(MorphnetError);
  });

  it('refuses text after a closing quote, naming the line and the character', () => {
    expect(() => parseCsvRecords('a,b\n1,"x"y\n', 'd.csv')).toThrow('d.csv:2: expected a comma or the end of the line after a quoted field, received "y"');
  });
});
