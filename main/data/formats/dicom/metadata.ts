/**
 * DICOM waveform objects (12-lead ECG, General ECG, and other ECG SOP classes), parsed with dicom-parser: the
 * multiplex groups of the Waveform Sequence with their channel definitions, and the patient's age and sex.
 * Little- and big-endian, explicit and implicit VR, with or without the Part 10 preamble.
 */
import dicomParser from 'dicom-parser';
import type { FieldValue } from '../types.js';

/** ECG waveform storage SOP classes (PS3.4 B.5). */
export const ECG_SOP_CLASSES: Record<string, string> = {
  '1.2.840.10008.5.1.4.1.1.9.1.1': '12-lead ECG',
  '1.2.840.10008.5.1.4.1.1.9.1.2': 'General ECG',
  '1.2.840.10008.5.1.4.1.1.9.1.3': 'Ambulatory ECG',
  '1.2.840.10008.5.1.4.1.1.9.1.4': 'General 32-bit ECG',
  '1.2.840.10008.5.1.4.1.1.9.3.1': 'Cardiac Electrophysiology',
};

export const BIG_ENDIAN = '1.2.840.10008.1.2.2';

export interface DicomChannel {
  /** Lead name from the channel source code (code meaning or label). */
  source: string;
  codeValue: string | null;
  codeScheme: string | null;
  /** Channel Sensitivity; null when absent (an error when the channel is converted). */
  sensitivity: number | null;
  /** UCUM code of Channel Sensitivity Units, e.g. "uV". */
  units: string | null;
  correction: number;
  baseline: number;
}

export interface DicomGroup {
  /** Multiplex Group Label: RHYTHM, MEDIAN BEAT, … */
  label: string;
  originality: string;
  channels: number;
  samples: number;
  fs: number;
  bitsAllocated: number;
  interpretation: string;
  channelDefs: DicomChannel[];
  /** The Waveform Data bytes of this group (as stored: byte order per transfer syntax). */
  data: Uint8Array;
}

export interface DicomWaveform {
  sopClass: string;
  transferSyntax: string;
  bigEndian: boolean;
  groups: DicomGroup[];
  fields: Record<string, FieldValue>;
}

type DataSet = dicomParser.DataSet;

function parse(bytes: Uint8Array): DataSet {
  try {
    return dicomParser.parseDicom(bytes);
  } catch (first) {
    // No Part 10 preamble: a bare data set. Explicit VR shows two letters where implicit VR has a length.
    const looksExplicit = bytes.length > 6 && /^[A-Z]{2}$/.test(String.fromCharCode(bytes[4]!, bytes[5]!));
    try {
      return dicomParser.parseDicom(bytes, { TransferSyntaxUID: looksExplicit ? '1.2.840.10008.1.2.1' : '1.2.840.10008.1.2' });
    } catch {
      throw new Error(`not a readable DICOM file (${first instanceof Error ? first.message : String(first)})`);
    }
  }
}

const num = (ds: DataSet, tag: string): number | null => {
  const s = ds.string(tag);
  if (s === undefined || s.trim() === '') return null;
  const n = Number(s.split('\\')[0]);
  return Number.isFinite(n) ? n : null;
};

function firstItem(ds: DataSet, tag: string): DataSet | undefined {
  return ds.elements[tag]?.items?.[0]?.dataSet;
}

function channelDef(ch: DataSet, index: number): DicomChannel {
  const src = firstItem(ch, 'x003a0208');
  const units = firstItem(ch, 'x003a0211');
  const meaning = src?.string('x00080104');
  return {
    source: meaning ?? ch.string('x003a0203') ?? `channel ${index + 1}`,
    codeValue: src?.string('x00080100') ?? null,
    codeScheme: src?.string('x00080102') ?? null,
    sensitivity: num(ch, 'x003a0210'),
    units: units?.string('x00080100') ?? null,
    correction: num(ch, 'x003a0212') ?? 1,
    baseline: num(ch, 'x003a0213') ?? 0,
  };
}

/** "042Y" → 42; months, weeks and days in years. */
function ageString(s: string | undefined): number | null {
  const m = /^(\d{3})([DWMY])$/.exec((s ?? '').trim());
  if (!m) return null;
  const n = Number(m[1]);
  return m[2] === 'Y' ? n : m[2] === 'M' ? n / 12 : m[2] === 'W' ? n / 52 : n / 365;
}

export function dicomMetadata(bytes: Uint8Array): DicomWaveform {
  const ds = parse(bytes);
  const sopClass = ds.string('x00080016') ?? '';
  const transferSyntax = ds.string('x00020010') ?? '';
  const wf = ds.elements.x54000100;
  if (!sopClass && !wf) throw new Error('not a readable DICOM file: no SOP Class UID (0008,0016) and no Waveform Sequence');
  if (!wf?.items?.length) {
    const what = ECG_SOP_CLASSES[sopClass] ? `${ECG_SOP_CLASSES[sopClass]} object without a Waveform Sequence` : `SOP class ${sopClass || 'unknown'}, no Waveform Sequence (5400,0100)`;
    throw new Error(`DICOM object is not a waveform: ${what}`);
  }
  const groups = wf.items.map((item, gi): DicomGroup => {
    const g = item.dataSet!;
    const dataEl = g.elements.x54001010;
    if (!dataEl) throw new Error(`waveform group ${gi + 1} has no Waveform Data (5400,1010)`);
    const defs = g.elements.x003a0200?.items ?? [];
    return {
      label: (g.string('x003a0020') ?? '').trim(),
      originality: g.string('x003a0004') ?? '',
      channels: g.uint16('x003a0005') ?? 0,
      samples: g.uint32('x003a0010') ?? 0,
      fs: num(g, 'x003a001a') ?? NaN,
      bitsAllocated: g.uint16('x54001004') ?? 0,
      interpretation: (g.string('x54001006') ?? '').trim(),
      channelDefs: defs.map((d, i) => channelDef(d.dataSet!, i)),
      data: ds.byteArray.subarray(dataEl.dataOffset, dataEl.dataOffset + dataEl.length),
    };
  });
  const sex = (ds.string('x00100040') ?? '').trim().toUpperCase();
  const date = ds.string('x00080023') ?? ds.string('x00080020');
  const time = ds.string('x00080033') ?? ds.string('x00080030');
  return {
    sopClass, transferSyntax, bigEndian: transferSyntax === BIG_ENDIAN, groups,
    fields: {
      age: ageString(ds.string('x00101010')),
      sex: sex === 'M' || sex === 'F' ? sex : null,
      patient_id: ds.string('x00100020') ?? null,
      acquired: date ? `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}${time ? `T${time.slice(0, 2)}:${time.slice(2, 4)}:${time.slice(4, 6)}` : ''}` : null,
      device: [ds.string('x00080070'), ds.string('x00081090')].filter(Boolean).join(' ') || null,
      sop_class: ECG_SOP_CLASSES[sopClass] ?? sopClass,
    },
  };
}

/** The rhythm group is the recording; median-beat groups are summaries. */
export function rhythmGroup(w: DicomWaveform): DicomGroup {
  const g = w.groups.find((x) => /RHYTHM/i.test(x.label)) ?? w.groups.find((x) => !/MEDIAN|BEAT|TEMPLATE/i.test(x.label)) ?? w.groups[0]!;
  return g;
}
