/**
 * The `.ecgfm` model package: one self-describing file that carries a fine-tuned model to another machine.
 *
 * Layout: "ECGFMPKG1\n", a uint32 (LE) header length, the JSON header (architecture, preprocessing, tasks and
 * thresholds, calibration predictions, provenance, metrics at export, the weight table and a SHA-256 of the
 * weights), padding to 4 bytes, then the little-endian float32 weights. Written to a temporary name and renamed.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { LEADS, TARGET_FS, TARGET_SECONDS, type Lead } from '../data/types.js';
import type { VitConfig } from '../models/types.js';
import { resolveVitConfig } from '../models/vit.js';

const MAGIC = 'ECGFMPKG1\n';
export const PACKAGE_FORMAT_VERSION = 1;

export type NamedWeights = Map<string, { shape: number[]; data: Float32Array }>;

export interface Preprocessing {
  leads: Lead[];
  sampleRate: number;
  seconds: number;
  units: 'mV';
  /** Source rates below this cannot carry the model's bandwidth; cohorts sampled lower are refused. */
  minSourceRate: number;
  /** Leads a record must really have (derived limb leads count; zero-filled ones do not). */
  requiredLeads: Lead[];
  description: string;
}

export interface TaskSpec {
  name: string;
  /** Default decision threshold on the sigmoid score, chosen on the calibration split. */
  threshold: number;
  thresholdRule: string;
}

/** Labelled predictions of the validation (calibration) split, so operating points are chosen off the evaluated cohort. */
export interface CalibrationSet {
  description: string;
  ids: string[];
  /** Per task, aligned with ids. */
  labels: number[][];
  scores: number[][];
}

export interface Provenance {
  datasets: string[];
  /**
   * Record and patient ids of the training and calibration parts, so a cohort run can leave out what the package
   * saw. Absent in packages exported before it was recorded.
   */
  seen?: { records: string[]; patients: string[] };
  split: string;
  encoderRun: string | null;
  config: Record<string, unknown>;
  backend: string;
  seed: number;
  createdAt: string;
  software: string;
}

export interface PackageHeader {
  format: 'ecgfm-package';
  version: number;
  architecture: VitConfig;
  preprocessing: Preprocessing;
  tasks: TaskSpec[];
  calibration: CalibrationSet;
  provenance: Provenance;
  /** Metrics at export, per task (validation and, when run, test). */
  metrics: Record<string, unknown>;
  weights: Array<{ name: string; shape: number[]; offset: number }>;
  weightsSha256: string;
}

export interface ModelPackage {
  header: Omit<PackageHeader, 'weights' | 'weightsSha256' | 'format' | 'version'>;
  weights: NamedWeights;
}

export function defaultPreprocessing(): Preprocessing {
  return {
    leads: [...LEADS],
    sampleRate: TARGET_FS,
    seconds: TARGET_SECONDS,
    units: 'mV',
    minSourceRate: 100,
    requiredLeads: [...LEADS],
    description: 'mV; polyphase FIR resampling to 250 Hz; first 10 s (zero-padded when shorter); leads I, II, III, aVR, aVL, aVF, V1–V6',
  };
}

function weightBytes(weights: NamedWeights): { table: PackageHeader['weights']; body: Buffer } {
  const table: PackageHeader['weights'] = [];
  let offset = 0;
  for (const [name, { shape, data }] of weights) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new Error(`weight ${name}: shape [${shape}] does not match ${data.length} values`);
    table.push({ name, shape, offset });
    offset += size;
  }
  const body = Buffer.alloc(offset * 4);
  let k = 0;
  for (const { data } of weights.values()) {
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(body, (table[k++] as { offset: number }).offset * 4);
  }
  return { table, body };
}

export function writeModelPackage(path: string, pkg: ModelPackage): PackageHeader {
  const { table, body } = weightBytes(pkg.weights);
  const header: PackageHeader = {
    format: 'ecgfm-package',
    version: PACKAGE_FORMAT_VERSION,
    ...pkg.header,
    weights: table,
    weightsSha256: createHash('sha256').update(body).digest('hex'),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.alloc(MAGIC.length + 4);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(json.length, MAGIC.length);
  const pad = Buffer.alloc((4 - ((head.length + json.length) % 4)) % 4, 0x20);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, Buffer.concat([head, json, pad, body]));
  renameSync(tmp, path);
  return header;
}

function fail(path: string, problem: string): never {
  throw new Error(`${path}: ${problem}`);
}

/** Reads and checks a package: magic, header fields, weight extents and checksum. */
export function readModelPackage(path: string): { header: PackageHeader; weights: NamedWeights } {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    return fail(path, `cannot read the model package (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (buf.length < MAGIC.length + 4 || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) {
    fail(path, 'not an .ecgfm model package (export one with `ecgfm clinical export RUN --out model.ecgfm`)');
  }
  const len = buf.readUInt32LE(MAGIC.length);
  if (MAGIC.length + 4 + len > buf.length) fail(path, 'truncated package header');
  let header: PackageHeader;
  try {
    header = JSON.parse(buf.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + len)) as PackageHeader;
  } catch {
    return fail(path, 'corrupt package header (not JSON)');
  }
  if (header.format !== 'ecgfm-package') fail(path, 'header is not an ecgfm-package');
  if (header.version > PACKAGE_FORMAT_VERSION) {
    fail(path, `package format ${header.version} is newer than this build reads (${PACKAGE_FORMAT_VERSION}); update ECG-FM Workstation`);
  }
  if (!Array.isArray(header.tasks) || header.tasks.length === 0) fail(path, 'the package names no tasks');
  try {
    header.architecture = resolveVitConfig(header.architecture);
  } catch (err) {
    fail(path, `invalid architecture (${(err as Error).message})`);
  }
  let start = MAGIC.length + 4 + len;
  start += (4 - (start % 4)) % 4;
  const body = buf.subarray(start);
  if (createHash('sha256').update(body).digest('hex') !== header.weightsSha256) {
    fail(path, 'weights do not match their checksum (the file is damaged or truncated)');
  }
  const all = new Float32Array(body.length / 4);
  Buffer.from(all.buffer).set(body.subarray(0, all.length * 4));
  const weights: NamedWeights = new Map();
  for (const e of header.weights) {
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (e.offset + size > all.length) fail(path, `weight ${e.name} runs past the end of the file`);
    weights.set(e.name, { shape: e.shape, data: all.subarray(e.offset, e.offset + size) });
  }
  return { header, weights };
}

/** Header only, for listing and compatibility checks (still verifies the checksum). */
export function inspectModelPackage(path: string): PackageHeader {
  return readModelPackage(path).header;
}
