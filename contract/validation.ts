/**
 * Validation messages a researcher can act on, shared by the hosts (400 answers) and the renderer (forms check
 * with the same schemas before sending). zod's default messages ("Too big: expected number to be <=1000") are
 * replaced by one naming the field and its range in words; messages written into a schema are kept as they are.
 */
import type { z } from 'zod';

/** Field names as forms label them; a path's last named key is looked up here. */
export const FIELD_LABELS: Record<string, string> = {
  method: 'Method',
  patch: 'Patch size',
  patches: 'Patch sizes',
  dim: 'Embedding width',
  dims: 'Widths',
  depth: 'Depth',
  depths: 'Depths',
  heads: 'Heads',
  maskRatio: 'Masking ratio',
  augmentations: 'Augmentations',
  tau: 'Temperature τ',
  batchSize: 'Batch size',
  lr: 'Learning rate',
  learningRate: 'Learning rate',
  weightDecay: 'Weight decay',
  steps: 'Steps',
  datasets: 'Datasets',
  pretrainDatasets: 'Pre-training datasets',
  sourceWeights: 'Source weights',
  dataset: 'Dataset',
  seed: 'Seed',
  name: 'Name',
  tasks: 'Tasks',
  methods: 'Methods',
  protocols: 'Protocols',
  protocol: 'Protocol',
  baselines: 'Baselines',
  split: 'Split',
  epochs: 'Epochs',
  probeEpochs: 'Probe epochs',
  finetuneEpochs: 'Fine-tune epochs',
  percents: 'Percentages',
  repeats: 'Repeats',
  runId: 'Encoder run',
  path: 'Path',
  rate: 'Sampling rate',
  target: 'Target',
  threshold: 'Threshold',
  patience: 'Patience',
  warmupEpochs: 'Warm-up epochs',
  layerDecay: 'Layer-wise lr decay',
};

export interface FieldIssue {
  path: string;
  message: string;
}

const fmt = (v: number) => (Math.abs(v) >= 1000 && Number.isInteger(v) ? v.toLocaleString('en-US') : String(v));

export function fieldLabel(path: readonly PropertyKey[]): string {
  const key = [...path].reverse().find((k) => typeof k === 'string');
  if (typeof key !== 'string') return 'Input';
  return FIELD_LABELS[key] ?? key.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());
}

type Def = { type?: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType>; element?: z.ZodType; checks?: { _zod: { def: Check } }[]; in?: z.ZodType };
type Check = { check?: string; value?: number; inclusive?: boolean; format?: string };

function def(s: z.ZodType): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

/** The schema at `path` inside `schema`, through optional/default/pipe wrappers, objects and arrays. */
function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | null {
  let s: z.ZodType | undefined = schema;
  const unwrap = () => {
    for (let i = 0; i < 8 && s; i++) {
      const d = def(s);
      if (d.innerType) s = d.innerType;
      else if (d.type === 'pipe' && d.in) s = d.in;
      else break;
    }
  };
  for (const key of path) {
    unwrap();
    if (!s) return null;
    const d = def(s);
    if (typeof key === 'string' && d.shape) s = d.shape[key] ?? (s as unknown as { shape?: Record<string, z.ZodType> }).shape?.[key];
    else if (typeof key === 'number' && d.element) s = d.element;
    else return null;
  }
  unwrap();
  // Array-level issues about their numbers (e.g. "patches.0") land on the element; a bare array keeps itself.
  return s ?? null;
}

/** "a whole number from 1 to 1,000", "a number above 0 and below 1", or null when the schema has no range. */
export function rangeInWords(schema: z.ZodType, path: readonly PropertyKey[]): string | null {
  let s = schemaAt(schema, path);
  if (s && def(s).type === 'array' && def(s).element) s = def(s).element!;
  if (!s || def(s).type !== 'number') return null;
  const checks = (def(s).checks ?? []).map((c) => c._zod.def);
  const int = checks.some((c) => c.check === 'number_format' && /int/.test(c.format ?? ''));
  const lo = checks.find((c) => c.check === 'greater_than');
  const hi = checks.find((c) => c.check === 'less_than');
  const kind = int ? 'a whole number' : 'a number';
  const loText = lo ? (lo.inclusive ? `at least ${fmt(lo.value!)}` : `above ${fmt(lo.value!)}`) : '';
  const hiText = hi ? (hi.inclusive ? `at most ${fmt(hi.value!)}` : `below ${fmt(hi.value!)}`) : '';
  if (lo?.inclusive && hi?.inclusive) return `${kind} from ${fmt(lo.value!)} to ${fmt(hi.value!)}`;
  const parts = [loText, hiText].filter(Boolean);
  return parts.length ? `${kind} ${parts.join(' and ')}` : kind;
}

/** zod's own wording, as opposed to a message a schema spells out. */
const DEFAULT_MESSAGE = /^(Invalid input|Invalid option|Too big|Too small|Invalid string|Invalid key|Unrecognized key)/;

export function humanIssue(schema: z.ZodType, issue: z.core.$ZodIssue): FieldIssue {
  const path = issue.path.map(String).join('.');
  if (!DEFAULT_MESSAGE.test(issue.message)) return { path, message: issue.message };
  const label = fieldLabel(issue.path);
  const range = rangeInWords(schema, issue.path);
  const i = issue as z.core.$ZodIssue & { expected?: string; origin?: string; minimum?: number | bigint; maximum?: number | bigint; values?: unknown[]; keys?: string[] };
  switch (issue.code) {
    case 'invalid_type':
      if (range) return { path, message: `${label} must be ${range}.` };
      if (i.expected === 'array') return { path, message: `${label}: choose one or more.` };
      return { path, message: `${label} is missing or not ${i.expected === 'string' ? 'text' : `a ${i.expected ?? 'value'}`}.` };
    case 'too_big':
    case 'too_small':
      if (i.origin === 'array') {
        const n = Number(issue.code === 'too_small' ? i.minimum : i.maximum);
        return { path, message: issue.code === 'too_small' ? `${label}: choose at least ${n}.` : `${label}: choose at most ${n}.` };
      }
      if (i.origin === 'string') {
        const n = Number(issue.code === 'too_small' ? i.minimum : i.maximum);
        return { path, message: issue.code === 'too_small' ? (n <= 1 ? `${label} is required.` : `${label} needs at least ${n} characters.`) : `${label} can have at most ${n} characters.` };
      }
      if (range) return { path, message: `${label} must be ${range}.` };
      return { path, message: `${label} is ${issue.code === 'too_big' ? 'too large' : 'too small'}.` };
    case 'invalid_value':
      return { path, message: `${label} must be one of ${(i.values ?? []).map(String).join(', ')}.` };
    case 'unrecognized_keys':
      return { path, message: `Unknown field${(i.keys?.length ?? 0) > 1 ? 's' : ''}: ${(i.keys ?? []).join(', ')}.` };
    default:
      return { path, message: `${label}: ${issue.message}` };
  }
}

export type Checked<T> = { ok: true; data: T } | { ok: false; issues: FieldIssue[] };

/** Parse with a contract schema; on failure, one readable message per issue, each naming its field. */
export function checkWith<S extends z.ZodType>(schema: S, input: unknown): Checked<z.output<S>> {
  const r = schema.safeParse(input ?? {});
  if (r.success) return { ok: true, data: r.data };
  return { ok: false, issues: r.error.issues.map((i) => humanIssue(schema, i)) };
}

/** The first message for a field (or any nested path under it), for showing under that form control. */
export function issueFor(issues: readonly FieldIssue[], field: string): string | null {
  return issues.find((i) => i.path === field || i.path.startsWith(`${field}.`))?.message ?? null;
}
