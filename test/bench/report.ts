import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname } from 'node:path';

export type Scalar = number | string | boolean | null;

/** One measured figure as written to the JSON results: the value(s), the unit and how it was measured. */
export interface Figure {
  name: string;
  value?: Scalar;
  values?: Record<string, Scalar>;
  unit: string;
  /** How the figure was measured: what was timed or counted, where, with which parameters. */
  method: string;
}

export interface Table {
  columns: string[];
  rows: Scalar[][];
}

/** What one benchmark section hands back: its figures, the table to print, and anything that went wrong. */
export interface SectionResult {
  title: string;
  figures: Figure[];
  tables: Table[];
  /** Things the reader must not miss (failures, skipped parts); printed after the table. */
  problems: string[];
  notes: string[];
}

export interface Results {
  machine: { cpus: number; cpuModel: string; node: string; platform: string; date: string };
  options: Record<string, Scalar>;
  wallTimeSeconds: number;
  figures: Figure[];
  problems: string[];
}

export function machine(): Results['machine'] {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
  };
}

function cell(value: Scalar): string {
  if (value === null) return '-';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'n/a';
    return value.toLocaleString('en-US', { maximumFractionDigits: Math.abs(value) < 10 ? 2 : 1 });
  }
  return String(value);
}

/** An aligned text table: numbers right-aligned, text left-aligned. */
export function formatTable(table: Table): string {
  const text = table.rows.map((row) => row.map(cell));
  const widths = table.columns.map((column, i) =>
    Math.max(column.length, ...text.map((row) => (row[i] ?? '').length)),
  );
  const numeric = table.columns.map((_, i) => table.rows.every((row) => typeof row[i] !== 'string'));
  const line = (values: string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(table.columns), rule, ...text.map(line)].join('\n');
}

export function formatSection(section: SectionResult): string {
  const parts = [`\n== ${section.title} ==`];
  for (const table of section.tables) parts.push(formatTable(table), '');
  for (const note of section.notes) parts.push(`  note: ${note}`);
  for (const problem of section.problems) parts.push(`  !! ${problem}`);
  return parts.join('\n');
}

export async function writeResults(path: string, results: Results): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(results, null, 2)}\n`);
}
