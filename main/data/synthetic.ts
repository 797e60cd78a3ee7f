/**
 * A synthetic 12-lead ECG cohort for the demo, made in code (no data files).
 *
 * Each beat is a sum of Gaussians in time (the waveform McSharry et al.'s ECGSYN produces: P, Q, R, S and an
 * asymmetric T), but every wave carries a 3-D cardiac dipole, so one beat projects onto all 12 leads through lead
 * vectors (Einthoven's law holds exactly for the limb leads). RR intervals carry Mayer-wave and respiratory
 * variability; wave timing after the R peak stretches with √RR (Bazett). A recording adds baseline wander,
 * muscle noise and mains interference.
 *
 * Patients have identities: axis, heart rate, amplitudes and electrode placement are fixed per patient and each
 * patient has several recordings. Four label-bearing morphologies modelled on PTB-XL's superclasses:
 * MI (pathological Q waves, lost R and ST elevation or T inversion in one territory), CD (wide QRS with a
 * right or left bundle-branch pattern), STTC (ST depression and flat or inverted T) and HYP (tall R, deep S, strain).
 */
import { createCacheWriter } from './cache.js';
import { datasetDir } from './registry.js';
import { ECG_SIZE, LEADS, TARGET_FS, TARGET_SAMPLES, type ImportReport, type RecordMeta } from './types.js';
import { mulberry32 } from '../random.js';
import { syntheticCohortParameters } from '../resources.js';

export const SYNTHETIC_LABELS = ['MI', 'STTC', 'CD', 'HYP'] as const;
export type SyntheticLabel = (typeof SYNTHETIC_LABELS)[number];

type Vec3 = [number, number, number];

/** One Gaussian wave of the beat: its time from the R peak (s), width (s) and dipole (mV; x left, y down, z front). */
interface Wave {
  name: string;
  t: number;
  sigma: number;
  dipole: Vec3;
  /** Waves after the QRS stretch with √RR. */
  repolarisation: boolean;
}

export interface PatientModel {
  id: string;
  index: number;
  labels: Record<SyntheticLabel, boolean>;
  /** Mean heart rate, beats per minute. */
  heartRate: number;
  /** Relative RR modulation at 0.1 Hz (Mayer) and at the breathing rate. */
  lfAmplitude: number;
  hfAmplitude: number;
  breathingHz: number;
  waves: Wave[];
  /** 12 lead vectors (rows of the projection), including this patient's electrode placement. */
  leadVectors: Vec3[];
  miTerritory: 'anterior' | 'inferior' | 'lateral' | null;
  cdPattern: 'RBBB' | 'LBBB' | null;
  age: number;
  sex: 'M' | 'F';
  fold: number;
}

export interface SyntheticOptions {
  patients: number;
  seed: number;
  /** Recordings per patient, drawn uniformly from [min, max]. Default [1, 3]. */
  recordingsPerPatient?: [number, number];
  /** Share of patients with each morphology (independent draws). */
  prevalence?: Partial<Record<SyntheticLabel, number>>;
  /** Add baseline wander, muscle noise and mains interference. Default true. */
  noise?: boolean;
}

/** Label prevalences and recordings per patient: resources/synthetic/cohort.json. */
export const DEFAULT_PREVALENCE: Record<SyntheticLabel, number> = syntheticCohortParameters().prevalence;

export const createRng = mulberry32;

const uniform = (rng: () => number, lo: number, hi: number) => lo + (hi - lo) * rng();
function normal(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

const add = (a: Vec3, b: Vec3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const scale = (a: Vec3, k: number): Vec3 => [a[0] * k, a[1] * k, a[2] * k];
const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const unit = (a: Vec3): Vec3 => scale(a, 1 / Math.hypot(...a));
/** Removes `share` of a's component along the unit vector u. */
const attenuateAlong = (a: Vec3, u: Vec3, share: number): Vec3 => add(a, scale(u, -share * dot(a, u)));

function rotate(v: Vec3, frontal: number, horizontal: number): Vec3 {
  // Frontal-plane rotation (x–y) shifts the electrical axis; horizontal (x–z) shifts the precordial transition.
  const [x0, y0, z0] = v;
  const x1 = x0 * Math.cos(frontal) - y0 * Math.sin(frontal);
  const y1 = x0 * Math.sin(frontal) + y0 * Math.cos(frontal);
  const x2 = x1 * Math.cos(horizontal) - z0 * Math.sin(horizontal);
  const z2 = x1 * Math.sin(horizontal) + z0 * Math.cos(horizontal);
  return [x2, y1, z2];
}

/** Lead vectors in LEADS order. Limb leads follow Einthoven/Goldberger from I and II; precordial ones lie near the horizontal plane. */
function leadVectors(rng: () => number, jitter: boolean): Vec3[] {
  const I: Vec3 = [1, 0, 0];
  const II: Vec3 = [0.5, Math.sqrt(3) / 2, 0];
  const III: Vec3 = add(II, scale(I, -1));
  const aVR: Vec3 = scale(add(I, II), -0.5);
  const aVL: Vec3 = add(I, scale(II, -0.5));
  const aVF: Vec3 = add(II, scale(I, -0.5));
  const angles = [115, 95, 75, 55, 30, 5];
  const precordial = angles.map((deg): Vec3 => {
    const a = ((deg + (jitter ? uniform(rng, -8, 8) : 0)) * Math.PI) / 180;
    // The chest electrodes sit close to the heart: about twice the limb-lead gain.
    const gain = 2 * (jitter ? uniform(rng, 0.85, 1.15) : 1);
    return scale([Math.cos(a), 0.12, Math.sin(a)], gain);
  });
  return [I, II, III, aVR, aVL, aVF, ...precordial];
}

const TERRITORY: Record<NonNullable<PatientModel['miTerritory']>, Vec3> = {
  anterior: unit([-0.1, 0.05, 1]),
  inferior: unit([0.1, 1, 0]),
  lateral: unit([1, -0.2, 0.2]),
};

/** Draws one patient: anatomy, rhythm and morphology. */
export function samplePatient(index: number, rng: () => number, prevalence: Record<SyntheticLabel, number> = DEFAULT_PREVALENCE): PatientModel {
  const labels = Object.fromEntries(SYNTHETIC_LABELS.map((l) => [l, rng() < prevalence[l]])) as Record<SyntheticLabel, boolean>;
  const frontal = uniform(rng, -0.35, 0.35);
  const horizontal = uniform(rng, -0.25, 0.25);
  const amp = uniform(rng, 0.7, 1.3);
  const r = (v: Vec3, k: number): Vec3 => scale(rotate(unit(v), frontal, horizontal), k * amp);

  let waves: Wave[] = [
    { name: 'P', t: -0.165 + uniform(rng, -0.015, 0.015), sigma: 0.022, dipole: r([0.6, 0.75, 0.2], 0.15), repolarisation: false },
    { name: 'Q', t: -0.032, sigma: 0.009, dipole: r([-0.5, 0.2, 0.8], 0.14), repolarisation: false },
    { name: 'R', t: 0, sigma: 0.011, dipole: r([0.6, 0.65, -0.45], uniform(rng, 1.1, 1.5)), repolarisation: false },
    { name: 'S', t: 0.034, sigma: 0.012, dipole: r([-0.35, -0.25, -0.9], uniform(rng, 0.35, 0.55)), repolarisation: false },
    { name: 'T1', t: 0.25, sigma: 0.05, dipole: r([0.55, 0.6, 0.45], uniform(rng, 0.22, 0.32)), repolarisation: true },
    { name: 'T2', t: 0.305, sigma: 0.03, dipole: r([0.55, 0.6, 0.45], 0.12), repolarisation: true },
  ];
  const wave = (name: string) => waves.find((w) => w.name === name)!;
  const heartRate = uniform(rng, 55, 95);

  let miTerritory: PatientModel['miTerritory'] = null;
  if (labels.MI) {
    miTerritory = (['anterior', 'inferior', 'lateral'] as const)[Math.floor(rng() * 3)]!;
    const u = rotate(TERRITORY[miTerritory], frontal, horizontal);
    // Necrosis: forces towards the infarct vanish, leaving a wide early vector pointing away (a pathological Q).
    wave('R').dipole = attenuateAlong(wave('R').dipole, u, 0.55);
    waves.push({ name: 'Qpath', t: -0.018, sigma: 0.016, dipole: scale(u, -uniform(rng, 0.25, 0.5) * amp), repolarisation: false });
    if (rng() < 0.5) {
      // Acute: current of injury towards the infarct lifts the ST segment.
      waves.push({ name: 'STe', t: 0.13, sigma: 0.065, dipole: scale(u, uniform(rng, 0.18, 0.32) * amp), repolarisation: true });
    } else {
      // Old: T waves invert over the territory.
      for (const n of ['T1', 'T2']) wave(n).dipole = attenuateAlong(wave(n).dipole, u, 1.8);
    }
  }

  let cdPattern: PatientModel['cdPattern'] = null;
  if (labels.CD) {
    cdPattern = rng() < 0.5 ? 'RBBB' : 'LBBB';
    const widen = uniform(rng, 1.35, 1.9);
    for (const n of ['Q', 'R', 'S']) wave(n).sigma *= widen;
    if (cdPattern === 'RBBB') {
      // Late, slow right-ventricular activation: R' in V1, broad S in I and V6.
      wave('S').t = 0.045;
      waves.push({ name: "R'", t: 0.085, sigma: 0.02, dipole: r([-0.65, 0.05, 0.75], uniform(rng, 0.5, 0.8)), repolarisation: false });
    } else {
      // Septum activated from the left: no septal q, broad notched R to the left, discordant T.
      wave('Q').dipole = [0, 0, 0];
      wave('R').dipole = r([0.85, 0.2, -0.5], uniform(rng, 1.2, 1.6));
      wave('S').dipole = scale(wave('S').dipole, 0.3);
      waves.push({ name: 'R2', t: 0.05, sigma: 0.02, dipole: r([0.8, 0.1, -0.6], uniform(rng, 0.7, 1.0)), repolarisation: false });
      for (const n of ['T1', 'T2']) wave(n).dipole = scale(wave(n).dipole, -0.8);
    }
    if (rng() < 0.3) wave('P').t -= 0.09; // first-degree AV block often accompanies conduction disease
  }

  if (labels.STTC) {
    const lateral = rotate(unit([0.75, 0.45, 0.35]), frontal, horizontal);
    waves.push({ name: 'STd', t: 0.13, sigma: 0.06, dipole: scale(lateral, -uniform(rng, 0.08, 0.16) * amp), repolarisation: true });
    const k = uniform(rng, -0.6, 0.25);
    for (const n of ['T1', 'T2']) wave(n).dipole = scale(wave(n).dipole, k);
  }

  if (labels.HYP) {
    const k = uniform(rng, 1.35, 1.8);
    wave('R').dipole = scale(wave('R').dipole, k);
    wave('S').dipole = scale(wave('S').dipole, k * 0.9);
    if (rng() < 0.5) for (const n of ['T1', 'T2']) wave(n).dipole = scale(wave(n).dipole, -0.6); // strain
  }

  waves = waves.filter((w) => Math.hypot(...w.dipole) > 0);
  return {
    id: `SYN${String(index).padStart(5, '0')}`,
    index,
    labels,
    heartRate: labels.CD ? heartRate * 0.92 : heartRate,
    lfAmplitude: uniform(rng, 0.01, 0.04),
    hfAmplitude: uniform(rng, 0.01, 0.04),
    breathingHz: uniform(rng, 0.18, 0.33),
    waves,
    leadVectors: leadVectors(rng, true),
    miTerritory,
    cdPattern,
    age: Math.round(uniform(rng, 30, 85)),
    sex: rng() < 0.5 ? 'M' : 'F',
    fold: 1 + (Math.floor(rng() * 1e6) % 10),
  };
}

export interface SynthesizedEcg {
  /** 12 × 2500, lead-major, mV. */
  signal: Float32Array;
  /** R-peak times (s) inside the 10 s window. */
  beats: number[];
  heartRate: number;
}

/** One 10-s recording of a patient; `rng` draws this recording's rate, phase and noise. */
export function synthesizeEcg(patient: PatientModel, rng: () => number, opts: { noise?: boolean } = {}): SynthesizedEcg {
  const noise = opts.noise ?? true;
  const n = TARGET_SAMPLES;
  const fs = TARGET_FS;
  const out = new Float32Array(ECG_SIZE);
  // Per recording the rate drifts a little and electrodes move a little.
  const hr = patient.heartRate * uniform(rng, 0.93, 1.07);
  const rrMean = 60 / hr;
  const leads = patient.leadVectors.map((v, i) => (i >= 6 ? scale(v, uniform(rng, 0.95, 1.05)) : v));
  const phiLf = uniform(rng, 0, 2 * Math.PI);
  const phiHf = uniform(rng, 0, 2 * Math.PI);

  const beats: number[] = [];
  let t = -uniform(rng, 0, rrMean);
  while (t < 10 + 0.6) {
    beats.push(t);
    const rr =
      rrMean *
      (1 + patient.lfAmplitude * Math.sin(2 * Math.PI * 0.1 * t + phiLf) + patient.hfAmplitude * Math.sin(2 * Math.PI * patient.breathingHz * t + phiHf)) +
      0.008 * normal(rng);
    t += Math.max(0.3, rr);
  }

  for (let b = 0; b < beats.length; b++) {
    const tb = beats[b]!;
    const rr = (beats[b + 1] ?? tb + rrMean) - tb;
    const stretch = Math.sqrt(Math.min(Math.max(rr, 0.4), 1.6));
    // Breathing moves the heart relative to the electrodes: a few percent of amplitude modulation.
    const breath = 1 + 0.05 * Math.sin(2 * Math.PI * patient.breathingHz * tb + phiHf);
    for (const w of patient.waves) {
      const centre = tb + (w.repolarisation ? w.t * stretch : w.t);
      const sigma = w.repolarisation ? w.sigma * stretch : w.sigma;
      const lo = Math.max(0, Math.floor((centre - 4 * sigma) * fs));
      const hi = Math.min(n - 1, Math.ceil((centre + 4 * sigma) * fs));
      if (hi < lo) continue;
      const proj = leads.map((l) => dot(l, w.dipole) * breath);
      for (let s = lo; s <= hi; s++) {
        const d = s / fs - centre;
        const g = Math.exp((-d * d) / (2 * sigma * sigma));
        for (let l = 0; l < 12; l++) out[l * n + s]! += proj[l]! * g;
      }
    }
  }

  if (noise) {
    // Baseline wander: a respiratory dipole seen by all leads plus slow drift of each electrode.
    const wanderDipole: Vec3 = [normal(rng), normal(rng), normal(rng)].map((x) => x * uniform(rng, 0.02, 0.08)) as Vec3;
    const wanderHz = uniform(rng, 0.15, 0.35);
    const wanderPhase = uniform(rng, 0, 2 * Math.PI);
    const mainsHz = rng() < 0.5 ? 50 : 60;
    const mains = rng() < 0.3 ? uniform(rng, 0.005, 0.02) : 0;
    const emg = uniform(rng, 0.005, 0.03);
    for (let l = 0; l < 12; l++) {
      if (l >= 2 && l < 6) continue; // III, aVR, aVL, aVF are derived from I and II below, as an electrocardiograph does
      const common = dot(leads[l]!, wanderDipole);
      const driftAmp = uniform(rng, 0.01, 0.06);
      const driftHz = uniform(rng, 0.03, 0.12);
      const driftPhase = uniform(rng, 0, 2 * Math.PI);
      const mainsPhase = uniform(rng, 0, 2 * Math.PI);
      for (let s = 0; s < n; s++) {
        const ts = s / fs;
        out[l * n + s]! +=
          common * Math.sin(2 * Math.PI * wanderHz * ts + wanderPhase) +
          driftAmp * Math.sin(2 * Math.PI * driftHz * ts + driftPhase) +
          mains * Math.sin(2 * Math.PI * mainsHz * ts + mainsPhase) +
          emg * normal(rng);
      }
    }
  }
  deriveLimbLeads(out);
  return { signal: out, beats: beats.filter((b) => b >= 0 && b < 10), heartRate: hr };
}

/** III = II − I, aVR = −(I + II)/2, aVL = I − II/2, aVF = II − I/2. */
function deriveLimbLeads(x: Float32Array): void {
  const n = TARGET_SAMPLES;
  for (let s = 0; s < n; s++) {
    const i = x[s]!;
    const ii = x[n + s]!;
    x[2 * n + s] = ii - i;
    x[3 * n + s] = -(i + ii) / 2;
    x[4 * n + s] = i - ii / 2;
    x[5 * n + s] = ii - i / 2;
  }
}

export interface SyntheticRecord {
  meta: RecordMeta;
  signal: Float32Array;
}

/** The cohort, one recording at a time (bounded memory), in patient order. Same options → same cohort. */
export function* syntheticCohort(opts: SyntheticOptions): Generator<SyntheticRecord> {
  if (!Number.isInteger(opts.patients) || opts.patients < 1) throw new Error(`Synthetic cohort: patients must be a positive integer (got ${opts.patients}).`);
  const prevalence = { ...DEFAULT_PREVALENCE, ...opts.prevalence };
  const [minRec, maxRec] = opts.recordingsPerPatient ?? syntheticCohortParameters().recordingsPerPatient;
  if (minRec < 1 || maxRec < minRec) throw new Error(`Synthetic cohort: recordingsPerPatient must satisfy 1 ≤ min ≤ max (got [${minRec}, ${maxRec}]).`);
  const rng = createRng(opts.seed);
  for (let p = 0; p < opts.patients; p++) {
    // Each patient has its own stream, so changing one patient's recordings never shifts the others.
    const prng = createRng(Math.floor(rng() * 2 ** 32));
    const patient = samplePatient(p, prng, prevalence);
    const count = minRec + Math.floor(prng() * (maxRec - minRec + 1));
    for (let k = 0; k < count; k++) {
      const ecg = synthesizeEcg(patient, prng, { noise: opts.noise ?? true });
      const labels: Record<string, boolean> = { ...patient.labels, NORM: !SYNTHETIC_LABELS.some((l) => patient.labels[l]) };
      yield {
        signal: ecg.signal,
        meta: {
          id: `${patient.id}-${k + 1}`,
          patientId: patient.id,
          source: 'synthetic',
          labels,
          quality: { missingLeads: [], derivedLeads: [], hadNaN: false, padded: false },
          fields: {
            strat_fold: patient.fold,
            age: patient.age,
            sex: patient.sex,
            heart_rate: Math.round(ecg.heartRate * 10) / 10,
            mi_territory: patient.miTerritory,
            cd_pattern: patient.cdPattern,
          },
        },
      };
    }
  }
}

/**
 * Writes the cohort into the workspace cache as dataset `name` (kind 'synthetic') with the data layer's writer.
 * Re-running with the same options skips records already written, so an interrupted generation completes.
 */
export async function writeSyntheticDataset(
  opts: SyntheticOptions & { name: string; onProgress?: (done: number, patients: number) => void; signal?: AbortSignal },
): Promise<ImportReport> {
  const writer = createCacheWriter(datasetDir(opts.name), {
    name: opts.name,
    kind: 'synthetic',
    source: `ECGSYN-style dipole model, ${opts.patients} patients, seed ${opts.seed}`,
  });
  let lastPatient = '';
  let patientsDone = 0;
  for (const rec of syntheticCohort(opts)) {
    if (opts.signal?.aborted) {
      writer.checkpoint();
      throw new Error(`Generation of ${opts.name} was interrupted; run it again to complete it.`);
    }
    if (rec.meta.patientId !== lastPatient) {
      lastPatient = rec.meta.patientId;
      opts.onProgress?.(patientsDone++, opts.patients);
    }
    if (!writer.has(rec.meta.id)) writer.append(rec.meta, rec.signal);
  }
  opts.onProgress?.(opts.patients, opts.patients);
  return writer.finish();
}

export { LEADS };
