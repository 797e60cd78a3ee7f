/**
 * HL7 aECG (`urn:hl7-org:v3` `AnnotatedECG`): series (rhythm, and representative beats under `derivation`), their
 * sequence sets, each set's time sequence (GLIST_TS/GLIST_PQ head and increment) and value sequences (SLIST_PQ origin,
 * scale and the digits as text), and the subject's demographics. Digits are decoded in decode.ts.
 */
import { attr, child, children, numberOr, text, type XmlNode } from '../xml.js';
import type { FieldValue } from '../types.js';

export interface AecgQuantity {
  value: number;
  unit: string;
}

export interface AecgSequence {
  /** MDC code, e.g. MDC_ECG_LEAD_I. */
  code: string;
  origin: AecgQuantity;
  scale: AecgQuantity;
  digits: string;
}

export interface AecgSequenceSet {
  /** Seconds between samples (from the time sequence's increment). */
  increment: number | null;
  sequences: AecgSequence[];
}

export interface AecgSeries {
  /** RHYTHM, REPRESENTATIVE_BEAT, … */
  code: string;
  sets: AecgSequenceSet[];
}

export interface AecgDocument {
  series: AecgSeries[];
  fields: Record<string, FieldValue>;
}

function quantity(node: XmlNode | undefined, what: string, code: string): AecgQuantity {
  const value = numberOr(attr(node, 'value'));
  if (!node || value === null) throw new Error(`sequence ${code}: SLIST_PQ has no numeric ${what}`);
  return { value, unit: attr(node, 'unit') ?? '1' };
}

/** Seconds per unit of a time increment. */
function secondsPer(unit: string): number | null {
  switch (unit.trim()) {
    case 's': return 1;
    case 'ms': return 1e-3;
    case 'us': return 1e-6;
    case 'min': return 60;
    default: return null;
  }
}

function sequenceSet(node: XmlNode): AecgSequenceSet {
  let increment: number | null = null;
  const sequences: AecgSequence[] = [];
  for (const comp of children(node, 'component')) {
    const seq = child(comp, 'sequence');
    if (!seq) continue;
    const code = attr(child(seq, 'code'), 'code') ?? '';
    const value = child(seq, 'value');
    const type = attr(value, 'type') ?? '';
    if (/^GLIST_(TS|PQ)$/.test(type)) {
      const inc = child(value, 'increment');
      const v = numberOr(attr(inc, 'value'));
      const per = secondsPer(attr(inc, 'unit') ?? 's');
      if (v === null || per === null || !(v > 0)) throw new Error(`time sequence ${code}: increment "${attr(inc, 'value')} ${attr(inc, 'unit') ?? ''}" is not a positive time`);
      increment = v * per;
    } else if (type === 'SLIST_PQ') {
      sequences.push({
        code,
        origin: quantity(child(value, 'origin'), 'origin', code),
        scale: quantity(child(value, 'scale'), 'scale', code),
        digits: text(value, 'digits') ?? '',
      });
    } else if (type === 'SLIST_INT' || type === 'SLIST_REAL') {
      throw new Error(`sequence ${code}: ${type} values carry no unit; only SLIST_PQ is read`);
    }
  }
  return { increment, sequences };
}

function seriesOf(node: XmlNode): AecgSeries {
  return {
    code: attr(child(node, 'code'), 'code') ?? '',
    sets: children(node, 'component').map((c) => child(c, 'sequenceSet')).filter((s): s is XmlNode => !!s).map(sequenceSet),
  };
}

function demographics(root: XmlNode): Record<string, FieldValue> {
  const subject = child(child(child(child(child(child(root, 'componentOf'), 'timepointEvent'), 'componentOf'), 'subjectAssignment'), 'subject'), 'trialSubject');
  const person = child(subject, 'subjectDemographicPerson');
  const sex = (attr(child(person, 'administrativeGenderCode'), 'code') ?? '').toUpperCase();
  let age: number | null = null;
  for (const cv of children(root, 'controlVariable')) {
    const obs = child(cv, 'relatedObservation');
    if (attr(child(obs, 'code'), 'code') === '21612-7') {
      const v = child(obs, 'value');
      const n = numberOr(attr(v, 'value'));
      const unit = attr(v, 'unit') ?? 'a';
      age = n === null ? null : unit === 'mo' ? n / 12 : unit === 'wk' ? n / 52 : unit === 'd' ? n / 365 : n;
    }
  }
  const eff = child(root, 'effectiveTime');
  const when = attr(child(eff, 'center'), 'value') ?? attr(child(eff, 'low'), 'value') ?? null;
  return {
    age,
    sex: sex === 'M' || sex === 'F' ? sex : null,
    patient_id: attr(child(subject, 'id'), 'extension') ?? null,
    acquired: when ? isoTs(when) : null,
  };
}

/** HL7 TS "20021122091000" → "2002-11-22T09:10:00". */
function isoTs(ts: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?/.exec(ts);
  if (!m) return ts;
  return `${m[1]}-${m[2]}-${m[3]}${m[4] ? `T${m[4]}:${m[5]}:${m[6] ?? '00'}` : ''}`;
}

export function aecgMetadata(doc: XmlNode): AecgDocument {
  const root = child(doc, 'AnnotatedECG');
  if (!root) throw new Error('not an HL7 aECG file: no <AnnotatedECG> element');
  const series: AecgSeries[] = [];
  let device: string | null = null;
  for (const comp of children(root, 'component')) {
    const s = child(comp, 'series');
    if (!s) continue;
    series.push(seriesOf(s));
    const author = child(child(s, 'author'), 'seriesAuthor');
    const model = text(child(author, 'manufacturedSeriesDevice'), 'manufacturerModelName');
    const maker = text(child(author, 'manufacturerOrganization'), 'name');
    device ??= [maker, model].filter(Boolean).join(' ') || null;
    // Representative beats and other derived series hang under the rhythm series.
    for (const d of children(s, 'derivation')) {
      const ds = child(d, 'derivedSeries');
      if (ds) series.push(seriesOf(ds));
    }
  }
  return { series, fields: { ...demographics(root), device } };
}
