// Payloads real senders post (DESIGN §3), for the payload editor's sample picker.
import hightouchRow from './samples/hightouch-row.json?raw';
import hightouchBatch from './samples/hightouch-batch.json?raw';
import censusEnvelope from './samples/census-envelope-changed.json?raw';
import segmentBatch from './samples/segment-batch.json?raw';
import type { Kind } from './types';

export interface Sample {
  id: string;
  label: string;
  /** What the sample is best mapped to. */
  kind: Kind;
  body: string;
}

export const SAMPLES: Sample[] = [
  { id: 'hightouch-row', label: 'Hightouch row', kind: 'contacts', body: hightouchRow },
  { id: 'hightouch-batch', label: 'Hightouch batch', kind: 'accounts', body: hightouchBatch },
  { id: 'census', label: 'Census', kind: 'contacts', body: censusEnvelope },
  { id: 'segment', label: 'Segment', kind: 'events', body: segmentBatch },
];
