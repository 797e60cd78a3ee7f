/** The Simulations page: data-usage and case-ratio results, one line per method. */
import { defineStore } from 'pinia';
import type { ApiEvent, SimulationRequest, SimulationView } from '../../../contract/api.js';
import { api } from '../api/index.js';
import { describeError } from '../api/errors.js';

export const useSimulationsStore = defineStore('simulations', {
  state: () => ({ list: [] as SimulationView[], error: null as string | null, pendingJob: null as string | null }),
  getters: {
    ofKind: (s) => (kind: SimulationView['kind']) => s.list.filter((v) => v.kind === kind),
  },
  actions: {
    async refresh() {
      try {
        this.list = await api().listSimulations({});
      } catch (err) {
        this.error = describeError(err);
      }
    },
    async start(req: SimulationRequest) {
      this.error = null;
      try {
        this.pendingJob = (await api().startSimulation(req)).jobId;
        return this.pendingJob;
      } catch (err) {
        this.error = describeError(err);
        return null;
      }
    },
    handleEvent(e: ApiEvent): boolean {
      if (e.type !== 'job.state') return false;
      if (e.job.status === 'succeeded' && (e.job.kind === 'simulation' || e.job.kind === 'study')) void this.refresh();
      if (e.job.status === 'failed' && e.job.id === this.pendingJob) this.error = e.job.message;
      return false;
    },
  },
});
