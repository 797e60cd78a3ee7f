/** The Evaluate page: launch a protocol on an encoder run or a baseline; past evaluations and the one shown. */
import { defineStore } from 'pinia';
import type { ApiEvent, EvaluateRequest, EvaluationSummaryView, EvaluationView } from '../../../contract/api.js';
import { api } from '../api/index.js';
import { describeError } from '../api/errors.js';

export const useEvaluateStore = defineStore('evaluate', {
  state: () => ({
    list: [] as EvaluationSummaryView[],
    current: null as EvaluationView | null,
    pendingJob: null as string | null,
    error: null as string | null,
  }),
  actions: {
    async refresh() {
      try {
        this.list = await api().listEvaluations({});
      } catch (err) {
        this.error = describeError(err);
      }
    },
    async open(id: string) {
      this.current = await api().getEvaluation({ id });
    },
    async start(req: EvaluateRequest) {
      this.error = null;
      try {
        const { jobId } = await api().startEvaluation(req);
        this.pendingJob = jobId;
        return jobId;
      } catch (err) {
        this.error = describeError(err);
        return null;
      }
    },
    handleEvent(e: ApiEvent): boolean {
      if (e.type !== 'job.state' || e.job.kind !== 'evaluation') return false;
      if (e.job.status === 'succeeded') {
        void this.refresh();
        if (e.job.id === this.pendingJob && e.job.resultId) void this.open(e.job.resultId);
      }
      if (e.job.status === 'failed' && e.job.id === this.pendingJob) this.error = e.job.message;
      return false;
    },
  },
});
