/** ONNX export job: encoder + head as ONNX opset 17, checked against tfjs in ONNX Runtime (in the worker). */
import { z } from 'zod';
import { exportOnnx } from '../clinical/index.js';
import { defineJobKind } from './kind.js';

export const onnxExportJob = defineJobKind({
  kind: 'onnx-export',
  payload: z.object({ path: z.string(), out: z.string(), verify: z.boolean() }),
  async run(_ctx, { path, out, verify }) {
    const res = await exportOnnx(path, out, verify);
    return { path: res.path, bytes: res.bytes, maxAbsDiff: res.maxAbsDiff };
  },
});
