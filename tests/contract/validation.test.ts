/** Validation messages name the field and give its range in words, on the host and in the forms alike. */
import { describe, expect, it } from 'vitest';
import { checkInput, issueFor, parseInput } from '../../contract/api.js';

const study = { name: 's', dataset: 'd', tasks: ['MI'], methods: ['GL'], patches: [125], depths: [1], dims: [32], protocols: ['linear'], steps: 4, batchSize: 8, probeEpochs: 3, finetuneEpochs: 1 };
const pretrain = { method: 'hl', patch: 125, dim: 64, depth: 2, maskRatio: 0.75, augmentations: ['shift'], tau: 0.1, batchSize: 8, lr: 1e-3, weightDecay: 1e-5, steps: 20, datasets: ['ptbxl'] };

describe('field messages', () => {
  it('names the field and its human range for letters in a number field and for out-of-range values', () => {
    const r = checkInput('startStudy', { ...study, probeEpochs: 'abc', finetuneEpochs: 5000, batchSize: 1.5 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(issueFor(r.issues, 'probeEpochs')).toBe('Probe epochs must be a whole number from 1 to 1,000.');
    expect(issueFor(r.issues, 'finetuneEpochs')).toBe('Fine-tune epochs must be a whole number from 1 to 1,000.');
    expect(issueFor(r.issues, 'batchSize')).toBe('Batch size must be a whole number from 2 to 1,024.');
    for (const i of r.issues) expect(i.message).not.toMatch(/expected|Too big|Too small|<=|>=/);
  });

  it('keeps a schema’s own message, and words arrays, enums and unknown keys', () => {
    const r = checkInput('startPretrain', { ...pretrain, patch: 5, maskRatio: 'x', datasets: [], method: 'mae', extra: 1 });
    if (r.ok) throw new Error('accepted');
    expect(issueFor(r.issues, 'patch')).toBe('Patch size must be at least 10 samples.');
    expect(issueFor(r.issues, 'maskRatio')).toBe('Masking ratio must be a number above 0 and below 1.');
    expect(issueFor(r.issues, 'datasets')).toBe('Choose at least one dataset to pre-train on.');
    expect(issueFor(r.issues, 'method')).toBe('Method must be one of cl, gl, hl.');
    expect(r.issues.map((i) => i.message)).toContain('Unknown field: extra.');
  });

  it('is what the hosts answer: parseInput throws the same messages', () => {
    expect(() => parseInput('startStudy', { ...study, steps: 0 })).toThrow('steps: Pre-train for at least 1 step.');
    expect(() => parseInput('startStudy', { ...study, patches: ['x'] })).toThrow('Patch sizes must be a whole number from 10 to 1,250.');
    expect(checkInput('startStudy', study).ok).toBe(true);
  });
});
