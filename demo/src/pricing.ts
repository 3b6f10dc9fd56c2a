/** The pricing page: the whole default catalog in one `<polar-pricing-table>`, opened as an overlay or a redirect. */
import { initPage, successUrl } from './page.js';

initPage();

const table = document.getElementById('pricing')!;
table.setAttribute('success-url', successUrl());

for (const input of document.querySelectorAll<HTMLInputElement>('input[name="checkout-mode"]')) {
  input.addEventListener('change', () => {
    if (input.checked) table.setAttribute('mode', input.value);
  });
  if (input.checked) table.setAttribute('mode', input.value);
}
