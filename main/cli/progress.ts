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
      const fill = Math.round(frac * width);
      const rate = done / Math.max(0.001, (now - started) / 1000);
      stream.write(`\r${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${total} ${rate.toFixed(0)}/s `);
      drawn = true;
    },
    done() {
      if (enabled && drawn) stream.write('\n');
    },
  };
}
