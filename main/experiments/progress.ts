/** Study progress for the terminal: a redrawn bar on a TTY, one line per cell otherwise (logs, CI). */
import type { StudyEvent } from './study.js';

export function studyProgressPrinter(out: NodeJS.WriteStream = process.stderr): (e: StudyEvent) => void {
  const tty = out.isTTY === true;
  let header = '';
  let lastLine = 0;
  const bar = (f: number, width = 24) => {
    const n = Math.max(0, Math.min(width, Math.round(f * width)));
    return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
  };
  const draw = (text: string) => {
    const cols = out.columns ?? 100;
    out.write(`\r${text.slice(0, cols - 1).padEnd(Math.min(lastLine, cols - 1))}`);
    lastLine = Math.min(text.length, cols - 1);
  };
  return (e) => {
    if (e.type === 'cell-started') {
      header = `cell ${e.position}/${e.total} ${e.cell.key}`;
      if (tty) draw(`${header} …`);
      else out.write(`${header}: started\n`);
    } else if (e.type === 'cell-progress') {
      if (tty) draw(`${header} ${e.fraction !== undefined ? bar(e.fraction) + ' ' : ''}${e.message}`);
    } else if (e.type === 'cell-finished') {
      const c = e.cell;
      const line = `${header}: ${c.status}${c.error ? ` (${c.error})` : ''}`;
      if (tty) {
        draw(line);
        out.write('\n');
        lastLine = 0;
      } else out.write(`${line}\n`);
    } else if (e.type === 'analysis') {
      if (tty) draw(e.message);
      else out.write(`${e.message}\n`);
    } else if (e.type === 'study-finished') {
      if (tty && lastLine) out.write('\n');
      const s = e.summary;
      out.write(`study ${e.status}: ${s.succeeded}/${s.cells} cells succeeded, ${s.failed} failed, ${s.oom} out of memory\n`);
    }
  };
}
