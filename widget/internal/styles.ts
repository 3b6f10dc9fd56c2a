import { unsafeCSS } from 'lit';
import { BASE_CSS } from './theme.js';

/** The shared styles of every Lit element (see `theme.ts`). */
export const baseStyles = unsafeCSS(BASE_CSS);
