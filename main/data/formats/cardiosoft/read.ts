/** A CardioSoft / UK Biobank XML file → StripData leads in mV. */
import { leadFromName } from '../leads.js';
import { parseXml } from '../xml.js';
import type { EcgFileProbe, EcgFileRecord } from '../types.js';
import { cardiosoftMetadata, type CardiosoftDocument } from './metadata.js';
import { decodeCounts } from './decode.js';
import { cardiosoftToMillivolts } from './physical.js';

function checked(text: string): CardiosoftDocument & { fs: number } {
  const doc = cardiosoftMetadata(parseXml(text));
  const s = doc.strip;
  if (!(s.fs !== null && s.fs > 0)) throw new Error('StripData has no valid SampleRate');
  if (s.leads.length === 0) throw new Error('StripData has no WaveformData');
  if (s.statedLeads !== null && s.statedLeads !== s.leads.length) {
    throw new Error(`lead count mismatch: NumberOfLeads says ${s.statedLeads}, StripData holds ${s.leads.length} WaveformData`);
  }
  return { ...doc, fs: s.fs };
}

export function readCardiosoft(text: string): EcgFileRecord {
  const doc = checked(text);
  const signals = doc.strip.leads.map((l) => cardiosoftToMillivolts(doc.strip, decodeCounts(l.text, l.lead)));
  doc.strip.leads.forEach((l, i) => {
    const n = signals[i]!.length;
    if (doc.strip.statedSamples !== null && n !== doc.strip.statedSamples) {
      throw new Error(`lead ${l.lead}: ChannelSampleCountTotal says ${doc.strip.statedSamples} samples, the data holds ${n}`);
    }
  });
  return {
    format: 'cardiosoft', fs: doc.fs, leads: doc.strip.leads.map((l) => leadFromName(l.lead) ?? l.lead), signals,
    derivedLeads: [], annotations: [], fields: doc.fields,
  };
}

export function probeCardiosoft(text: string): EcgFileProbe {
  const doc = checked(text);
  const first = doc.strip.leads[0]!;
  return { format: 'cardiosoft', fs: doc.fs, samples: doc.strip.statedSamples ?? first.text.split(',').length, leads: doc.strip.leads.map((l) => leadFromName(l.lead) ?? l.lead) };
}
