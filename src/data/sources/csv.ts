import { existsSync, readFileSync } from 'node:fs';
import { dataError } from '../../errors.js';
import { makeSamples, type RawDataset, type SourceOptions } from '../dataset.js';
import { parseCsvRecords } from './csv-records.js';

/**
 * A CSV file with a header row: numeric feature columns and one label column (`data.labelColumn`,
 * a name or 0-based index; default: a column named "label", else the last). Labels may be
 * integers or names; names become classes in sorted order. Fields follow RFC 4180: quoted fields
 * may hold commas, line breaks and doubled quotes (Python's csv.QUOTE_ALL, pandas, Excel).
 */
export function loadCsv(options: SourceOptions): RawDataset {
  const path = options.path;
  if (!path || !existsSync(path)) throw dataError(`data.path: expected a .csv file, received ${JSON.stringify(path)}`, 'check the path');
  const records = parseCsvRecords(readFileSync(path, 'utf8'), path);
  if (records.length < 2) throw dataError(`${path} has no data rows`, 'the first row is the header, then one row per sample');
  const header = records[0].fields;
  const labelIndex =
    typeof options.labelColumn === 'number'
      ? options.labelColumn
      : header.indexOf(options.labelColumn ?? (header.includes('label') ? 'label' : header[header.length - 1]));
  if (labelIndex < 0 || labelIndex >= header.length) {
    throw dataError(`data.labelColumn: ${JSON.stringify(options.labelColumn)} is not a column of ${path}; columns are ${header.join(', ')}`, 'name one of the columns');
  }
  const dataRecords = records.slice(1);
  const rows = dataRecords.map((record) => record.fields);
  const rawLabels = rows.map((row) => row[labelIndex]);
  const numericLabels = rawLabels.every((l) => /^\d+$/.test(l));
  const classNames = numericLabels ? undefined : [...new Set(rawLabels)].sort();
  const numFeatures = header.length - 1;
  const x = new Float32Array(rows.length * numFeatures);
  const labels = new Int32Array(rows.length);
  rows.forEach((row, r) => {
    const line = dataRecords[r].line;
    if (row.length !== header.length) {
      throw dataError(`${path}:${line}: expected ${header.length} columns, received ${row.length}`, 'every row needs a value for every column');
    }
    let column = 0;
    row.forEach((cell, c) => {
      if (c === labelIndex) return;
      const value = Number(cell);
      if (cell === '' || !Number.isFinite(value)) {
        throw dataError(`${path}:${line} column "${header[c]}": expected a number, received ${JSON.stringify(cell)}`, 'features must be numeric; encode categories as numbers first');
      }
      x[r * numFeatures + column++] = value;
    });
    labels[r] = numericLabels ? Number(row[labelIndex]) : classNames!.indexOf(row[labelIndex]);
  });
  const numClasses = classNames?.length ?? Math.max(...labels) + 1;
  return { name: `csv:${path}`, train: makeSamples(x, labels, [numFeatures]), numClasses, classNames };
}
