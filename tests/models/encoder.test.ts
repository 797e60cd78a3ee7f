import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { initBackend } from '../../main/compute/backend.js';
import { tf } from '../../main/compute/tf.js';
import { ECG_SIZE } from '../../main/data/types.js';
import { createEncoder } from '../../main/models/encoder.js';
import { FoundationModel } from '../../main/models/foundation.js';
import { patchifyTensor, resolveVitConfig, tokenCount } from '../../main/models/vit.js';
import { patchify } from '../../main/ssl/patches.js';
import { Rng } from '../../main/ssl/rng.js';
import { tempWorkspace } from '../helpers/paths.js';

function ecgs(b: number, seed: number): tf.Tensor3D {
  const rng = new Rng(seed);
  return tf.tensor3d(Float32Array.from({ length: b * ECG_SIZE }, () => rng.normal()), [b, 12, 2500]);
}

describe('ViT encoder', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('crops the trailing remainder: floor(2500/P) patches, lead-major within a patch', () => {
    expect([60, 125, 250, 7].map(tokenCount)).toEqual([41, 20, 10, 357]);
    const x = ecgs(2, 1);
    const flat = x.dataSync() as Float32Array;
    const viaTensor = patchifyTensor(x, 60).dataSync();
    const viaArrays = patchify(flat, 2, 60);
    expect(viaTensor.length).toBe(2 * 41 * 12 * 60);
    expect(Array.from(viaTensor)).toEqual(Array.from(viaArrays));
    // Patch 1 of ECG 1, lead 3, sample 5 is signal[1][3][60 + 5].
    expect(viaArrays[(1 * 41 + 1) * 720 + 3 * 60 + 5]).toBe(flat[ECG_SIZE + 3 * 2500 + 65]);
  });

  it('embeds [B,12,2500] into [B,D] for paper sizes and any user-typed size, with gradients into every weight', () => {
    for (const cfg of [{ patch: 125, depth: 2, dim: 64 }, { patch: 97, depth: 1, dim: 30, pooling: 'mean' as const }]) {
      const enc = createEncoder(cfg, 3);
      const x = ecgs(3, 2);
      const y = enc.embed(x);
      expect(y.shape).toEqual([3, cfg.dim]);
      const vars = enc.trainableVariables();
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(enc.embed(x, true))), vars);
      for (const v of vars) {
        const g = grads[v.name]!;
        expect(g.shape).toEqual(v.shape);
        expect(Number.isFinite(tf.sum(tf.abs(g)).dataSync()[0])).toBe(true);
      }
      // The patch projection and the first block must receive signal.
      expect(tf.sum(tf.abs(grads[vars[0]!.name]!)).dataSync()[0]).toBeGreaterThan(0);
      enc.dispose();
    }
  });

  it('rejects invalid sizes with a clear message', () => {
    expect(() => resolveVitConfig({ patch: 0, depth: 2, dim: 64 })).toThrow(/patch/);
    expect(() => resolveVitConfig({ patch: 125, depth: 2, dim: 64, heads: 5 })).toThrow(/divisible/);
  });

  it('the same seed gives the same weights; saved and loaded models give identical outputs', async () => {
    const dir = tempWorkspace();
    const cfg = resolveVitConfig({ patch: 250, depth: 2, dim: 32 });
    const a = new FoundationModel(cfg, 5);
    const b = new FoundationModel(cfg, 5);
    const c = new FoundationModel(cfg, 6);
    const x = ecgs(2, 9);
    const ya = a.embed(x).dataSync();
    expect(Array.from(b.embed(x).dataSync())).toEqual(Array.from(ya));
    expect(Array.from(c.embed(x).dataSync())).not.toEqual(Array.from(ya));
    const path = join(dir, 'model.ecgfmt');
    await a.save(path);
    c.load(path);
    expect(Array.from(c.embed(x).dataSync())).toEqual(Array.from(ya));
    // An encoder-only model loads the encoder out of a full one.
    const enc = new FoundationModel(cfg, 99, { decoder: false, head: false });
    enc.load(path, ['enc.']);
    expect(Array.from(enc.embed(x).dataSync())).toEqual(Array.from(ya));
    const other = new FoundationModel(resolveVitConfig({ patch: 125, depth: 2, dim: 32 }), 1);
    expect(() => other.load(path)).toThrow(/shape/);
    [a, b, c, enc, other].forEach((m) => m.dispose());
  });
});
