/** Validation messages name the field and give its range in words, on the host and in the forms alike. */
import { describe, expect, it } from 'vitest';
import { checkInput, issueFor, parseInput } from '../../contract/api.js';
import { studyConfigOf, studyConfigView } from '../../main/api/views.js';

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

  it('takes a study’s pooled pre-training datasets and their weights, checked, into the study config and back', () => {
    const pooled = { ...study, pretrainDatasets: ['d', 'code15'], sourceWeights: { d: 1, code15: 2 } };
    expect(checkInput('startStudy', pooled).ok).toBe(true);
    const dup = checkInput('startStudy', { ...study, pretrainDatasets: ['d', 'd'] });
    if (dup.ok) throw new Error('accepted a dataset named twice');
    expect(issueFor(dup.issues, 'pretrainDatasets')).toBe('Name each pre-training dataset once.');
    const weights = checkInput('startStudy', { ...study, pretrainDatasets: ['d', 'code15'], sourceWeights: { d: 1 } });
    if (weights.ok) throw new Error('accepted weights for only one of two datasets');
    expect(issueFor(weights.issues, 'sourceWeights')).toBe('Give a weight for every pre-training dataset, and for no other.');
    const config = studyConfigOf({ ...pooled, protocols: ['linear'], baselines: [], seed: 0, split: 'strat_fold' });
    expect(config.pretrainDatasets).toEqual(['d', 'code15']);
    expect(config.sourceWeights).toEqual({ d: 1, code15: 2 });
    expect(studyConfigView(config)).toMatchObject({ pretrainDatasets: ['d', 'code15'], sourceWeights: { d: 1, code15: 2 } });
    expect(studyConfigOf({ ...study, protocols: ['linear'], baselines: [], seed: 0, split: 'strat_fold' }).pretrainDatasets).toBeUndefined();
  });
});

