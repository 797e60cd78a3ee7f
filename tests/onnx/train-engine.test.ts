/**
 * The ONNX Runtime engine inside the product: pre-training runs record their engine, checkpoints are interchangeable
 * (a run trained on either engine gives the same embeddings on the other to 1e-4, and a tfjs checkpoint resumes on
 * ONNX Runtime), a worker SIGKILLed while training on ONNX Runtime resumes with the losses of an uninterrupted run,
 * and `auto` measures once and then reads its cached choice.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../main/compute/tf.js';
import { ECG_SIZE } from '../../main/data/types.js';
import { openDataset } from '../../main/data/registry.js';
import { loadEncoder } from '../../main/models/encoder.js';
import type { FoundationModel } from '../../main/models/foundation.js';
import { flatten, layoutOf, modelVariables } from '../../main/onnx/train/bridge.js';
import { OrtEncoder } from '../../main/onnx/train/engine.js';
import { chooseEngine } from '../../main/training/engine-choice.js';
import { startTrainingWorker } from '../../main/training/launcher.js';
import { pretrain } from '../../main/training/pretrain.js';
import { resolveVitConfig } from '../../main/models/vit.js';
import type { PretrainConfigInput, TrainingEvent } from '../../contract/training.js';
import { patientRichSubset, ptbxlWorkspace, type MetricLine } from '../training/ptbxl.js';

process.env.ECGFM_THREADS ??= '1';

function metrics(ws: string, runId: string): MetricLine[] {
  return readFileSync(join(ws, 'runs', runId, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricLine);
}

/** Largest |Δ| between tfjs and ONNX Runtime embeddings of the run's checkpoint on real ECGs. */
async function embeddingGap(runDir: string, signals: Float32Array, count: number): Promise<number> {
  const encoder = (await loadEncoder(runDir)) as FoundationModel;
  const x = tf.tensor3d(signals, [count, 12, 2500]);
  const want = await tf.tidy(() => encoder.embed(x)).data();
  x.dispose();
  const vars = modelVariables(encoder, ['enc.']);
  const layout = layoutOf(vars);
  const ort = await OrtEncoder.create(encoder.config, layout, await flatten(vars, layout));
  const got = (await ort.run(signals, count)).embedding;
  await ort.release();
  encoder.dispose();
  let gap = 0;
  want.forEach((v, i) => (gap = Math.max(gap, Math.abs(v - got[i]!))));
  return gap;
}

describe('ONNX Runtime engine in pre-training', () => {
  let ws = '';
  let base: Omit<PretrainConfigInput, 'runId'>;
  let signals = new Float32Array(0);
  beforeAll(async () => {
    ws = await ptbxlWorkspace('ecgfm-ort-engine-');
    base = {
      method: 'hl', dataset: 'ptbxl', indices: patientRichSubset(48), model: { patch: 250, depth: 1, dim: 32 },
      batchSize: 6, steps: 24, lr: 1e-3, seed: 4, checkpointEvery: 8, logEvery: 4, keepLast: 2,
      // A constant rate, so an 8-step run stands for the first 8 steps of the 24-step one (a schedule spans its run).
      schedule: 'constant', warmupSteps: 0,
    };
    const ds = openDataset('ptbxl');
    signals = new Float32Array(6 * ECG_SIZE);
    for (let i = 0; i < 6; i++) ds.readSignal(100 + i, signals.subarray(i * ECG_SIZE, (i + 1) * ECG_SIZE));
  });

  it('checkpoints are interchangeable: either engine’s run embeds alike on the other, and a tfjs run resumes on ORT', async () => {
    const ort = await pretrain({ ...base, steps: 16, runId: 'on-ort', engine: 'ort' });
    expect(ort.engine).toMatchObject({ name: 'ort', reason: 'ort (asked for)' });
    const record = JSON.parse(readFileSync(join(ort.runDir, 'config.json'), 'utf8')) as { engine: { name: string } };
    expect(record.engine.name).toBe('ort');
    expect(await embeddingGap(ort.runDir, signals, 6)).toBeLessThan(1e-4);

    const reference = await pretrain({ ...base, runId: 'tfjs-all', engine: 'tfjs' });
    await pretrain({ ...base, steps: 8, runId: 'tfjs-then-ort', engine: 'tfjs' });
    expect(await embeddingGap(join(ws, 'runs', 'tfjs-then-ort'), signals, 6)).toBeLessThan(1e-4);
    const resumed = await pretrain({ ...base, runId: 'tfjs-then-ort', resume: true, engine: 'ort' });
    expect(resumed.engine?.name).toBe('ort');
    const engines = readFileSync(join(resumed.runDir, 'engines.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { fromStep: number; engine: string });
    expect(engines.map((e) => [e.fromStep, e.engine])).toEqual([[0, 'tfjs'], [8, 'ort']]);
    // Weights, AdamW moments, step, data position and RNG all carried over: the ORT stretch follows tfjs's own run.
    const a = metrics(ws, 'tfjs-all');
    const b = metrics(ws, 'tfjs-then-ort');
    expect(b.map((l) => l.step)).toEqual(a.map((l) => l.step));
    for (let i = 8; i < 24; i++) expect(Math.abs(b[i]!.total - a[i]!.total), `step ${i + 1}`).toBeLessThan(1e-4);
    expect(reference.step).toBe(24);
  }, 300_000);

  it('a worker killed while training on ORT resumes with the losses of an uninterrupted ORT run', async () => {
    const env = { ...process.env, ECGFM_WORKSPACE: ws };
    const cfg = { ...base, engine: 'ort' as const };
    expect((await startTrainingWorker({ ...cfg, runId: 'ort-uninterrupted' }, { env }).done).step).toBe(24);
    let killed = false;
    const victim = startTrainingWorker({ ...cfg, runId: 'ort-killed' }, {
      env,
      onEvent: (e) => {
        if (e.type === 'checkpoint' && e.step === 8 && !killed) {
          killed = true;
          victim.kill('SIGKILL');
        }
      },
    });
    await expect(victim.done).rejects.toThrow(/killed/);
    const events: TrainingEvent[] = [];
    const result = await startTrainingWorker({ ...cfg, runId: 'ort-killed', resume: true }, { env, onEvent: (e) => events.push(e) }).done;
    expect(events.find((e) => e.type === 'started')).toMatchObject({ startStep: 8, engine: 'ort (asked for)' });
    expect(result.step).toBe(24);
    const a = metrics(ws, 'ort-uninterrupted');
    const b = metrics(ws, 'ort-killed');
    for (let i = 8; i < 24; i++) {
      for (const k of ['total', 'recon', 'sample', 'patient'] as const) {
        if (a[i]![k] === undefined) expect(b[i]![k]).toBeUndefined();
        else expect(Math.abs(b[i]![k]! - a[i]![k]!), `step ${i + 1} ${k}`).toBeLessThan(1e-5);
      }
    }
  }, 300_000);

  it('auto measures both engines once for a model shape, caches the choice and says which it took', async () => {
    const probe = { kind: 'gl' as const, model: resolveVitConfig({ patch: 250, depth: 1, dim: 32 }), batch: 4 };
    const first = await chooseEngine('auto', probe);
    expect(first.reason).toMatch(/^auto: (ort|tfjs) \(ort [\d.]+ vs tfjs [\d.]+ samples\/s, measured now\)$/);
    expect(existsSync(join(ws, 'engine-choice.json'))).toBe(true);
    const second = await chooseEngine('auto', probe);
    expect(second.name).toBe(first.name);
    expect(second.reason).toMatch(/measured earlier on this machine/);
    // Another shape is measured on its own.
    expect((await chooseEngine('auto', { ...probe, batch: 2 })).reason).toMatch(/measured now/);
    expect(await chooseEngine('tfjs', probe)).toEqual({ name: 'tfjs', reason: 'tfjs (asked for)' });
  });
});
