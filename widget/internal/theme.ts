/**
 * The CSS every element shares, as plain text so that Lit-free modules (the checkout dialog) can use it too:
 * theme tokens read from `--polar-*` with a fallback per theme (never declared on the host, so a page themes
 * every widget from `:root`), the visually hidden helper and the button.
 */
const LIGHT =
  '--_surface:var(--polar-surface,#fff);--_text:var(--polar-text,#111827);--_muted:var(--polar-muted,#4b5563);' +
  '--_border:var(--polar-border,#d1d5db);--_accent:var(--polar-accent,#4f46e5);--_on-accent:var(--polar-on-accent,#fff);' +
  '--_danger:var(--polar-danger,#b91c1c);--_skeleton:#e5e7eb;';
const DARK =
  '--_surface:var(--polar-surface,#111827);--_text:var(--polar-text,#f9fafb);--_muted:var(--polar-muted,#d1d5db);' +
  '--_border:var(--polar-border,#374151);--_accent:var(--polar-accent,#a5b4fc);--_on-accent:var(--polar-on-accent,#111827);' +
  '--_danger:var(--polar-danger,#fca5a5);--_skeleton:#1f2937;';

export const BASE_CSS =
  `:host{display:block;${LIGHT}--_radius:var(--polar-radius,.75rem);--_space:var(--polar-spacing,1rem)}` +
  `:host([theme=dark]){${DARK}}@media (prefers-color-scheme:dark){:host([theme=auto]){${DARK}}}` +
  ':host([hidden]){display:none!important}[part~=base]{font:inherit;color:inherit}' +
  '.sr{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}' +
  'button{font:inherit;cursor:pointer}' +
  '.btn{display:inline-block;border:0;border-radius:calc(var(--_radius)*.66);padding:.625em 1.25em;' +
  'background:var(--_accent);color:var(--_on-accent);font-weight:600;text-align:center}' +
  '.btn[aria-busy=true]{opacity:.75;cursor:progress}:focus-visible{outline:2px solid var(--_accent);outline-offset:2px}' +
  '[role=alert]{color:var(--_danger)}';
