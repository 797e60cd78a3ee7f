/** Files a cohort run folder holds beside the back end's: the page's note (request, finished or not). */
export const CLINICAL_UI_FILE = 'workstation.json';
