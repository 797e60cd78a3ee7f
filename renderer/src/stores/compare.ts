/** The Compare page: every known run, the picked ones, and their configs/metrics/losses side by side. */
import { defineStore } from 'pinia';
import type { AnyRunView, ApiEvent, CompareView } from '../../../contract/api.js';
import { api } from '../api/index.js';
import { describeError } from '../api/errors.js';

export const useCompareStore = defineStore('compare', {
  state: () => ({ runs: [] as AnyRunView[], picked: [] as string[], view: null as CompareView | null, error: null as string | null }),
  actions: {
    async refresh() {
      try {
        this.runs = await api().listAllRuns({});
      } catch (err) {
        this.error = describeError(err);
      }
    },
    /** Every job that ends may have added or changed runs (a pre-training, a study's cells, an evaluation): the
     * encoder pickers and the Compare list follow without a reload. Never consumes the event. */
    handleEvent(e: ApiEvent): boolean {
      if (e.type === 'job.state' && (e.job.status === 'succeeded' || e.job.status === 'failed' || e.job.status === 'cancelled')) void this.refresh();
      return false;
    },
    toggle(id: string) {
      this.picked = this.picked.includes(id) ? this.picked.filter((x) => x !== id) : [...this.picked, id];
    },
    async compare() {
      this.error = null;
      try {
        this.view = await api().compareRuns({ runIds: this.picked });
      } catch (err) {
        this.view = null;
        this.error = describeError(err);
      }
    },
  },
});
