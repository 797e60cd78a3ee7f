/**
 * Training the 1-D ResNet baseline on ONNX Runtime with the evaluation engine's epoch loop (main/evaluation/train.ts:
 * shuffled batches, augmentation, early stopping on the validation mean AUROC, the best epoch's weights restored):
 * the same splits, seeds and scoring as the ViT protocols. BatchNorm's running statistics are kept here from the
 * batch statistics each step returns (PyTorch's momentum 0.1), and are part of the snapshot early stopping keeps.
 */
import { chunks, labelMatrix, labelVectors } from '../../evaluation/batches.js';
import { createRng, deriveSeed } from '../../evaluation/random.js';
import { splitTasks, trainLoop, type EndToEndData, type EpochRecord, type TrainOutcome, type TrainSettings, type TrainStepProgress } from '../../evaluation/train.js';
import { N_LEADS, TARGET_SAMPLES } from '../../data/types.js';
import {
  initialStatistics,
  initialWeights,
  parameterCount,
  resnet1dLayout,
  RESNET1D_DEFAULT,
  updateStatistics,
  type ResNet1dConfig,
  type ResNet1dLayout,
} from '../../models/resnet1d.js';
import { OrtTrainer } from './engine.js';
import { buildResNetScoreGraph, buildResNetStepGraph, statisticsLayout } from './resnet.js';
import { createSession, requireOrt, type Ort, type OrtInferenceSession } from './session.js';

/** A trained network: its architecture, flat weights and BatchNorm running statistics. */
export interface ResNet1dModel {
  config: ResNet1dConfig;
  tasks: string[];
  theta: Float32Array;
  stats: Float32Array;
}

/**
 * A trained network as a self-contained ONNX model (weights and running statistics baked in): input `signals`
 * [batch, 12, 2500] standardised ECGs (250 Hz, 10 s, mV), outputs `logits` and `probabilities` [batch, tasks].
 */
export function resnet1dOnnx(model: ResNet1dModel, batch = 1): Uint8Array {
  return buildResNetScoreGraph(model.config, resnet1dLayout(model.config, model.tasks.length), batch, { theta: model.theta, stats: model.stats });
}

/** Scores signals with given weights and statistics, one ONNX Runtime session per batch size. */
export class ResNet1dScorer {
  private readonly sessions = new Map<number, Promise<OrtInferenceSession>>();

  private constructor(
    private readonly ort: Ort,
    readonly config: ResNet1dConfig,
    readonly layout: ResNet1dLayout,
    private readonly threads?: number,
  ) {}

  static async create(config: ResNet1dConfig, layout: ResNet1dLayout, threads?: number): Promise<ResNet1dScorer> {
    return new ResNet1dScorer(await requireOrt(), config, layout, threads);
  }

  /** [count, 12, 2500] standardised ECGs → sigmoid probabilities [count·T], row-major. */
  async probabilities(signals: Float32Array, count: number, theta: Float32Array, stats: Float32Array): Promise<Float32Array> {
    let s = this.sessions.get(count);
    if (!s) {
      s = createSession(buildResNetScoreGraph(this.config, this.layout, count), { threads: this.threads });
      this.sessions.set(count, s);
    }
    const T = this.ort.Tensor;
    const out = await (await s).run(
      { theta: new T('float32', theta, [theta.length]), stats: new T('float32', stats, [stats.length]), signals: new T('float32', signals, [count, N_LEADS, TARGET_SAMPLES]) },
    );
    return out.probabilities!.data as Float32Array;
  }

  async release(): Promise<void> {
    const all = await Promise.allSettled([...this.sessions.values()]);
    this.sessions.clear();
    for (const s of all) if (s.status === 'fulfilled') await s.value.release();
  }
}

export interface ResNetTrainHooks {
  onEpoch?(r: EpochRecord): void;
  /** After every step (progress bars: samples/s and time left). */
  onStep?(s: TrainStepProgress): void;
  signal?: AbortSignal;
  /** Receives the chosen epoch's model (weights and running statistics) before the buffers are released. */
  onChosen?(model: ResNet1dModel): void | Promise<void>;
}

export async function trainResNet1d(
  data: EndToEndData,
  tasks: string[],
  settings: TrainSettings,
  hooks: ResNetTrainHooks = {},
  config: ResNet1dConfig = RESNET1D_DEFAULT,
): Promise<TrainOutcome & { parameters: number }> {
  const { onChosen, ...loopHooks } = hooks;
  const T = tasks.length;
  const layout = resnet1dLayout(config, T);
  const P = parameterCount(layout);
  const theta0 = initialWeights(layout, settings.seed);
  const trainer = await OrtTrainer.create(
    { entries: [], total: P },
    { theta: theta0, m: new Float32Array(P), v: new Float32Array(P), step: 0 },
    { weightDecay: settings.weightDecay },
  );
  const scorer = await ResNet1dScorer.create(config, layout);
  let stats = initialStatistics(layout);
  const evalBatch = Math.max(settings.batchSize, 64);
  const augment = settings.augment ? createRng(deriveSeed(settings.seed, 'augment')) : undefined;
  const S = statisticsLayout(layout).total;
  const score = async (indices: number[]): Promise<Float32Array[]> => {
    const flat = new Float32Array(indices.length * T);
    let done = 0;
    for (const chunk of chunks(indices, evalBatch)) {
      flat.set(await scorer.probabilities(data.source.signals(chunk), chunk.length, trainer.theta, stats), done * T);
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
        const b = indices.length;
        const feeds = {
          signals: { data: data.source.signals(indices, augment), shape: [b, N_LEADS, TARGET_SAMPLES] },
          labels: { data: labelMatrix(data.dataset, indices, tasks), shape: [b, T] },
        };
        const out = await trainer.trainGraph(`resnet1d:${b}:${T}`, () => buildResNetStepGraph({ config, layout, batch: b, tasks: T, emit: 'update' }), feeds, lr, ['loss', 'batch_stats']);
        const batchStats = out.batch_stats!.data as Float32Array;
        if (batchStats.length !== S) throw new Error(`resnet1d: the step returned ${batchStats.length} statistics, expected ${S}`);
        updateStatistics(stats, batchStats, layout, b);
        return (out.loss!.data as Float32Array)[0]!;
      },
      snapshot: () => Promise.resolve([trainer.theta.slice(), stats.slice()]),
      restore: ([theta, saved]) => {
        trainer.setTheta(theta!);
        stats = saved!.slice();
      },
      scoreVal: () => score(data.val),
      ...loopHooks,
    });
    const outcome = { ...loop, valScores: await score(data.val), testScores: await score(data.test), parameters: P };
    await onChosen?.({ config, tasks, theta: trainer.theta.slice(), stats: stats.slice() });
    return outcome;
  } finally {
    await trainer.release();
    await scorer.release();
  }
}
