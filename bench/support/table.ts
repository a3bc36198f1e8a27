/** A markdown table, the output format of every benchmark. */
export function markdownTable(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]): string => `| ${cells.map(String).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export function printSection(title: string, table: string, notes: string[] = []): void {
  console.log(`\n### ${title}\n\n${table}\n`);
  for (const note of notes) console.log(`- ${note}`);
}

export function fixed(value: number, digits = 0): string {
  return value.toFixed(digits);
}

export function ratio(value: number, reference: number): string {
  return reference > 0 ? `${(value / reference).toFixed(2)}×` : 'n/a';
}
