import { defineStore } from 'pinia';
import type { AppInfo, ComputeInfo, DoctorReportView } from '../../../contract/api.js';
import { api } from '../api/index.js';
import { describeError } from '../api/errors.js';

export type Theme = 'light' | 'dark';
export const PAGES = ['datasets', 'pretrain', 'evaluate', 'studies', 'simulations', 'risk', 'compare', 'clinical'] as const;
export type PageName = (typeof PAGES)[number];
export interface Notice {
  id: number;
  kind: 'error' | 'info' | 'success';
  text: string;
}

let noticeSeq = 0;

export const useAppStore = defineStore('app', {
  state: () => ({
    info: null as AppInfo | null,
    /** The backend and GPU training uses on the host; loaded once, on first show. */
    compute: null as ComputeInfo | null,
    computeError: null as string | null,
    /** `ecgfm doctor`'s checks, run on request (in a worker: it loads native libraries and probes the GPU). */
    doctor: null as DoctorReportView | null,
    doctorBusy: false,
    doctorError: null as string | null,
    /** Compare was opened once: the first-run path stops pointing to it. */
    compared: false,
    theme: 'light' as Theme,
    page: 'datasets' as PageName,
    notices: [] as Notice[],
    connected: true,
  }),
  actions: {
    async load() {
      try {
        this.info = await api().appInfo({});
        this.connected = true;
        // Selecting the backend loads tfjs in the host (a few seconds): the sidebar fills in when it is known.
        if (!this.compute) void this.loadCompute();
      } catch (err) {
        this.connected = false;
        this.notify('error', describeError(err));
      }
    },
    async loadCompute() {
      try {
        this.compute = await api().computeInfo({});
        this.computeError = null;
      } catch (err) {
        this.computeError = describeError(err);
      }
    },
    async loadDoctor() {
      this.doctorBusy = true;
      this.doctorError = null;
      try {
        this.doctor = await api().computeDoctor({});
      } catch (err) {
        this.doctorError = describeError(err);
      } finally {
        this.doctorBusy = false;
      }
    },
    setTheme(theme: Theme) {
      this.theme = theme;
      try {
        localStorage.setItem('ecgfm.theme', theme);
      } catch {
        // Storage may be disabled; the theme still applies for this session.
      }
    },
    markCompared() {
      this.compared = true;
      try {
        localStorage.setItem('ecgfm.firstrun.compared', '1');
      } catch {
        // Storage may be disabled.
      }
    },
    initFirstRun() {
      try {
        this.compared = localStorage.getItem('ecgfm.firstrun.compared') === '1';
      } catch {
        this.compared = false;
      }
    },
    initTheme() {
      let saved: string | null = null;
      try {
        saved = localStorage.getItem('ecgfm.theme');
      } catch {
        saved = null;
      }
      const prefersDark = typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
      this.theme = saved === 'dark' || saved === 'light' ? saved : prefersDark ? 'dark' : 'light';
    },
    notify(kind: Notice['kind'], text: string, timeoutMs = kind === 'error' ? 12_000 : 5_000) {
      const id = ++noticeSeq;
      this.notices.push({ id, kind, text });
      if (timeoutMs > 0) setTimeout(() => this.dismiss(id), timeoutMs);
      return id;
    },
    dismiss(id: number) {
      this.notices = this.notices.filter((n) => n.id !== id);
    },
  },
});
