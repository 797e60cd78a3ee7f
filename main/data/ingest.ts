/** One record from source to standardised signal: load via its recipe, convert, resample, order leads. */
import { readWfdbRecord } from './wfdb/record.js';
import { readHdf5Row } from './hdf5/read.js';
import { confine } from './confine.js';
import { adcLimitSamples, checkRange } from './quality.js';
import { INVALID_SAMPLE } from './wfdb/decode.js';
import { LEADS, TARGET_SAMPLES } from './types.js';
import { standardise } from './standardise.js';
import { commentFields } from './adapters/wfdb-folder.js';
import type { SourceRecord } from './adapters/source.js';
import { readEcgWindow } from './formats/window.js';
import type { RecordMeta } from './types.js';

export interface Ingested {
  meta: RecordMeta;
  signal: Float32Array;
}

export function ingestRecord(rec: SourceRecord): Ingested {
  const r = rec.recipe;
  let labels = rec.labels;
  let fields = rec.fields;
  let patientId = rec.patientId;
  let std;
  if (r.reader === 'wfdb') {
    const w = readWfdbRecord(r.headerPath, { verify: true, float32: true, root: r.root });
    if (w.sigLen === 0) throw new Error('empty record (0 samples)');
    if (rec.fromHeaderComments) {
      const c = commentFields(w.header.comments);
      labels = { ...labels, ...c.labels };
      fields = { ...fields, ...c.fields };
      if (typeof c.fields.patient_id === 'string' && c.fields.patient_id) patientId = c.fields.patient_id;
    }
    std = standardise(w.physical, w.fs, w.names, w.units);
    // Saturation is a property of the digital samples: count those at the converter's limits (single-segment
    // records, whose header states the resolution of each signal).
    let clipped = 0;
    if (!w.header.segments) {
      w.header.signals.forEach((spec, i) => {
        clipped += adcLimitSamples(w.digital[i]!, spec.adcRes, spec.adcZero, INVALID_SAMPLE[spec.fmt] ?? -32768);
      });
    }
    std.quality.clipped = clipped > 0;
    std.quality.clippedSamples = clipped;
  } else if (r.reader === 'ecg-file') {
    const e = readEcgWindow(r.root ? confine(r.root, r.root, r.file, 'file') : r.file, r.format, r.start, r.seconds);
    // The file's demographics and acquisition first; what the listing or a sidecar says wins.
    // Source rate and stored leads stay with the record (the cache holds the standardised 250 Hz, 12-lead signal).
    fields = { ...e.fields, source_fs: e.fs, source_leads: e.leads.filter((l) => !e.derivedLeads.includes(l as never)).join(' '), ...fields };
    if (typeof fields.patient_id === 'string' && fields.patient_id) patientId = fields.patient_id;
    std = standardise(e.signals, e.fs, e.leads);
    // Leads the reader computed (MUSE's III, aVR, aVL, aVF) are flagged as derived like the ones standardise adds.
    for (const l of e.derivedLeads) if (!std.quality.derivedLeads.includes(l)) std.quality.derivedLeads.push(l);
  } else {
    const h = readHdf5Row(r.root ? confine(r.root, r.root, r.file, 'HDF5 file') : r.file, r.dataset, r.row, r.stripPadding);
    std = standardise(h.signals, r.fs, h.leadNames);
  }
  checkRange(std.signal, LEADS, TARGET_SAMPLES);
  return {
    meta: { id: rec.id, patientId, source: rec.source, labels, quality: std.quality, fields },
    signal: std.signal,
  };
}
