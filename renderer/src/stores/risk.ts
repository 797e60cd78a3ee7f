/** The Risk decomposition page: the four error components per task and method. */
import { defineStore } from 'pinia';
import type { ApiEvent, DecompositionRequest, DecompositionView } from '../../../contract/api.js';
import { api } from '../api/index.js';
import { followJobs, recordingErrors, startJob } from './job-tracking.js';

export const useRiskStore = defineStore('risk', {
  state: () => ({ list: [] as DecompositionView[], error: null as string | null, pendingJob: null as string | null }),
  actions: {
    async refresh() {
      await recordingErrors(this, async () => {
        this.list = await api().listDecompositions({});
      });
    },
    async start(req: DecompositionRequest) {
      return startJob(this, () => api().startDecomposition(req));
    },
    handleEvent(e: ApiEvent): boolean {
      return followJobs(this, e, ['decomposition', 'study'], () => void this.refresh());
    },
  },
});
