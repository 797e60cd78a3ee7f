/**
 * The bundled assets in `resources/`: icons, the paper's grid and the presets, the synthetic cohort's parameters
 * and the report stylesheets. One loader for the CLI (tsx, main/ beside resources/), the host, and the packaged
 * app (the esbuild bundle in dist-electron/ sits beside resources/ inside the asar, which Electron's fs reads).
 * Every JSON asset is validated on load, so a hand-edited file fails naming itself rather than deep in a run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { pretrainRequestSchema, type PretrainPresets, type StudyPresetView } from '../contract/api.js';

/** `$ECGFM_RESOURCES`, else `resources/` one level above this module (main/ or dist-electron/). */
export function resourcesDir(): string {
  const env = process.env.ECGFM_RESOURCES;
  if (env) return resolve(env);
  const here = fileURLToPath(new URL('.', import.meta.url));
  return resolve(here, '..', 'resources');
}

export function resourcePath(...parts: string[]): string {
  return join(resourcesDir(), ...parts);
}

export function resourceText(rel: string): string {
  const p = resourcePath(rel);
  if (!existsSync(p)) throw new Error(`Bundled resource missing: ${p} (the installation is incomplete; reinstall, or set ECGFM_RESOURCES).`);
  return readFileSync(p, 'utf8');
}

function resourceJson<T>(rel: string, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(resourceText(rel));
  } catch (err) {
    if (err instanceof SyntaxError) throw new Error(`${resourcePath(rel)} is not valid JSON: ${err.message}`);
    throw err;
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw new Error(`${resourcePath(rel)}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

const ints = z.array(z.number().int().positive()).min(1);
const numbers = z.array(z.number().positive()).min(1);
const pretrainPresetsSchema = z.object({
  defaults: z.unknown().transform((v, ctx) => {
    const r = pretrainRequestSchema.safeParse(v);
    if (!r.success) {
      for (const i of r.error.issues) ctx.addIssue({ code: 'custom', message: `defaults.${i.path.join('.')}: ${i.message}` });
      return z.NEVER;
    }
    return r.data;
  }),
  grid: z.object({ patch: ints, depth: ints, dim: ints, maskRatio: numbers, tau: numbers, batchSize: ints }).strict(),
  presets: z.array(z.object({ label: z.string().min(1), description: z.string(), values: z.record(z.string(), z.unknown()) }).strict()),
});

const studyPresetsSchema = z.array(
  z
    .object({
      label: z.string().min(1),
      description: z.string(),
      cells: z.number().int().positive(),
      config: z
        .object({
          tasks: z.array(z.string()).min(1),
          methods: z.array(z.string()).min(1),
          patches: ints,
          depths: ints,
          dims: ints,
          protocols: z.array(z.enum(['linear', 'finetune'])).min(1),
          baselines: z.array(z.string()),
          seed: z.number().int().min(0),
          split: z.string(),
          steps: z.number().int().positive(),
          batchSize: z.number().int().positive(),
          probeEpochs: z.number().int().positive(),
          finetuneEpochs: z.number().int().positive(),
        })
        .strict(),
    })
    .strict(),
);

const paperGridSchema = z.object({ methods: z.array(z.enum(['CL', 'GL', 'HL'])).min(1), patches: ints, depths: ints, dims: ints }).strict();

const cohortSchema = z
  .object({
    $comment: z.string().optional(),
    prevalence: z.object({ MI: z.number().min(0).max(1), STTC: z.number().min(0).max(1), CD: z.number().min(0).max(1), HYP: z.number().min(0).max(1) }).strict(),
    recordingsPerPatient: z.tuple([z.number().int().min(1), z.number().int().min(1)]),
  })
  .strict();

const cache = new Map<string, unknown>();
function once<T>(key: string, load: () => T): T {
  if (!cache.has(key)) cache.set(key, load());
  return cache.get(key) as T;
}

/** Pre-train page defaults, the paper's grid of choices and the named presets (`resources/presets/pretrain.json`). */
export function pretrainPresets(): PretrainPresets {
  return once('pretrain', () => {
    const p = resourceJson('presets/pretrain.json', pretrainPresetsSchema);
    // A preset sets a subset of the form; check each of its values against the request schema's full parse.
    for (const preset of p.presets) {
      const r = pretrainRequestSchema.safeParse({ ...p.defaults, ...preset.values });
      if (!r.success) throw new Error(`${resourcePath('presets/pretrain.json')}: preset "${preset.label}": ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    return p as PretrainPresets;
  });
}

/** The study grids the Studies page offers (`resources/presets/studies.json`). */
export function studyPresets(): StudyPresetView[] {
  return once('studies', () => resourceJson('presets/studies.json', studyPresetsSchema));
}

/** The paper's 3 × 3 × 3 × 3 grid (`resources/presets/paper-grid.json`). */
export function paperGrid(): z.output<typeof paperGridSchema> {
  return once('grid', () => resourceJson('presets/paper-grid.json', paperGridSchema));
}

/** The synthetic cohort's label prevalences and recordings per patient (`resources/synthetic/cohort.json`). */
export function syntheticCohortParameters(): z.output<typeof cohortSchema> {
  return once('cohort', () => resourceJson('synthetic/cohort.json', cohortSchema));
}

/** The application icon (window icon and installers). */
export function iconPath(): string {
  return resourcePath('icons', 'icon.png');
}
