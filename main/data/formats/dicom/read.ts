/** A DICOM ECG waveform file → its rhythm group's channels in mV. */
import type { EcgFileProbe, EcgFileRecord } from '../types.js';
import { dicomMetadata, rhythmGroup, type DicomWaveform } from './metadata.js';
import { decodeWaveform } from './decode.js';
import { channelLead, dicomToMillivolts } from './physical.js';

function checked(bytes: Uint8Array): { w: DicomWaveform; g: ReturnType<typeof rhythmGroup> } {
  const w = dicomMetadata(bytes);
  const g = rhythmGroup(w);
  if (!(g.fs > 0)) throw new Error(`waveform group "${g.label}" has no Sampling Frequency (003A,001A)`);
  if (g.channelDefs.length !== g.channels) {
    throw new Error(`lead count mismatch: waveform group "${g.label}" says ${g.channels} channels, its Channel Definition Sequence has ${g.channelDefs.length}`);
  }
  return { w, g };
}

export function readDicom(bytes: Uint8Array): EcgFileRecord {
  const { w, g } = checked(bytes);
  const values = decodeWaveform(g, w.bigEndian);
  return {
    format: 'dicom-ecg', fs: g.fs,
    leads: g.channelDefs.map(channelLead),
    signals: g.channelDefs.map((ch, i) => dicomToMillivolts(ch, values[i]!, i)),
    derivedLeads: [], annotations: [],
    fields: { ...w.fields, group: g.label || null },
  };
}

export function probeDicom(bytes: Uint8Array): EcgFileProbe {
  const { g } = checked(bytes);
  return { format: 'dicom-ecg', fs: g.fs, samples: g.samples, leads: g.channelDefs.map(channelLead) };
}
