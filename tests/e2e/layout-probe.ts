/**
 * The in-page half of tests/e2e/layout.ts: runs in Chromium (DOM types, checked by tsconfig.renderer.json), bundled
 * by esbuild into the page as `globalThis.ecgfmLayout`.
 */
export interface LayoutProblem {
  kind: 'overlap' | 'clipped' | 'select' | 'overflow';
  what: string;
}

export function layoutProblems(rootSel: string): LayoutProblem[] {
  const out: LayoutProblem[] = [];
  const main = document.querySelector(rootSel) as HTMLElement | null;
  if (!main) return [{ kind: 'overflow', what: `no ${rootSel}` }];
  const name = (el: Element) => {
    const t = (el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
    const id = el.getAttribute('data-testid');
    return `${el.tagName.toLowerCase()}${id ? `[${id}]` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} "${t}"`;
  };
  // A closed <details> keeps its content laid out but does not draw it (only its summary).
  const folded = (el: Element) => {
    const d = el.closest('details:not([open])');
    return Boolean(d && !el.closest('summary'));
  };
  const visible = (el: Element) => {
    if (folded(el)) return false;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    const s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none' && Number(s.opacity) > 0.05;
  };
  if (main.scrollWidth > main.clientWidth + 2) out.push({ kind: 'overflow', what: `main panel is ${main.scrollWidth}px wide in ${main.clientWidth}px` });

  // Boxes of text runs (a Range per text node is the text's own box, not its block's).
  const runs: { el: Element; rect: DOMRect }[] = [];
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent?.trim()) continue;
    const el = n.parentElement!;
    if (!visible(el) || el.closest('option, datalist, svg, canvas, .notices, [aria-hidden="true"]')) continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    for (const rect of range.getClientRects()) if (rect.width > 1 && rect.height > 1) runs.push({ el, rect });
  }
  // Overlap: two text runs of different elements whose visible boxes intersect by more than a sliver.
  // A text run is visible only inside every box that hides overflow around it (an ellipsis cell's own box too).
  const clipped = (el: Element, r: DOMRect): DOMRect | null => {
    let [l, t, rt, b] = [r.left, r.top, r.right, r.bottom];
    for (let p: Element | null = el; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (!/(auto|scroll|hidden|clip)/.test(s.overflowX + s.overflowY)) continue;
      const c = p.getBoundingClientRect();
      [l, t, rt, b] = [Math.max(l, c.left), Math.max(t, c.top), Math.min(rt, c.right), Math.min(b, c.bottom)];
    }
    return rt - l > 1 && b - t > 1 ? new DOMRect(l, t, rt - l, b - t) : null;
  };
  const shown = runs.flatMap(({ el, rect }) => {
    const r = clipped(el, rect);
    return r ? [{ el, rect: r }] : [];
  });
  for (let i = 0; i < shown.length; i++) {
    for (let j = i + 1; j < shown.length; j++) {
      const a = shown[i]!;
      const b = shown[j]!;
      if (a.el === b.el || a.el.contains(b.el) || b.el.contains(a.el)) continue;
      const w = Math.min(a.rect.right, b.rect.right) - Math.max(a.rect.left, b.rect.left);
      const h = Math.min(a.rect.bottom, b.rect.bottom) - Math.max(a.rect.top, b.rect.top);
      if (w > 3 && h > 3) out.push({ kind: 'overlap', what: `${name(a.el)} overlaps ${name(b.el)}` });
    }
  }
  // Clipping: an element whose text is wider or taller than its box while it hides the overflow.
  for (const el of main.querySelectorAll('*')) {
    if (!visible(el) || el.closest('svg, canvas, select, textarea, input, .ecg-viewport, .x-scroll')) continue;
    if (!Array.from(el.childNodes).some((c) => c.nodeType === Node.TEXT_NODE && c.textContent?.trim())) continue;
    const s = getComputedStyle(el);
    const hides = /(hidden|clip)/.test(s.overflowX) || s.textOverflow === 'ellipsis';
    if (!hides) continue;
    const cut = el.scrollWidth > el.clientWidth + 1 || (/(hidden|clip)/.test(s.overflowY) && el.scrollHeight > el.clientHeight + 2);
    if (cut && !el.hasAttribute('title') && !el.closest('[title]')) out.push({ kind: 'clipped', what: `${name(el)} shows ${el.clientWidth}px of ${el.scrollWidth}px` });
  }
  // Sideways scrolling hides columns; only tables marked .x-scroll (wide paper tables) may do it.
  for (const el of main.querySelectorAll('*')) {
    if (!visible(el) || el.closest('.x-scroll, .ecg-viewport, svg, canvas')) continue;
    const s = getComputedStyle(el);
    if (/(auto|scroll)/.test(s.overflowX) && el.scrollWidth > el.clientWidth + 1) out.push({ kind: 'clipped', what: `${name(el)} scrolls sideways: ${el.clientWidth}px of ${el.scrollWidth}px shown` });
  }
  // Selects: the chosen option must fit beside the arrow.
  const ctx = document.createElement('canvas').getContext('2d')!;
  for (const sel of main.querySelectorAll('select')) {
    if (!visible(sel)) continue;
    const text = sel.selectedOptions[0]?.textContent?.trim() ?? '';
    const s = getComputedStyle(sel);
    ctx.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
    const need = ctx.measureText(text).width + parseFloat(s.paddingLeft) + parseFloat(s.paddingRight) + 20;
    if (need > sel.clientWidth + 1) out.push({ kind: 'select', what: `${name(sel)} shows “${text}” in ${sel.clientWidth}px, needs ${Math.ceil(need)}px` });
    const card = sel.closest('.card');
    if (card && sel.getBoundingClientRect().right > card.getBoundingClientRect().right + 1) out.push({ kind: 'select', what: `${name(sel)} sticks out of its card` });
  }
  // Text fields: the value they show must fit (a tasks list cut to "MI, STTC, CD, HYI" hides a task).
  for (const input of main.querySelectorAll<HTMLInputElement>('input[type="text"], input:not([type])')) {
    if (!visible(input) || !input.value) continue;
    const s = getComputedStyle(input);
    ctx.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
    const need = ctx.measureText(input.value).width + parseFloat(s.paddingLeft) + parseFloat(s.paddingRight);
    if (need > input.clientWidth + 1) out.push({ kind: 'clipped', what: `${name(input)} shows “${input.value}” in ${input.clientWidth}px, needs ${Math.ceil(need)}px` });
  }
  return out;
}
