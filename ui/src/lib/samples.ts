// Payloads real senders post (docs/design.md §3), for the payload editor's sample picker.
import hightouchRow from './samples/hightouch-row.json?raw';
import hightouchBatch from './samples/hightouch-batch.json?raw';
import censusEnvelope from './samples/census-envelope-changed.json?raw';
import segmentBatch from './samples/segment-batch.json?raw';
import segmentIdentify from './samples/segment-identify.json?raw';
import segmentTrack from './samples/segment-track.json?raw';
import rudderstackIdentify from './samples/rudderstack-identify.json?raw';
import rudderstackTrack from './samples/rudderstack-track.json?raw';
import polytomicRecords from './samples/polytomic-records.json?raw';
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
  { id: 'segment', label: 'Segment batch', kind: 'events', body: segmentBatch },
  { id: 'segment-identify', label: 'Segment identify', kind: 'contacts', body: segmentIdentify },
  { id: 'segment-track', label: 'Segment track', kind: 'events', body: segmentTrack },
  {
    id: 'rudderstack-identify',
    label: 'RudderStack identify',
    kind: 'contacts',
    body: rudderstackIdentify,
  },
  { id: 'rudderstack-track', label: 'RudderStack track', kind: 'events', body: rudderstackTrack },
  { id: 'polytomic', label: 'Polytomic', kind: 'contacts', body: polytomicRecords },
];
