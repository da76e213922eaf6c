import { dataError } from '../../errors.js';

/** One CSV record: its fields and the (1-based) line it starts on, for error messages. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

type State = 'fieldStart' | 'unquoted' | 'quoted' | 'afterClosingQuote';

/**
 * Splits CSV text into records as RFC 4180 defines them (what Python's `csv`, pandas and Excel
 * write): fields in double quotes may hold commas, line breaks and doubled quotes (`""` is one
 * `"`); records end at LF, CRLF or CR. Unquoted fields are trimmed, quoted ones kept verbatim;
 * a leading byte-order mark and blank lines are skipped. `source` names the file in errors.
 */
export function parseCsvRecords(text: string, source: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let fieldQuoted = false;
  let recordQuoted = false;
  let state = 'fieldStart' as State;
  let line = 1;
  let recordLine = 1;
  let quoteLine = 1;

  const endField = () => {
    fields.push(fieldQuoted ? field : field.trim());
    field = '';
    fieldQuoted = false;
    state = 'fieldStart';
  };
  const endRecord = () => {
    endField();
    const blankLine = fields.length === 1 && fields[0] === '' && !recordQuoted;
    if (!blankLine) records.push({ line: recordLine, fields });
    fields = [];
    recordQuoted = false;
    line++;
    recordLine = line;
  };
  const openQuote = () => {
    field = '';
    fieldQuoted = true;
    recordQuoted = true;
    quoteLine = line;
    state = 'quoted';
  };

  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (state === 'quoted') {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') state = 'afterClosingQuote';
      else {
        if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
        field += c;
      }
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
    } else if (c === ',') endField();
    else if (state === 'afterClosingQuote') {
      if (c.trim() !== '') {
        throw dataError(
          `${source}:${line}: expected a comma or the end of the line after a quoted field, received ${JSON.stringify(c)}`,
          'inside a quoted field write a quote as two quotes ("say ""hi""") and close the field before the comma',
        );
      }
    } else if (c === '"' && field.trim() === '') openQuote();
    else {
      field += c;
      state = 'unquoted';
    }
  }
  if (state === 'quoted') {
    throw dataError(
      `${source}:${quoteLine}: a quoted field opened on this line is never closed (the file ends inside it)`,
      'close the field with a double quote; a quote inside a quoted field is written as two quotes ("")',
    );
  }
  const unfinishedRecord = fields.length > 0 || fieldQuoted || field.trim() !== '';
  if (unfinishedRecord) endRecord();
  return records;
}
