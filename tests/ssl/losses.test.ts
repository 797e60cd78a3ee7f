import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend.js';
import { tf } from '../../main/compute/tf.js';
import { patientInfoNce, patientPositives, reconstructionL1, sampleInfoNce } from '../../main/ssl/losses.js';

describe('InfoNCE', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('sample-level loss equals the value worked out by hand', () => {
    // Views: z1 = (1,0),(0,1); z2 = (1,0),(1,1)/√2; τ = 0.5. Cosine logits / τ:
    //   z1→z2 rows [2, √2], [0, √2];  z2→z1 rows [2, 0], [√2, √2].
    // L = ¼ [ −ln e²/(e²+e^√2) − ln e^√2/(1+e^√2) − ln e²/(e²+1) + ln 2 ] = 0.370061…
    const loss = sampleInfoNce(tf.tensor2d([[1, 0], [0, 1]]), tf.tensor2d([[1, 0], [1, 1]]), 0.5);
    expect(loss.dataSync()[0]).toBeCloseTo(0.3700611229, 5);
  });

  it('patient-level loss pairs other ECGs of the same patient, excluding the own view from the denominator', () => {
    // Patients a, a, b; τ = 1. z1 = (1,0),(0,1),(1,1)/√2; z2 = (1,0),(0,1),(−1,0).
    // Anchors are ECGs 0 and 1 (patient b has one ECG and adds nothing).
    //   z1→z2: anchor 0 over {1: 0, 2: −1} → −ln 1/(1+e⁻¹); anchor 1 over {0: 0, 2: 0} → ln 2
    //   z2→z1: anchor 0 over {1: 0, 2: 1/√2} and anchor 1 over {0: 0, 2: 1/√2} → −ln 1/(1+e^{1/√2}) each
    // L = ¼ (sum) = 0.805572…
    const loss = patientInfoNce(tf.tensor2d([[1, 0], [0, 1], [1, 1]]), tf.tensor2d([[1, 0], [0, 1], [-1, 0]]), ['a', 'a', 'b'], 1);
    expect(loss).not.toBeNull();
    expect(loss!.dataSync()[0]).toBeCloseTo(0.8055723708, 5);
  });

  it('patient-level loss is absent when every patient has a single ECG in the batch', () => {
    expect(patientInfoNce(tf.eye(3) as tf.Tensor2D, tf.eye(3) as tf.Tensor2D, ['a', 'b', 'c'], 0.1)).toBeNull();
    const pos = patientPositives(['p', 'q', 'p', 'p']);
    expect(pos?.anchors).toBe(3);
    expect(Array.from(pos!.weights.slice(0, 4))).toEqual([0, 0, 0.5, 0.5]);
  });

  it('is minimal when the two views agree and falls as they align', () => {
    const z = tf.tensor2d([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    const aligned = sampleInfoNce(z, z, 0.1).dataSync()[0]!;
    const shuffled = sampleInfoNce(z, tf.tensor2d([[0, 1, 0], [0, 0, 1], [1, 0, 0]]), 0.1).dataSync()[0]!;
    expect(aligned).toBeLessThan(0.001);
    expect(shuffled).toBeGreaterThan(10);
  });
});

describe('reconstruction loss', () => {
  it('is the mean absolute error over masked patches only, or over all', () => {
    const pred = tf.tensor3d([[[1, 2], [3, 4]]]);
    const target = tf.tensor3d([[[0, 0], [0, 8]]]);
    const masked = tf.tensor3d([[[0], [1]]]);
    expect(reconstructionL1(pred, target, masked).dataSync()[0]).toBeCloseTo((3 + 4) / 2, 6);
    expect(reconstructionL1(pred, target).dataSync()[0]).toBeCloseTo((1 + 2 + 3 + 4) / 4, 6);
  });
});
