/**
 * End-to-end fine-tuning on ONNX Runtime: the evaluation engine's recipe (logistic head, AdamW, learning-rate
 * schedule, layer-wise decay, augmentation, shuffling, early stopping on the validation mean AUROC;
 * main/evaluation/train.ts) with each step one ONNX graph.
 * The head starts from the same seeded weights as on tfjs; the chosen epoch's weights are written back into the
 * caller's tfjs encoder and a tfjs head, so export and the caller's restore work as with the tfjs engine.
 */
import { labelMatrix, labelVectors } from '../../evaluation/batches.js';
import { createRng, deriveSeed } from '../../evaluation/random.js';
import { LinearHead, splitTasks, trainLoop, type EndToEndData, type EndToEndHooks, type TrainOutcome, type TrainSettings } from '../../evaluation/train.js';
import { chunks } from '../../evaluation/batches.js';
import { FoundationModel } from '../../models/foundation.js';
import type { Encoder } from '../../models/types.js';
import { AdamW } from '../../training/adamw.js';
import { layerDecayScale } from '../../training/layer-decay.js';
import { finetuneVariables, FINETUNE_HEAD, layoutOf, stateFromTfjs, writeToTfjs } from './bridge.js';
import { OrtEncoder, OrtTrainer } from './engine.js';
import { finetuneFeeds } from './feeds.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export async function trainEndToEndOrt(
  encoder: Encoder,
  data: EndToEndData,
  tasks: string[],
  settings: TrainSettings,
  hooks: EndToEndHooks = {},
): Promise<TrainOutcome> {
  if (!(encoder instanceof FoundationModel)) throw new Error('The ONNX Runtime engine fine-tunes ECG-FM foundation models only: use --engine tfjs');
  const { onChosen, ...loopHooks } = hooks;
  const config = encoder.config;
  const T = tasks.length;
  const head = new LinearHead(config.dim, T, settings.seed);
  const vars = finetuneVariables(encoder, head);
  const layout = layoutOf(vars);
  const zeros = new AdamW();
  // Layer-wise decay: one multiplier per parameter, by name, from the same rule as the tfjs engine.
  const decay = settings.layerDecay ?? 1;
  let lrScale: Float32Array | undefined;
  if (decay !== 1) {
    lrScale = new Float32Array(layout.total);
    for (const e of layout.entries) lrScale.fill(layerDecayScale(e.name, config.depth, decay), e.offset, e.offset + e.size);
  }
  const trainer = await OrtTrainer.create(layout, await stateFromTfjs(vars, layout, zeros), { weightDecay: settings.weightDecay, lrScale });
  zeros.dispose();
  const scorer = await OrtEncoder.create(config, layout, trainer.theta, { head: FINETUNE_HEAD });
  const evalBatch = Math.max(settings.batchSize, 64);
  const augment = settings.augment ? createRng(deriveSeed(settings.seed, 'augment')) : undefined;

  const score = async (indices: number[]): Promise<Float32Array[]> => {
    scorer.theta = trainer.theta;
    const flat = new Float32Array(indices.length * T);
    let done = 0;
    for (const chunk of chunks(indices, evalBatch)) {
      const { logits } = await scorer.run(data.source.signals(chunk), chunk.length);
      flat.set(logits!.map(sigmoid), done * T);
      done += chunk.length;
    }
    return splitTasks(flat, indices.length, T);
  };

  try {
    const loop = await trainLoop({
      tasks,
      trainCount: data.train.length,
      valLabels: labelVectors(data.dataset, data.val, tasks),
      settings,
      trainStep: async (rows, lr) => {
        const indices = rows.map((r) => data.train[r] as number);
        const feeds = finetuneFeeds(data.source.signals(indices, augment), indices.length, config.patch, labelMatrix(data.dataset, indices, tasks), T);
        const r = await trainer.train({ kind: 'finetune', config, batch: indices.length, tasks: T }, feeds, lr);
        return r.loss!;
      },
      snapshot: () => Promise.resolve([trainer.theta.slice()]),
      restore: ([theta]) => trainer.setTheta(theta!),
      scoreVal: () => score(data.val),
      ...loopHooks,
    });
    const outcome = { ...loop, valScores: await score(data.val), testScores: await score(data.test) };
    writeToTfjs(vars, layout, trainer.theta);
    await onChosen?.({ encoder, head });
    return outcome;
  } finally {
    await trainer.release();
    await scorer.release();
    head.dispose();
  }
}
