/** What every CLI command module exports, and the exit codes they share. */
/**
 * `partial`: some records failed but the dataset is usable; `nothingImported`: no record could be read (no dataset
 * was created). Both are listed in the README's exit-code table.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3, partial: 4, nothingImported: 5, interrupted: 130 } as const;

/** An error whose message tells the user what to do; the CLI prints it without a stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
  }
}

export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
