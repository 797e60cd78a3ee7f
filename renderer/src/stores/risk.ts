/** The Risk decomposition page: the four error components per task and method. */
import { defineStore } from 'pinia';
import type { ApiEvent, DecompositionRequest, DecompositionView } from '../../../contract/api.js';
import { api } from '../api/index.js';
import { describeError } from '../api/errors.js';

export const useRiskStore = defineStore('risk', {
  state: () => ({ list: [] as DecompositionView[], error: null as string | null, pendingJob: null as string | null }),
  actions: {
    async refresh() {
      try {
        this.list = await api().listDecompositions({});
      } catch (err) {
        this.error = describeError(err);
      }
    },
    async start(req: DecompositionRequest) {
      this.error = null;
      try {
        this.pendingJob = (await api().startDecomposition(req)).jobId;
        return this.pendingJob;
      } catch (err) {
        this.error = describeError(err);
        return null;
      }
    },
    handleEvent(e: ApiEvent): boolean {
      if (e.type !== 'job.state') return false;
      if (e.job.status === 'succeeded' && (e.job.kind === 'decomposition' || e.job.kind === 'study')) void this.refresh();
      if (e.job.status === 'failed' && e.job.id === this.pendingJob) this.error = e.job.message;
      return false;
    },
  },
});
