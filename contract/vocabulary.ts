/**
 * The domain's words, defined once: SSL methods, downstream protocols, study baselines, risk components, and the
 * model-shape rules (patch rule, limits, default heads). The renderer, the CLI, the study grid and the model all
 * import these; nothing here imports Node or Electron.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------------------------
// Methods

/** Self-supervised pre-training: contrastive (CL), generative (GL, masked reconstruction), hybrid (HL). */
export const SSL_METHODS = ['cl', 'gl', 'hl'] as const;
export type SslMethod = (typeof SSL_METHODS)[number];
export const SSL_METHOD_LABELS: Record<SslMethod, { label: string; title: string }> = {
  cl: { label: 'CL', title: 'Contrastive: sample- and patient-level InfoNCE on augmented views' },
  gl: { label: 'GL', title: 'Generative: masked-patch reconstruction (MAE, L1)' },
  hl: { label: 'HL', title: 'Hybrid: reconstruction + both InfoNCE terms' },
};

/** The study grid and the paper's tables spell methods in capitals. */
export type StudySslMethod = Uppercase<SslMethod>;
export const STUDY_SSL_METHODS = SSL_METHODS.map((m) => m.toUpperCase()) as unknown as readonly ['CL', 'GL', 'HL'];
export const studyMethodOf = (m: SslMethod): StudySslMethod => m.toUpperCase() as StudySslMethod;
export const sslMethodOf = (m: string): SslMethod | null => {
  const lower = m.toLowerCase();
  return (SSL_METHODS as readonly string[]).includes(lower) ? (lower as SslMethod) : null;
};

// ---------------------------------------------------------------------------------------------------------------
// Training recipe

/** Learning-rate schedules after the linear warm-up: a constant rate, or cosine decay to a floor. */
export const LR_SCHEDULES = ['cosine', 'constant'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];

// ---------------------------------------------------------------------------------------------------------------
// Downstream protocols and baselines

export const PROTOCOL_NAMES = ['linear', 'finetune', 'supervised', 'random-linear', 'resnet1d'] as const;
export type ProtocolName = (typeof PROTOCOL_NAMES)[number];
export const PROTOCOL_LABELS: Record<ProtocolName, string> = {
  linear: 'Linear probe',
  finetune: 'Fine-tune',
  supervised: 'SL (supervised, random init)',
  'random-linear': 'Random init (linear probe)',
  resnet1d: 'ResNet1d (supervised CNN)',
};
/** Protocols that train a model end to end from its labels (the ViT fine-tuned or from scratch, the CNN baseline). */
export const END_TO_END_PROTOCOLS = ['finetune', 'supervised', 'resnet1d'] as const satisfies readonly ProtocolName[];
export const isEndToEnd = (p: string): boolean => (END_TO_END_PROTOCOLS as readonly string[]).includes(p);
/** Protocols that need a pre-trained encoder. */
export const ENCODER_PROTOCOLS = ['linear', 'finetune'] as const satisfies readonly ProtocolName[];
export const usesEncoder = (p: string): boolean => (ENCODER_PROTOCOLS as readonly string[]).includes(p);
/** Protocols over a pre-trained encoder (a study cell runs these after pre-training). */
export const DOWNSTREAM_PROTOCOLS = ['linear', 'finetune'] as const satisfies readonly ProtocolName[];
export type DownstreamProtocol = (typeof DOWNSTREAM_PROTOCOLS)[number];

/**
 * RAND: linear probe on a random-init encoder (Table 4's baseline); SL: supervised end to end (Table 5's);
 * RESNET: the 1-D ResNet a cardiology group would train instead of a foundation model (PTB-XL benchmark).
 */
export const STUDY_BASELINES = ['RAND', 'SL', 'RESNET'] as const;
export type StudyBaseline = (typeof STUDY_BASELINES)[number];
export const BASELINE_PROTOCOL: Record<StudyBaseline, ProtocolName> = { RAND: 'random-linear', SL: 'supervised', RESNET: 'resnet1d' };
export const BASELINE_LABELS: Record<StudyBaseline, string> = {
  RAND: 'Random Initialization (Baseline)',
  SL: 'SL (Supervised Learning) (Baseline)',
  RESNET: 'ResNet1d (supervised CNN) (Baseline)',
};
/** Baselines with no ViT architecture: a study runs them once, not at every patch × depth × width of its grid. */
export const GRID_FREE_BASELINES = ['RESNET'] as const satisfies readonly StudyBaseline[];
export const isGridFree = (method: string): boolean => (GRID_FREE_BASELINES as readonly string[]).includes(method);

// ---------------------------------------------------------------------------------------------------------------
// Risk decomposition (Table 8, after Dubois et al. 2023)

export const RISK_COMPONENT_NAMES = ['approximation', 'usability', 'probeGeneralization', 'encoderGeneralization'] as const;
export type RiskComponentName = (typeof RISK_COMPONENT_NAMES)[number];
/** Short labels for chart legends and table columns. */
export const RISK_COMPONENT_LABELS: Record<RiskComponentName, string> = {
  approximation: 'Approximation',
  usability: 'Representation usability',
  probeGeneralization: 'Probe generalization',
  encoderGeneralization: 'Encoder generalization',
};
/** The paper's Table 8 titles. */
export const RISK_COMPONENT_TITLES: Record<RiskComponentName, string> = {
  approximation: 'Approximation Error',
  usability: 'Representation Usability Error',
  probeGeneralization: 'Probe Generalization Error',
  encoderGeneralization: 'Encoder Generalization Error',
};
/** How a component is spelled as a metric row in the store (`probe_generalization`). */
export const riskMetricName = (c: RiskComponentName): string => c.replace(/[A-Z]/g, (x) => `_${x.toLowerCase()}`);

// ---------------------------------------------------------------------------------------------------------------
// Model shape

/** Every ECG is standardised to 10 s at 250 Hz. */
export const ECG_SAMPLES = 2500;
/** Patch rule: floor(2500 / P) patches per ECG (the rest is cropped); attention needs at least two. */
export const MIN_PATCHES = 2;
export const SHAPE_LIMITS = {
  patch: { min: 10, max: Math.floor(ECG_SAMPLES / MIN_PATCHES) },
  depth: { min: 1, max: 24 },
  dim: { min: 8, max: 2048 },
  heads: { min: 1, max: 32 },
} as const;

/** Patches per ECG for patch size P. */
export function patchCount(patch: number): number {
  return Math.floor(ECG_SAMPLES / patch);
}

/** Heads when none are given: the count nearest to 64-wide heads that divides the width exactly. */
export function defaultHeads(dim: number): number {
  for (let h = Math.max(1, Math.round(dim / 64)); h > 1; h--) if (dim % h === 0) return h;
  return 1;
}

export interface ModelShape {
  patch: number;
  depth: number;
  dim: number;
  heads?: number;
}

/** What is wrong with a shape, one readable line per problem (empty when it is valid). */
export function modelShapeProblems(s: ModelShape): { field: keyof ModelShape; message: string }[] {
  const out: { field: keyof ModelShape; message: string }[] = [];
  const check = (field: keyof typeof SHAPE_LIMITS, v: number | undefined, what: string) => {
    if (v === undefined) return;
    const { min, max } = SHAPE_LIMITS[field];
    if (!Number.isInteger(v) || v < min || v > max) out.push({ field, message: `${what} must be an integer from ${min} to ${max}, got ${v}.` });
  };
  check('patch', s.patch, 'Patch size');
  check('depth', s.depth, 'Depth');
  check('dim', s.dim, 'Embedding width');
  check('heads', s.heads, 'Heads');
  if (Number.isInteger(s.patch) && s.patch > 0 && patchCount(s.patch) < MIN_PATCHES)
    out.push({ field: 'patch', message: `Patch size ${s.patch} leaves fewer than ${MIN_PATCHES} patches per ECG.` });
  const heads = s.heads ?? defaultHeads(s.dim);
  if (Number.isInteger(s.dim) && heads > 0 && s.dim % heads !== 0)
    out.push({ field: 'heads', message: `Embedding width ${s.dim} is not divisible by ${heads} heads.` });
  return out;
}

const int = z.number().int();
/** A model shape as forms and requests send it; the same rules as modelShapeProblems. */
export const modelShapeSchema = z
  .object({ patch: int, depth: int, dim: int, heads: int.optional() })
  .strict()
  .superRefine((s, ctx) => {
    for (const p of modelShapeProblems(s)) ctx.addIssue({ code: 'custom', message: p.message, path: [p.field] });
  });
