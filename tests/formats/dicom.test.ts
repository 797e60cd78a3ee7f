/**
 * DICOM waveform reader against pydicom's `waveform_array` on the real 12-lead ECG object Debian's python3-pydicom
 * ships, and on re-encodings of it that pydicom writes (implicit VR, big-endian, 8-bit SB/UB, 16-bit US, MDC codes).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dicomMetadata, rhythmGroup } from '../../main/data/formats/dicom/metadata.js';
import { decodeWaveform } from '../../main/data/formats/dicom/decode.js';
import { channelLead, dicomToMillivolts } from '../../main/data/formats/dicom/physical.js';
import { readDicom } from '../../main/data/formats/dicom/read.js';
import { PYDICOM_CT, PYDICOM_ECG, py, tempDir } from './helpers.js';

const bytes = (p: string): Uint8Array => new Uint8Array(readFileSync(p));

/** pydicom's physical values (µV) of multiplex group 0, channel-major. */
function pydicomValues(path: string): number[][] {
  return py<number[][]>(`
import json, sys, pydicom
ds = pydicom.dcmread(sys.argv[1] if len(sys.argv) > 1 else json.load(sys.stdin))
a = ds.waveform_array(0)
print(json.dumps(a.T.tolist()))`, path);
}

function maxDiffMv(ours: Float64Array[], theirsUv: number[][]): number {
  let m = 0;
  theirsUv.forEach((ch, c) => ch.forEach((v, i) => { m = Math.max(m, Math.abs(ours[c]![i]! - v / 1000)); }));
  return m;
}

/** Writes variants of the pydicom ECG with pydicom itself; returns their paths. */
function variants(dir: string): Record<string, string> {
  return py<Record<string, string>>(`
import json, sys, copy, numpy as np, pydicom
from pydicom.uid import ImplicitVRLittleEndian, ExplicitVRBigEndian
src, out = json.load(sys.stdin)
base = pydicom.dcmread(src)
paths = {}
def save(name, ds, big=False, implicit=False):
    ds = copy.deepcopy(ds)
    ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian if big else (ImplicitVRLittleEndian if implicit else ds.file_meta.TransferSyntaxUID)
    ds.is_little_endian = not big
    ds.is_implicit_VR = implicit
    if big:
        for item in ds.WaveformSequence:
            bits = item.WaveformBitsAllocated
            if bits == 16:
                item.WaveformData = np.frombuffer(item.WaveformData, dtype='<i2').astype('>i2').tobytes()
    p = f"{out}/{name}.dcm"
    ds.save_as(p, write_like_original=False)
    paths[name] = p
save('implicit', base, implicit=True)
save('bigendian', base, big=True)
# 16-bit unsigned with a baseline that undoes the offset.
us = copy.deepcopy(base)
for item in us.WaveformSequence:
    raw = np.frombuffer(item.WaveformData, dtype='<i2').astype(np.int32)
    item.WaveformSampleInterpretation = 'US'
    item.WaveformData = (raw + 32768).astype('<u2').tobytes()
    for ch in item.ChannelDefinitionSequence:
        ch.ChannelBaseline = ch.get('ChannelBaseline', 0) - 32768
save('us16', us)
# 8-bit signed and unsigned (the rhythm scaled into 8 bits; sensitivity scaled to match).
for interp, dtype, off in (('SB', 'i1', 0), ('UB', 'u1', 128)):
    d = copy.deepcopy(base)
    for item in d.WaveformSequence:
        raw = np.frombuffer(item.WaveformData, dtype='<i2').astype(np.int32)
        small = np.clip(np.round(raw / 64), -128, 127).astype(np.int32)
        item.WaveformBitsAllocated = 8
        item.WaveformSampleInterpretation = interp
        item.WaveformData = (small + off).astype(dtype).tobytes()
        for ch in item.ChannelDefinitionSequence:
            ch.ChannelSensitivity = float(ch.ChannelSensitivity) * 64
            ch.ChannelBaseline = ch.get('ChannelBaseline', 0) - off
    save(interp.lower() + '8', d)
# Channel sources coded in MDC (2:N) instead of SCP-ECG.
mdc = copy.deepcopy(base)
nums = {'5.6.3-9-%d' % n: '2:%d' % n for n in range(1, 200)}
for item in mdc.WaveformSequence:
    for ch in item.ChannelDefinitionSequence:
        src = ch.ChannelSourceSequence[0]
        src.CodeValue = nums.get(src.CodeValue, src.CodeValue)
        src.CodingSchemeDesignator = 'MDC'
        src.CodeMeaning = ''
save('mdc', mdc)
# Broken: a channel without its sensitivity; a sensitivity in an unknown unit; a channel count that disagrees.
nosens = copy.deepcopy(base)
del nosens.WaveformSequence[0].ChannelDefinitionSequence[3].ChannelSensitivity
save('nosens', nosens)
unit = copy.deepcopy(base)
unit.WaveformSequence[0].ChannelDefinitionSequence[0].ChannelSensitivityUnitsSequence[0].CodeValue = 'furlong'
save('unit', unit)
count = copy.deepcopy(base)
count.WaveformSequence[0].NumberOfWaveformChannels = 11
save('count', count)
print(json.dumps(paths))`, [PYDICOM_ECG, dir]);
}

describe('DICOM 12-lead ECG waveform', () => {
  it('metadata: SOP class, groups, rhythm chosen over median, channel sources, patient', () => {
    const w = dicomMetadata(bytes(PYDICOM_ECG));
    expect(w.sopClass).toBe('1.2.840.10008.5.1.4.1.1.9.1.1');
    expect(w.groups.map((g) => g.label)).toEqual(['RHYTHM', 'MEDIAN BEAT']);
    const g = rhythmGroup(w);
    expect([g.channels, g.samples, g.fs, g.bitsAllocated, g.interpretation]).toEqual([12, 10000, 1000, 16, 'SS']);
    expect(g.channelDefs.map(channelLead)).toEqual(['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6']);
    expect(g.channelDefs[0]!.units).toBe('uV');
    expect(w.fields).toMatchObject({ age: 42, sex: 'F' });
  });

  it('decoding and physical conversion equal pydicom waveform_array to 1e-6 mV', () => {
    const w = dicomMetadata(bytes(PYDICOM_ECG));
    const g = rhythmGroup(w);
    const values = decodeWaveform(g, false);
    const mv = g.channelDefs.map((ch, i) => dicomToMillivolts(ch, values[i]!, i));
    const d = maxDiffMv(mv, pydicomValues(PYDICOM_ECG));
    console.log(`DICOM waveform_ecg.dcm vs pydicom: max |Δ| = ${d.toExponential(2)} mV over 12 × 10000 samples`);
    expect(d).toBeLessThan(1e-6);
  });

  it('implicit VR, big-endian, US/SB/UB samples and MDC channel codes read the same as pydicom', () => {
    const dir = tempDir();
    const v = variants(dir);
    const ref = pydicomValues(PYDICOM_ECG);
    for (const name of ['implicit', 'bigendian', 'us16', 'mdc']) {
      const r = readDicom(bytes(v[name]!));
      expect(r.leads, name).toEqual(['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6']);
      const d = maxDiffMv(r.signals, ref);
      console.log(`DICOM ${name} vs pydicom: max |Δ| = ${d.toExponential(2)} mV`);
      expect(d, name).toBeLessThan(1e-6);
    }
    for (const name of ['sb8', 'ub8']) {
      const r = readDicom(bytes(v[name]!));
      const d = maxDiffMv(r.signals, pydicomValues(v[name]!));
      console.log(`DICOM ${name} vs pydicom: max |Δ| = ${d.toExponential(2)} mV`);
      expect(d, name).toBeLessThan(1e-6);
    }
    expect(() => readDicom(bytes(v.nosens!))).toThrow(/channel 4 \(.*\): missing sensitivity/);
    expect(() => readDicom(bytes(v.unit!))).toThrow(/unknown sensitivity unit "furlong"/);
    expect(() => readDicom(bytes(v.count!))).toThrow(/lead count mismatch: .* says 11 channels, .* has 12/);
  });

  it('an object that is not a waveform, and bytes that are not DICOM, are refused by name', () => {
    expect(() => readDicom(bytes(PYDICOM_CT))).toThrow(/not a waveform: SOP class 1\.2\.840\.10008\.5\.1\.4\.1\.1\.2/);
    expect(() => readDicom(new Uint8Array(300).fill(7))).toThrow(/not a readable DICOM file/);
    const cut = bytes(PYDICOM_ECG).slice(0, 150_000);
    expect(() => readDicom(cut)).toThrow();
  });
});
