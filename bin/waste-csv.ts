// A small CSV reader for `calle waste predict` (RFC 4180: comma separated, fields optionally in
// double quotes with "" for a quote, CRLF or LF line ends), with errors that name the file, the
// line and the column. No package for this: the inputs are two flat files.

export class CsvError extends Error {
  constructor(file: string, line: number, column: string | number, reason: string) {
    super(`${file}:${line}: ${typeof column === 'number' ? `column ${column}` : column}: ${reason}`);
    this.name = 'CsvError';
  }
}

const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

/** One data row: its 1-based line in the file and its fields by column name. */
export class CsvRow {
  constructor(
    readonly line: number,
    readonly fields: readonly string[],
    readonly columns: ReadonlyMap<string, number>,
  ) {}

  /** The trimmed field of a column asked for in readCsv(). */
  get(column: string): string {
    const k = this.columns.get(column);
    if (k === undefined) throw new Error(`readCsv: column "${column}" was not asked for`);
    return this.fields[k]!.trim();
  }
}

/** Splits text into records of raw fields, each with the line it starts on. */
function records(file: string, text: string): { line: number; fields: string[] }[] {
  const out: { line: number; fields: string[] }[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // a spreadsheet's byte-order mark
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw new CsvError(file, start, fields.length + 1, 'quoted field is not closed');
          const ch = text[i]!;
          if (ch === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (ch === '\n') line++;
          field += ch;
          i++;
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r')
          throw new CsvError(file, line, fields.length + 1, 'text after a closing quote');
      } else {
        const from = i;
        for (
          let ch = text.charCodeAt(i);
          i < n && ch !== COMMA && ch !== LF && ch !== CR;
          ch = text.charCodeAt(++i)
        ) {
          if (ch === QUOTE)
            throw new CsvError(file, line, fields.length + 1, 'a quote inside an unquoted field');
        }
        // Sliced, not appended a character at a time: a month of a district is ~10^6 fields.
        field = text.slice(from, i);
      }
      fields.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    // Blank lines (a trailing newline, spacing) are not records.
    if (!(fields.length === 1 && fields[0] === '')) out.push({ line: start, fields });
    line++;
  }
  return out;
}

/**
 * Parses `text` whose header must hold every name in `columns` (any order, extra columns
 * ignored); every row must have as many fields as the header.
 */
export function readCsv(file: string, text: string, columns: readonly string[]): CsvRow[] {
  const [header, ...rows] = records(file, text);
  if (!header) throw new CsvError(file, 1, 'header', `empty file; expected ${columns.join(',')}`);
  const names = header.fields.map((f) => f.trim());
  const at = new Map<string, number>();
  for (const c of columns) {
    const k = names.indexOf(c);
    if (k < 0)
      throw new CsvError(file, header.line, 'header', `missing column "${c}" (got ${names.join(',')})`);
    at.set(c, k);
  }
  return rows.map((r) => {
    if (r.fields.length !== names.length)
      throw new CsvError(file, r.line, 'row', `${r.fields.length} fields, the header has ${names.length}`);
    return new CsvRow(r.line, r.fields, at);
  });
}

/** One CSV field, quoted when it must be. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
