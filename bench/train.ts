/**
 * Training and inference speed of the foundation model on both engines — tfjs (the selected backend) and ONNX
 * Runtime (one ONNX graph per step, CPU) — against PyTorch where it exists.
 *
 *   npx tsx bench/train.ts [--patch 125 --depth 4 --dim 512 --batch 32 --infer-batch 64 --steps 5]
 *                          [--all-methods] [--engines tfjs,ort] [--profile] [--backend NAME]
 *
 * train_sps is the GL pre-training step (mask 0.75, decoder D/2 × 2 blocks, AdamW) at the training batch;
 * infer_sps is the encoder's pooled embedding on all patches at the inference batch; both take the faster engine.
 * --all-methods prints the GL, CL, HL and fine-tuning step rates of each engine. --profile writes ONNX Runtime's
 * profile of the GL step and prints the operators that take the time. Ends with the one `train:` line of issue 15.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runTorchScript, torchAvailable, torchBlasSetup } from './torch.js';
import { initBackend } from '../main/compute/backend.js';
import { FoundationModel } from '../main/models/foundation.js';
import { resolveVitConfig, tokenCount } from '../main/models/vit.js';
import type { VitConfig } from '../main/models/types.js';
import { flatten, layoutOf, modelVariables, stateFromTfjs } from '../main/onnx/train/bridge.js';
import { OrtTrainer } from '../main/onnx/train/engine.js';
import { pretrainFeeds, pretrainSpec } from '../main/onnx/train/feeds.js';
import { createSession } from '../main/onnx/train/session.js';
import { buildForwardGraph } from '../main/onnx/train/step.js';
import { loadOrt } from '../main/onnx/runtime.js';
import type { StepKind } from '../main/onnx/train/step.js';
import { patchify } from '../main/ssl/patches.js';
import { Rng } from '../main/ssl/rng.js';
import { AdamW } from '../main/training/adamw.js';
import { resolvePretrainConfig } from '../main/training/config.js';
import { measureInferRate, measureStepRate, syntheticEcgs } from '../main/training/engine-speed.js';
import { prepareStep } from '../main/training/methods.js';

type Engine = 'tfjs' | 'ort';

interface Args {
  model: VitConfig;
  batch: number;
  inferBatch: number;
  steps: number;
}

function torchFigures(a: Args): { train: number; infer: number; version: string } | null {
  const args = { patch: a.model.patch, depth: a.model.depth, dim: a.model.dim, batch: a.batch, 'infer-batch': a.inferBatch, steps: a.steps, threads: 2 };
  const r = runTorchScript<{ train_sps: number; infer_sps: number; torch: string }>(
    'torch_train.py',
    Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)]),
  );
  return r && { train: r.train_sps, infer: r.infer_sps, version: r.torch };
}

/** Total kernel time per operator type of an ONNX Runtime profile file, largest first (the file is removed). */
function summariseProfile(label: string, prefix: string, runs: number): void {
  const dir = process.cwd();
  const file = readdirSync(dir).find((f) => f.startsWith(prefix) && f.endsWith('.json'));
  if (!file) return console.log(`profile ${label}: ONNX Runtime wrote no profile file`);
  const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Array<{ cat?: string; name?: string; dur?: number; args?: { op_name?: string } }>;
  rmSync(join(dir, file), { force: true });
  const byOp = new Map<string, number>();
  let total = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.op_name) continue;
    byOp.set(e.args.op_name, (byOp.get(e.args.op_name) ?? 0) + (e.dur ?? 0));
    total += e.dur ?? 0;
  }
  console.log(`profile (ONNX Runtime, ${label}, ${runs} runs, kernel time ${(total / 1000 / runs).toFixed(0)} ms/run):`);
  for (const [op, us] of [...byOp].sort((x, y) => y[1] - x[1]).slice(0, 10)) {
    console.log(`  ${op.padEnd(22)} ${(us / 1000 / runs).toFixed(1).padStart(8)} ms/run  ${((100 * us) / total).toFixed(1)} %`);
  }
}

/** ONNX Runtime's profiles of the GL step and of inference (frozen encoder). */
async function profileOrt(a: Args): Promise<void> {
  const cfg = resolvePretrainConfig({ method: 'gl', dataset: 'bench', model: a.model, batchSize: a.batch });
  const model = new FoundationModel(cfg.model, 0, { decoder: true, head: false });
  const vars = modelVariables(model);
  const layout = layoutOf(vars);
  const prefix = `ort-profile-gl-${process.pid}`;
  const trainer = await OrtTrainer.create(layout, await stateFromTfjs(vars, layout, new AdamW()), { weightDecay: 1e-5, profilePrefix: join(process.cwd(), prefix) });
  const rng = new Rng(1);
  const batch = { signals: syntheticEcgs(a.batch, 2), size: a.batch, patientIds: Array.from({ length: a.batch }, (_, i) => `p${i}`) };
  for (let s = 0; s <= a.steps; s++) {
    const p = prepareStep(cfg, batch, rng);
    await trainer.train(pretrainSpec(cfg, p), pretrainFeeds(cfg, p).feeds, 1e-4);
  }
  await trainer.endProfiling();
  await trainer.release();
  summariseProfile(`GL step, batch ${a.batch}`, prefix, a.steps + 1);

  const encVars = modelVariables(model, ['enc.']);
  const encLayout = layoutOf(encVars);
  const inferPrefix = `ort-profile-infer-${process.pid}`;
  const session = await createSession(buildForwardGraph(a.model, encLayout, a.inferBatch, undefined, await flatten(encVars, encLayout)), { profilePrefix: join(process.cwd(), inferPrefix) });
  const ort = (await loadOrt())!;
  const n = tokenCount(a.model.patch);
  const patches = new ort.Tensor('float32', patchify(syntheticEcgs(a.inferBatch, 4), a.inferBatch, a.model.patch), [a.inferBatch * n, 12 * a.model.patch]);
  for (let s = 0; s <= a.steps; s++) await session.run({ patches });
  session.endProfiling();
  await session.release();
  model.dispose();
  summariseProfile(`inference, batch ${a.inferBatch}`, inferPrefix, a.steps + 1);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      patch: { type: 'string', default: '125' }, depth: { type: 'string', default: '4' }, dim: { type: 'string', default: '512' },
      batch: { type: 'string', default: '32' }, 'infer-batch': { type: 'string', default: '64' }, steps: { type: 'string', default: '5' },
      'all-methods': { type: 'boolean', default: false }, engines: { type: 'string', default: 'tfjs,ort' },
      profile: { type: 'boolean', default: false }, backend: { type: 'string' },
    },
  });
  const a: Args = {
    model: resolveVitConfig({ patch: Number(values.patch), depth: Number(values.depth), dim: Number(values.dim) }),
    batch: Number(values.batch), inferBatch: Number(values['infer-batch']), steps: Number(values.steps),
  };
  const backend = await initBackend({ backend: values.backend });
  const fmt = (x: number | undefined): string => (x === undefined ? 'na' : x.toFixed(1));
  const wanted = values.engines.split(',').map((e) => e.trim()) as Engine[];
  const engines = wanted.filter((e) => e === 'tfjs' || e === 'ort');
  if (engines.includes('ort') && !(await loadOrt())) {
    console.log('onnxruntime-node: does not load here; ort fields are na');
    engines.splice(engines.indexOf('ort'), 1);
  }
  console.log(`backend: ${backend.description}`);
  console.log(`model: P${a.model.patch} D${a.model.dim} L${a.model.depth}, train batch ${a.batch}, inference batch ${a.inferBatch}, ${a.steps} timed steps`);
  console.log(`load average: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const train: Partial<Record<Engine, number>> = {};
  const infer: Partial<Record<Engine, number>> = {};
  const kinds: StepKind[] = values['all-methods'] ? ['gl', 'cl', 'hl', 'finetune'] : ['gl'];
  for (const kind of kinds) {
    for (const e of engines) {
      const sps = await measureStepRate(e, kind, a.model, a.batch, a.steps);
      if (kind === 'gl') train[e] = sps;
      const note = kind === 'cl' || kind === 'hl' ? ' (two views each)' : kind === 'finetune' ? ' (encoder + head, all patches)' : '';
      console.log(`${kind} step [${e}]: ${fmt(sps)} samples/s${note}`);
    }
  }
  for (const e of engines) {
    infer[e] = await measureInferRate(e, a.model, a.inferBatch, a.steps);
    console.log(`inference [${e}]: ${fmt(infer[e])} samples/s`);
  }
  if (values.profile && engines.includes('ort')) await profileOrt(a);

  let torch: ReturnType<typeof torchFigures> = null;
  if (torchAvailable()) {
    console.log(`torch blas: ${torchBlasSetup().description}`);
    torch = torchFigures(a);
  }
  if (torch) console.log(`torch ${torch.version}: train ${fmt(torch.train)} samples/s, inference ${fmt(torch.infer)} samples/s`);
  else console.log('torch: /usr/bin/python3 cannot import torch; torch fields are na');
  const best = (m: Partial<Record<Engine, number>>): number | undefined => {
    const v = Object.values(m);
    return v.length ? Math.max(...v) : undefined;
  };
  const bestEngine = (m: Partial<Record<Engine, number>>): string => (Object.entries(m).sort((x, y) => y[1] - x[1])[0]?.[0] ?? 'na');
  const ratio = (x: number | undefined, y: number | undefined): string => (x && y ? (x / y).toFixed(2) : 'na');
  console.log(`best engine: train ${bestEngine(train)}, inference ${bestEngine(infer)}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(
    `train: backend=${backend.description.split(':')[0]} train_sps=${fmt(best(train))} infer_sps=${fmt(best(infer))} ` +
      `tfjs_train_sps=${fmt(train.tfjs)} ort_train_sps=${fmt(train.ort)} ` +
      `torch_train_sps=${torch ? fmt(torch.train) : 'na'} torch_infer_sps=${torch ? fmt(torch.infer) : 'na'} ` +
      `train_ratio=${ratio(best(train), torch?.train)} infer_ratio=${ratio(best(infer), torch?.infer)}`,
  );
}

void main().then(() => process.exit(0));
