import { describe, expect, it, afterEach } from 'vitest';
import { join } from 'node:path';
import { openStore, type Store } from '../../main/store/store.js';
import { PAPER_GRID, studyCells } from '../../main/experiments/grid.js';
import { createStudy, runStudy, StudyInterrupted, type StudyEvent } from '../../main/experiments/study.js';
import { tempWorkspace } from '../helpers/paths.js';
import { TINY_GRID, recordedExecutor } from './fixtures/recorded.js';

const opened: Store[] = [];
afterEach(() => {
  while (opened.length) opened.pop()!.close();
});
function fresh(): Store {
  const s = openStore(join(tempWorkspace(), 'ecgfm.sqlite'));
  opened.push(s);
  return s;
}

describe('study grid', () => {
  it("spans the paper's 81 pre-trainings in the appendix order", () => {
    const cells = studyCells({ ...PAPER_GRID, baselines: [] });
    expect(cells).toHaveLength(81);
    expect(cells.slice(0, 4).map((c) => c.key)).toEqual(['CL-P60-L2-D256', 'CL-P60-L2-D512', 'CL-P60-L2-D1024', 'CL-P60-L4-D256']);
    expect(cells[26]!.key).toBe('CL-P250-L8-D1024');
    expect(cells[27]!.key).toBe('GL-P60-L2-D256');
    expect(new Set(cells.map((c) => c.key)).size).toBe(81);
    expect(studyCells({ ...PAPER_GRID, baselines: ['RAND', 'SL'] })).toHaveLength(81 + 54);
  });

  it('rejects bad configurations with the reason', () => {
    const store = fresh();
    expect(() => createStudy(store, { ...TINY_GRID, methods: ['XL' as 'CL'], patches: [0] })).toThrow(/unknown method "XL".*patches must be positive/);
    createStudy(store, TINY_GRID);
    expect(() => createStudy(store, { ...TINY_GRID, dims: [32] })).toThrow(/already exists with a different configuration/);
  });

  it('runs cells in order, records OOM and failures, and resumes after an interruption', async () => {
    const store = fresh();
    const study = createStudy(store, TINY_GRID);
    const cells = store.studyCells(study.id);
    expect(cells).toHaveLength(20);
    const controller = new AbortController();
    const first = recordedExecutor({
      oomKey: 'GL-P125-L2-D128',
      failKey: 'HL-P250-L2-D64',
      onCell: (key) => {
        if (key === 'HL-P125-L2-D64') controller.abort();
      },
    });
    const events: StudyEvent[] = [];
    await expect(runStudy(store, 'tiny', first, { signal: controller.signal, onEvent: (e) => events.push(e) })).rejects.toBeInstanceOf(StudyInterrupted);
    expect(first.calls).toEqual(cells.slice(0, 9).map((c) => c.key));
    expect(store.getStudy('tiny')!.status).toBe('paused');
    const afterStop = store.studyCells(study.id);
    expect(afterStop[5]).toMatchObject({ key: 'GL-P125-L2-D128', status: 'oom', error: expect.stringMatching(/out of memory/) });
    expect(afterStop[8]!.status).toBe('pending'); // the interrupted cell runs again on resume
    expect(afterStop.filter((c) => c.status === 'succeeded')).toHaveLength(7);

    const second = recordedExecutor({ failKey: 'HL-P250-L2-D64' });
    const summary = await runStudy(store, study.id, second, { onEvent: (e) => events.push(e) });
    expect(second.calls[0]).toBe('HL-P125-L2-D64');
    expect(second.calls).toHaveLength(20 - 8);
    expect(summary).toEqual({ cells: 20, succeeded: 18, failed: 1, oom: 1, pending: 0 });
    expect(store.studyCells(study.id)[10]).toMatchObject({ status: 'failed', error: 'loss became NaN at step 3' });
    expect(store.getStudy('tiny')!.status).toBe('finished-with-failures');
    expect(events.filter((e) => e.type === 'cell-started').map((e) => (e as { position: number }).position)).toEqual(
      Array.from({ length: 9 }, (_, i) => i + 1).concat(Array.from({ length: 12 }, (_, i) => i + 9)),
    );
    expect(events.at(-1)).toMatchObject({ type: 'study-finished', summary });
  });
});
