/**
 * Imports files that the build emits next to the widget (`__POLAR_EMBED_FILE__`: `@polar-sh/checkout`'s official
 * embed; `__POLAR_DIALOG_FILE__`: the checkout dialog), so they cost nothing until a buyer opens a checkout.
 */
import type { PolarEmbedCheckout } from '@polar-sh/checkout/embed';
import type * as CheckoutDialogModule from '../checkout-dialog.js';

declare const __POLAR_EMBED_FILE__: string;
declare const __POLAR_DIALOG_FILE__: string;

/** Origins whose checkout pages are driven through `@polar-sh/checkout`'s official embed. */
export const POLAR_ORIGINS = ['https://polar.sh', 'https://sandbox.polar.sh'];

/** The official embed class. */
export type EmbedCheckoutClass = typeof PolarEmbedCheckout;

// Resolved while the script runs: a classic script knows its own URL only at that moment.
const SCRIPT_URL =
  (document.currentScript as HTMLScriptElement | null)?.src ||
  (import.meta as { url?: string }).url ||
  document.baseURI;

function importBeside<T>(file: string): Promise<T> {
  return import(/* @vite-ignore */ new URL(file, SCRIPT_URL).href) as Promise<T>;
}

/** Loads `@polar-sh/checkout/embed`. */
export async function loadEmbed(): Promise<EmbedCheckoutClass> {
  return (await importBeside<{ PolarEmbedCheckout: EmbedCheckoutClass }>(__POLAR_EMBED_FILE__))
    .PolarEmbedCheckout;
}

/** Loads the checkout dialog module, which registers `<polar-checkout-dialog>`. */
export function loadDialog(): Promise<typeof CheckoutDialogModule> {
  return importBeside(__POLAR_DIALOG_FILE__);
}
