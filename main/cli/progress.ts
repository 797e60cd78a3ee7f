/** Terminal progress: the bar every command draws, a counting bar for imports and exports, and study progress. */
import type { StudyEvent } from '../experiments/study.js';

/** `[#####.....]` for a fraction in [0, 1]. */
export function bar(fraction: number, width = 24): string {
  const n = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

/** A one-line progress bar for TTYs; silent elsewhere (pipes, CI logs, --json). */
export interface Progress {
  update(done: number, total: number): void;
  done(): void;
}

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  const enabled = stream.isTTY === true;
  const started = Date.now();
  let last = 0;
  let drawn = false;
  return {
    update(done, total) {
      if (!enabled) return;
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 40));
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      const rate = done / Math.max(0.001, (now - started) / 1000);
      stream.write(`\r${label} ${bar(frac, width)} ${done}/${total} ${rate.toFixed(0)}/s `);
      drawn = true;
    },
    done() {
      if (enabled && drawn) stream.write('\n');
    },
  };
}

/** Study progress: a redrawn line on a TTY, one line per cell otherwise (logs, CI). */
export function studyProgressPrinter(out: NodeJS.WriteStream = process.stderr): (e: StudyEvent) => void {
  const tty = out.isTTY === true;
  let header = '';
  let lastLine = 0;
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
