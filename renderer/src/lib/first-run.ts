/** The first-run path: data → pre-train → evaluate → compare, and which step the workstation points to next. */
import type { PageName } from '../stores/app.js';

export interface FirstRunState {
  datasets: { name: string; count: number }[];
  runs: { name: string; status: string }[];
  evaluations: number;
  /** The user has opened Compare once with two or more evaluated or pre-trained runs. */
  compared: boolean;
}

export interface NextStep {
  page: PageName;
  /** What to do, in words. */
  text: string;
  /** The button's label. */
  action: string;
}

export function nextStep(s: FirstRunState): NextStep | null {
  const usable = s.datasets.filter((d) => d.count > 0);
  if (!usable.length) return { page: 'datasets', text: 'Start with data: generate the demo cohort or import PTB-XL, CODE-15%, MIMIC-IV-ECG or WFDB records.', action: 'Go to Datasets' };
  const done = s.runs.filter((r) => r.status === 'completed');
  if (!done.length) {
    if (s.runs.some((r) => r.status === 'running' || r.status === 'queued' || r.status === 'paused')) return { page: 'pretrain', text: 'Pre-training is running: follow its loss curves; evaluate it when it completes.', action: 'Pre-train' };
    return { page: 'pretrain', text: `Next: pre-train a foundation model on ${usable[0]!.name} (the "Smoke test" preset takes about a minute).`, action: 'Pre-train' };
  }
  if (s.evaluations === 0) return { page: 'evaluate', text: `Next: evaluate ${done[0]!.name} with a linear probe on the diagnosis tasks.`, action: 'Evaluate' };
  if (!s.compared) return { page: 'compare', text: 'Next: compare runs side by side (settings, metrics and loss curves).', action: 'Compare' };
  return null;
}
