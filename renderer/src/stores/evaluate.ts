/** The Evaluate page: launch a protocol on an encoder run or a baseline; past evaluations and the one shown. */
import { defineStore } from 'pinia';
import type { ApiEvent, EvaluateRequest, EvaluationSummaryView, EvaluationView } from '../../../contract/api.js';
import { api } from '../api/index.js';
import { followJobs, recordingErrors, startJob } from './job-tracking.js';

export const useEvaluateStore = defineStore('evaluate', {
  state: () => ({
    list: [] as EvaluationSummaryView[],
    current: null as EvaluationView | null,
    pendingJob: null as string | null,
    error: null as string | null,
  }),
  actions: {
    async refresh() {
      await recordingErrors(this, async () => {
        this.list = await api().listEvaluations({});
      });
    },
    async open(id: string) {
      this.current = await api().getEvaluation({ id });
    },
    async start(req: EvaluateRequest) {
      return startJob(this, () => api().startEvaluation(req));
    },
    handleEvent(e: ApiEvent): boolean {
      return followJobs(this, e, ['evaluation'], (job) => {
        void this.refresh();
        if (job.id === this.pendingJob && job.resultId) void this.open(job.resultId);
      });
    },
  },
});
