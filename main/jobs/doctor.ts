/**
 * Doctor job: `ecgfm doctor`'s checks for the pages. They load native libraries and probe the GPU, so they run in a
 * worker, never in the host.
 */
import { z } from 'zod';
import { runDoctor } from '../compute/doctor.js';
import { defineJobKind } from './kind.js';

export const doctorJob = defineJobKind({
  kind: 'doctor',
  payload: z.object({}),
  run: () => runDoctor(),
});
