/** The Studies page: presets, the studies in the store, and the selected study's cells and tables. */
import { defineStore } from 'pinia';
import type { ApiEvent, StudyDetailView, StudyPresetView, StudyRequest, StudySummaryView } from '../../../contract/api.js';
import { api } from '../api/index.js';
import { describeError } from '../api/errors.js';

export const useStudiesStore = defineStore('studies', {
  state: () => ({
    presets: [] as StudyPresetView[],
    list: [] as StudySummaryView[],
    selectedId: null as string | null,
    detail: null as StudyDetailView | null,
    error: null as string | null,
    loading: false,
  }),
  actions: {
    async load() {
      try {
        if (!this.presets.length) this.presets = await api().studyPresets({});
        await this.refresh();
      } catch (err) {
        this.error = describeError(err);
      }
    },
    async refresh() {
      this.list = await api().listStudies({});
      if (!this.selectedId && this.list[0]) this.selectedId = this.list[0].id;
      if (this.selectedId) await this.loadDetail();
    },
    async select(id: string) {
      this.selectedId = id;
      await this.loadDetail();
    },
    async loadDetail() {
      if (!this.selectedId || this.loading) return;
      this.loading = true;
      try {
        this.detail = await api().studyDetail({ study: this.selectedId });
      } catch (err) {
        this.error = describeError(err);
      } finally {
        this.loading = false;
      }
    },
    async start(req: StudyRequest) {
      this.error = null;
      try {
        const { studyId } = await api().startStudy(req);
        this.selectedId = studyId;
        await this.refresh();
        return studyId;
      } catch (err) {
        this.error = describeError(err);
        return null;
      }
    },
    handleEvent(e: ApiEvent): boolean {
      // A finished cell changes the heatmaps: reload the shown study when its job reports a cell's end.
      if (e.type === 'job.progress' && /: (succeeded|failed|oom)$/.test(e.message ?? '')) void this.refresh();
      if (e.type === 'job.state' && e.job.kind === 'study') void this.refresh();
      return false;
    },
  },
});
