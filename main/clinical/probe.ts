/**
 * Linear probes as model packages. `evaluate` keeps each linear protocol's probe beside its results
 * (`probe-<protocol>.json`: the head over the raw embeddings, the encoder it froze, the validation predictions and
 * the records it and its encoder saw); `exportProbePackage` turns one into an `.ecgfm` package, encoder plus head,
 * that `clinical run` scores like a fine-tuned model. A probe's logit is w·embed(x) + b, exactly what the package's
 * ClinicalModel computes, so the package reproduces the evaluation's scores.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { CachedDataset } from '../data/types.js';
import type { EvaluationResult } from '../evaluation/evaluate.js';
import { auroc, averagePrecision } from '../evaluation/metrics.js';
import { deriveSeed } from '../evaluation/random.js';
import { createEncoder } from '../models/encoder.js';
import type { FoundationModel } from '../models/foundation.js';
import { loadTensorFile } from '../models/tensor-file.js';
import type { VitConfig } from '../models/types.js';
import { resolveVitConfig } from '../models/vit.js';
import { PRODUCT_NAME, PRODUCT_VERSION } from '../version.js';
import { packagedTasks } from './export.js';
import type { OperatingRule } from './metrics.js';
import { HEAD_B, HEAD_W } from './model.js';
import { defaultPreprocessing, writeModelPackage, type NamedWeights, type PackageHeader } from './package.js';
import { encoderSeen, mergeSeen, seenOf } from './provenance.js';

export const PROBE_PROTOCOLS = ['linear', 'random-linear'] as const;
export type ProbeProtocol = (typeof PROBE_PROTOCOLS)[number];

export const probeFileName = (protocol: ProbeProtocol) => `probe-${protocol}.json`;

const predictions = z.object({ ids: z.array(z.string()), labels: z.array(z.array(z.number())), scores: z.array(z.array(z.number())) });
const seen = z.object({ records: z.array(z.string()), patients: z.array(z.string()) });

const probeFileSchema = z.object({
  format: z.literal('ecgfm-probe'),
  version: z.literal(1),
  protocol: z.enum(PROBE_PROTOCOLS),
  dataset: z.string(),
  datasetKind: z.string(),
  split: z.string(),
  tasks: z.array(z.string()).min(1),
  seed: z.number().int(),
  settings: z.record(z.string(), z.unknown()),
  chosenEpochs: z.array(z.number()),
  architecture: z.object({ patch: z.number(), depth: z.number(), dim: z.number() }).passthrough(),
  /** The frozen encoder: a pre-training run's checkpoint, or null for the random-init encoder of `seed`. */
  encoder: z.object({ runId: z.string(), runDir: z.string(), checkpoint: z.string() }).nullable(),
  head: z.object({ dim: z.number().int(), w: z.array(z.number()), b: z.array(z.number()) }),
  validation: predictions,
  test: predictions,
  /** The probe's training and validation records plus its encoder's pre-training records. */
  seen,
  seenNote: z.string(),
  metrics: z.object({ test: z.array(z.object({ task: z.string(), n: z.number(), positives: z.number(), auroc: z.number().nullable(), auprc: z.number().nullable() })), criteria: z.number().nullable() }),
  backend: z.string(),
  createdAt: z.string(),
});
export type ProbeFile = z.infer<typeof probeFileSchema>;

export interface ProbeEncoderInfo {
  runId: string;
  runDir: string;
  /** The checkpoint folder whose weights were frozen. */
  checkpoint: string;
  config: VitConfig;
}

const num = (v: number) => (Number.isFinite(v) ? v : null);

/** Writes `probe-<protocol>.json` into an evaluation folder; null when the result is not a linear probe. */
export function writeProbeFile(outDir: string, result: EvaluationResult, dataset: CachedDataset, encoder: ProbeEncoderInfo | null, architecture: VitConfig): string | null {
  const protocol = result.protocol;
  if (!result.probe || !(PROBE_PROTOCOLS as readonly string[]).includes(protocol)) return null;
  const pretrained = protocol === 'linear' ? encoder : null;
  if (protocol === 'linear' && !pretrained) throw new Error('a linear probe needs its encoder run to be exported');
  const enc = pretrained ? encoderSeen(pretrained.runDir, dataset) : { seen: null, note: 'random-init encoder: it saw no records' };
  const ids = (idx: number[]) => idx.map((i) => dataset.meta(i).id);
  const file: ProbeFile = {
    format: 'ecgfm-probe',
    version: 1,
    protocol: protocol as ProbeProtocol,
    dataset: dataset.name,
    datasetKind: dataset.kind,
    split: result.split.description,
    tasks: result.tasks,
    seed: result.settings.seed,
    settings: { ...result.settings },
    chosenEpochs: result.chosenEpochs,
    architecture: { ...(pretrained?.config ?? architecture) },
    encoder: pretrained ? { runId: pretrained.runId, runDir: resolve(pretrained.runDir), checkpoint: resolve(pretrained.checkpoint) } : null,
    head: { dim: result.probe.dim, w: result.probe.w, b: result.probe.b },
    validation: { ids: ids(result.val.indices), labels: result.val.labels, scores: result.val.scores },
    test: { ids: ids(result.test.indices), labels: result.test.labels, scores: result.test.scores },
    seen: mergeSeen(seenOf(dataset, [...result.probe.train, ...result.val.indices]), enc.seen),
    seenNote: `probe trained on ${result.probe.train.length} and validated on ${result.val.indices.length} records of ${dataset.name}; ${enc.note}`,
    metrics: {
      test: result.metrics.map((m) => ({ task: m.task, n: m.n, positives: m.positives, auroc: num(m.auroc), auprc: num(m.auprc) })),
      criteria: num(result.criteria),
    },
    backend: result.backend,
    createdAt: new Date().toISOString(),
  };
  const path = join(outDir, probeFileName(file.protocol));
  writeFileSync(path, JSON.stringify(file));
  return path;
}

export function readProbeFile(evalDir: string, protocol: ProbeProtocol): ProbeFile {
  const path = join(evalDir, probeFileName(protocol));
  if (!existsSync(path)) {
    const other = PROBE_PROTOCOLS.find((p) => p !== protocol && existsSync(join(evalDir, probeFileName(p))));
    throw new Error(
      `${evalDir} holds no ${protocol} probe (${probeFileName(protocol)} is missing)` +
        (other ? `; it has a ${other} probe (--protocol ${other})` : ': run `ecgfm evaluate --protocols linear …`, which writes it beside result.json'),
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: not JSON (${(err as Error).message})`);
  }
  const r = probeFileSchema.safeParse(raw);
  if (!r.success) throw new Error(`${path}: not a probe file (${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ')})`);
  return r.data;
}

/** The frozen encoder's `enc.*` weights: the recorded checkpoint, or the seeded random init. */
async function encoderWeights(probe: ProbeFile, config: VitConfig): Promise<NamedWeights> {
  let weights: NamedWeights;
  if (probe.encoder) {
    const file = join(probe.encoder.checkpoint, 'weights.ecgfmt');
    if (!existsSync(file)) throw new Error(`the probe's encoder checkpoint ${file} is gone (run ${probe.encoder.runId}); the probe cannot be packaged without it`);
    weights = loadTensorFile(file);
  } else {
    // Evaluation's random-init encoder: the same seed derivation gives the same weights.
    const encoder = createEncoder(config, deriveSeed(probe.seed, 'random-init'));
    try {
      weights = await (encoder as FoundationModel).params.read();
    } finally {
      encoder.dispose();
    }
  }
  for (const name of [...weights.keys()]) if (!name.startsWith('enc.')) weights.delete(name);
  return weights;
}

export interface ProbeExportOptions {
  protocol?: ProbeProtocol;
  /** A subset of the probe's tasks (default: all of them). */
  tasks?: string[];
  /** Rule for the packaged thresholds, on the probe's validation predictions (default Youden). */
  rule?: OperatingRule;
}

/** Packages a probe (frozen encoder + its head) as an `.ecgfm` file that `clinical run` scores. */
export async function exportProbePackage(evalDir: string, outPath: string, opts: ProbeExportOptions = {}): Promise<PackageHeader> {
  const probe = readProbeFile(evalDir, opts.protocol ?? 'linear');
  const tasks = opts.tasks ?? probe.tasks;
  const missing = tasks.filter((t) => !probe.tasks.includes(t));
  if (missing.length) throw new Error(`the probe in ${evalDir} has no task ${missing.join(', ')} (it has ${probe.tasks.join(', ')})`);
  const cols = tasks.map((t) => probe.tasks.indexOf(t));
  const config = resolveVitConfig(probe.architecture as Parameters<typeof resolveVitConfig>[0]);
  const { dim, w, b } = probe.head;
  if (dim !== config.dim || w.length !== dim * probe.tasks.length || b.length !== probe.tasks.length) {
    throw new Error(`${join(evalDir, probeFileName(probe.protocol))}: head of ${w.length} weights does not fit dim ${config.dim} and ${probe.tasks.length} task(s)`);
  }
  const weights = await encoderWeights(probe, config);
  const k = cols.length;
  const head = new Float32Array(dim * k);
  for (let j = 0; j < dim; j++) cols.forEach((c, t) => (head[j * k + t] = w[j * probe.tasks.length + c] as number));
  weights.set(HEAD_W, { shape: [dim, k], data: head });
  weights.set(HEAD_B, { shape: [k], data: Float32Array.from(cols, (c) => b[c] as number) });
  const pick = (p: ProbeFile['validation']) => ({ ids: p.ids, labels: cols.map((c) => p.labels[c]!), scores: cols.map((c) => p.scores[c]!) });
  const val = pick(probe.validation);
  const title = probe.protocol === 'linear' ? 'linear probe' : 'linear probe on a random-init encoder';
  return writeModelPackage(resolve(outPath), {
    header: {
      architecture: config,
      preprocessing: defaultPreprocessing(),
      tasks: packagedTasks(tasks, val, opts.rule),
      calibration: { description: `validation split of ${probe.dataset} (${probe.split}), ${val.ids.length} records`, ...val },
      provenance: {
        datasets: [`${probe.dataset} (${probe.datasetKind})`],
        split: probe.split,
        encoderRun: probe.encoder ? `${probe.encoder.runId} (${probe.encoder.checkpoint}), frozen` : null,
        seen: probe.seen,
        config: { protocol: probe.protocol, model: title, ...probe.settings, chosenEpochs: probe.chosenEpochs, evaluation: resolve(evalDir), seen: probe.seenNote },
        backend: probe.backend,
        seed: probe.seed,
        createdAt: new Date().toISOString(),
        software: `${PRODUCT_NAME} ${PRODUCT_VERSION}`,
      },
      metrics: {
        validation: tasks.map((task, t) => {
          const y = val.labels[t]!;
          const sc = val.scores[t]!;
          return { task, n: y.length, positives: y.reduce((a, v) => a + v, 0), auroc: auroc(y, sc), auprc: averagePrecision(y, sc) };
        }),
        test: probe.metrics.test.filter((m) => tasks.includes(m.task)),
        testCriteria: k === probe.tasks.length ? probe.metrics.criteria : null,
      },
    },
    weights,
  });
}
