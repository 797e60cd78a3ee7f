/**
 * The two training engines behind one step interface: tfjs (the selected backend, main/training/step.ts) and
 * ONNX Runtime (one graph per step, main/onnx/train/). The tfjs model and AdamW stay the checkpoint's source of
 * truth: the ONNX engine writes its state back into them before every checkpoint, so both engines read and write
 * the same files and a run may resume on either.
 */
import { tf } from '../compute/tf.js';
import type { FoundationModel } from '../models/foundation.js';
import { layoutOf, modelVariables, stateFromTfjs, writeToTfjs, type NamedVariable } from '../onnx/train/bridge.js';
import { OrtTrainer } from '../onnx/train/engine.js';
import { pretrainFeeds, pretrainSpec } from '../onnx/train/feeds.js';
import type { ParamLayout } from '../onnx/train/vit.js';
import type { LossValues } from '../../contract/training.js';
import type { AdamW } from './adamw.js';
import type { PretrainConfig } from './config.js';
import { lossTensors, type PreparedStep } from './methods.js';
import { trainStep } from './step.js';

export type { ResolvedEngine, TrainingEngine } from '../../contract/training.js';
export { TRAINING_ENGINES } from '../../contract/training.js';

export interface PretrainStepper {
  readonly engine: 'tfjs' | 'ort';
  step(prepared: PreparedStep, lr: number): Promise<LossValues>;
  /** Loss terms of a prepared batch at the current weights, without an update (validation batches). */
  evaluate(prepared: PreparedStep): Promise<LossValues>;
  /** Bring the tfjs model and optimizer up to date (before a checkpoint or the end). */
  sync(): void;
  release(): Promise<void>;
}

class TfjsStepper implements PretrainStepper {
  readonly engine = 'tfjs';
  private readonly vars: tf.Variable[];

  constructor(
    private readonly model: FoundationModel,
    private readonly optimizer: AdamW,
    private readonly cfg: PretrainConfig,
  ) {
    this.vars = model.allVariables();
  }

  step(prepared: PreparedStep, lr: number): Promise<LossValues> {
    this.optimizer.learningRate = lr;
    return trainStep(this.model, this.optimizer, this.cfg, prepared, this.vars);
  }

  async evaluate(prepared: PreparedStep): Promise<LossValues> {
    const l = tf.tidy(() => {
      const t = lossTensors(this.model, this.cfg, prepared);
      return Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) as Record<string, tf.Scalar>;
    });
    try {
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(l)) out[k] = (await v.data())[0]!;
      return out as unknown as LossValues;
    } finally {
      tf.dispose(Object.values(l));
    }
  }

  sync(): void {}

  release(): Promise<void> {
    return Promise.resolve();
  }
}

class OrtStepper implements PretrainStepper {
  readonly engine = 'ort';

  constructor(
    private readonly trainer: OrtTrainer,
    private readonly vars: NamedVariable[],
    private readonly layout: ParamLayout,
    private readonly optimizer: AdamW,
    private readonly cfg: PretrainConfig,
  ) {}

  async step(prepared: PreparedStep, lr: number): Promise<LossValues> {
    const { feeds, patient } = pretrainFeeds(this.cfg, prepared);
    const r = await this.trainer.train(pretrainSpec(this.cfg, prepared), feeds, lr);
    this.optimizer.learningRate = lr;
    return lossValues(r, patient);
  }

  async evaluate(prepared: PreparedStep): Promise<LossValues> {
    const { feeds, patient } = pretrainFeeds(this.cfg, prepared);
    return lossValues(await this.trainer.evaluate(pretrainSpec(this.cfg, prepared), feeds), patient);
  }

  sync(): void {
    const state = this.trainer.state();
    writeToTfjs(this.vars, this.layout, state.theta, this.optimizer, state);
  }

  release(): Promise<void> {
    return this.trainer.release();
  }
}

function lossValues(r: Record<string, number>, patient: boolean): LossValues {
  const out: LossValues = { total: r.loss! };
  if (r.recon !== undefined) out.recon = r.recon;
  if (r.sample !== undefined) out.sample = r.sample;
  // A batch without a patient seen twice has no patient-level term (the graph computed zero).
  if (patient && r.patient !== undefined) out.patient = r.patient;
  return out;
}

/** A stepper on `engine` starting from the model's and optimizer's current state. */
export async function createPretrainStepper(engine: 'tfjs' | 'ort', model: FoundationModel, optimizer: AdamW, cfg: PretrainConfig): Promise<PretrainStepper> {
  if (engine === 'tfjs') return new TfjsStepper(model, optimizer, cfg);
  const vars = modelVariables(model);
  const layout = layoutOf(vars);
  const trainer = await OrtTrainer.create(layout, await stateFromTfjs(vars, layout, optimizer), { weightDecay: optimizer.weightDecay });
  return new OrtStepper(trainer, vars, layout, optimizer, cfg);
}
