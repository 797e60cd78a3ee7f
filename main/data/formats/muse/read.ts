/** A GE MUSE XML file → rhythm leads in mV, with III, aVR, aVL and aVF derived from I and II and flagged. */
import { deriveLimbLeads } from '../leads.js';
import { parseXml, type XmlNode } from '../xml.js';
import type { EcgFileProbe, EcgFileRecord } from '../types.js';
import { museMetadata, rhythmWaveform, type MuseWaveform } from './metadata.js';
import { decodeMuseLead } from './decode.js';
import { museToMillivolts } from './physical.js';

function rhythmOf(doc: XmlNode): { wf: MuseWaveform; meta: ReturnType<typeof museMetadata> } {
  const meta = museMetadata(doc);
  const wf = rhythmWaveform(meta);
  if (!wf) throw new Error(`no Rhythm waveform (found: ${meta.waveforms.map((w) => w.type || '?').join(', ') || 'none'})`);
  if (!(wf.fs > 0)) throw new Error('Rhythm waveform has no valid SampleBase');
  if (wf.leads.length === 0) throw new Error('Rhythm waveform has no LeadData');
  if (wf.statedLeads !== null && wf.statedLeads !== wf.leads.length) {
    throw new Error(`lead count mismatch: NumberofLeads says ${wf.statedLeads}, the Rhythm waveform holds ${wf.leads.length} LeadData`);
  }
  return { wf, meta };
}

export function readMuse(text: string): EcgFileRecord {
  const { wf, meta } = rhythmOf(parseXml(text));
  const leads = wf.leads.map((l) => l.id);
  const signals = wf.leads.map((l) => museToMillivolts(l, decodeMuseLead(l)));
  const derivedLeads = deriveLimbLeads(leads, signals);
  return { format: 'muse', fs: wf.fs, leads, signals, derivedLeads, annotations: [], fields: meta.fields };
}

export function probeMuse(text: string): EcgFileProbe {
  const { wf } = rhythmOf(parseXml(text));
  const first = wf.leads[0]!;
  const samples = first.sampleCount ?? Math.floor((first.data.replace(/\s+/g, '').length * 3) / 8);
  return { format: 'muse', fs: wf.fs, samples, leads: wf.leads.map((l) => l.id) };
}
