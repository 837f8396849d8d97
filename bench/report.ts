// The benchmark's report: the rows each phase adds (a measure, its value, its target and
// PASS/FAIL), the machine it ran on, the printed table and the verdict, and the JSON figures.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, release, totalmem } from 'node:os';
import type { Options } from './options.js';

const MS_PER_S = 1000;

export interface Row {
  measure: string;
  value: string;
  target: string;
  /** undefined: reported, no target. */
  pass: boolean | undefined;
}

/**
 * Where a row goes in the table. Not the order the phases run in: the order of the tables the
 * earlier sessions printed (docs/benchmarks.md), so that two runs compare line by line. The
 * path row is judged after the quiet cycles (a later path change counts), the memory rows
 * once the floor and the main run's readings are all in.
 */
const SECTIONS = [
  'path',
  'quiet',
  'start',
  'latency',
  'burst',
  'memory',
  'stop',
  'restart',
] as const;
export type Section = (typeof SECTIONS)[number];

/** Rows by section; a section's rows keep the order they were added in. */
export class Rows {
  private readonly bySection = new Map<Section, Row[]>();

  add(section: Section, ...rows: Row[]): void {
    this.bySection.set(section, [...(this.bySection.get(section) ?? []), ...rows]);
  }

  all(): Row[] {
    return SECTIONS.flatMap((section) => this.bySection.get(section) ?? []);
  }
}

export interface Report {
  machine: Record<string, string>;
  options: Options;
  subscriptions: number;
  rows: Row[];
  passed: boolean;
  figures: Record<string, unknown>;
}

export const fmt = (value: number, digits = 0): string =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      })
    : 'n/a';
export const seconds = (ms: number, digits = 2): string => `${fmt(ms / MS_PER_S, digits)} s`;

export function describeMachine(): Record<string, string> {
  let cpuModel = 'unknown';
  try {
    cpuModel =
      /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch (err) {
    void err; // not Linux: the model stays unknown
  }
  return {
    date: new Date().toISOString(),
    cpus: String(availableParallelism()),
    cpuModel,
    memory: `${fmt(totalmem() / 1024 ** 3, 1)} GiB`,
    node: process.version,
    kernel: release(),
    source: describeSource(),
    loadAtStart: loadAverage(),
  };
}

/** The commit measured, and whether src/ had uncommitted changes (they are in the build too). */
function describeSource(): string {
  try {
    // Not trimmed: porcelain lines start with a two-letter status that may begin with a space.
    const git = (...args: string[]) =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const head = git('rev-parse', '--short', 'HEAD').trim();
    const changed = git('status', '--porcelain', '--', 'src')
      .split('\n')
      .filter((l) => l !== '');
    return changed.length === 0
      ? head
      : `${head} + uncommitted changes in ${changed.map((l) => l.slice(3)).join(', ')}`;
  } catch (err) {
    void err; // not a git checkout (a release tarball): the version is in package.json
    return 'unknown (not a git checkout)';
  }
}

/** 1, 5 and 15-minute load averages: other work on the machine skews every timing. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => fmt(l, 2))
    .join(' ');
}

/** The table as a Markdown table (docs/benchmarks.md keeps these verbatim). */
function formatTable(rows: readonly Row[]): string[] {
  const header = ['Measure', 'Value', 'Target', 'Result'];
  const lines = rows.map((r) => [
    r.measure,
    r.value,
    r.target,
    r.pass === undefined ? '—' : r.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const row = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)];
}

export function printReport(report: Report): void {
  const { machine, options } = report;
  console.log('');
  console.log(
    `tickets-pushbot benchmark — API ${options.api}${options.api === 'v3' ? `, path ${options.path}` : ''}, ` +
      `${options.chats} chats × ${options.cases} cases = ${fmt(report.subscriptions)} subscriptions, ` +
      `poll interval ${options.intervalSeconds} s, sweep every ${options.fullSweepEvery} cycles` +
      `, daemon node flags: ${options.nodeFlags.length > 0 ? options.nodeFlags.join(' ') : 'none'}`,
  );
  console.log(
    `machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memory} RAM, Node ${machine.node}, Linux ${machine.kernel}, ${machine.date}`,
  );
  console.log(`source: ${machine.source}`);
  console.log(
    `load average (1/5/15 min): ${machine.loadAtStart} at the start, ${machine.loadAtEnd} at the end; run took ${machine.duration}`,
  );
  console.log('');
  for (const line of formatTable(report.rows)) console.log(line);
  console.log('');
  const failed = report.rows.filter((r) => r.pass === false).map((r) => r.measure.trim());
  console.log(
    failed.length === 0
      ? 'All targets met.'
      : `Some targets were MISSED (see FAIL above): ${failed.join('; ')}.`,
  );
}

export async function writeJson(path: string, report: Report): Promise<void> {
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`figures written to ${path}`);
}
