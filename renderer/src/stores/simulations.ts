/** The Simulations page: data-usage and case-ratio results, one line per method. */
import { defineStore } from 'pinia';
import type { ApiEvent, SimulationRequest, SimulationView } from '../../../contract/api.js';
import { api } from '../api/index.js';
import { followJobs, recordingErrors, startJob } from './job-tracking.js';

export const useSimulationsStore = defineStore('simulations', {
  state: () => ({ list: [] as SimulationView[], error: null as string | null, pendingJob: null as string | null }),
  getters: {
    ofKind: (s) => (kind: SimulationView['kind']) => s.list.filter((v) => v.kind === kind),
  },
  actions: {
    async refresh() {
      await recordingErrors(this, async () => {
        this.list = await api().listSimulations({});
      });
    },
    async start(req: SimulationRequest) {
      return startJob(this, () => api().startSimulation(req));
    },
    handleEvent(e: ApiEvent): boolean {
      return followJobs(this, e, ['simulation', 'study'], () => void this.refresh());
    },
  },
});
