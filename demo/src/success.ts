/** The success page: the order's status from `?checkout_id=`, and the customer portal for the buyer. */
import { initPage } from './page.js';

initPage();

const checkoutId = new URLSearchParams(location.search).get('checkout_id');
const portal = document.getElementById('portal');
// The portal needs a checkout to know whose it is; without one there is nothing to manage.
if (portal && !checkoutId) portal.hidden = true;
