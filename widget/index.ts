/**
 * The widget's public entry: registers `<polar-pricing-table>`, `<polar-checkout-button>`,
 * `<polar-order-status>` and `<polar-portal-button>` (each only if that tag is still free, so the script can be
 * loaded twice), and exports their classes and types. `<polar-checkout-dialog>` comes in its own file, loaded
 * on the first checkout.
 */
import { PolarCheckoutButton } from './checkout-button.js';
import { define } from './internal/define.js';
import { PolarOrderStatus } from './order-status.js';
import { PolarPortalButton } from './portal-button.js';
import { PolarPricingTable } from './pricing-table.js';

define('polar-pricing-table', PolarPricingTable);
define('polar-checkout-button', PolarCheckoutButton);
define('polar-order-status', PolarOrderStatus);
define('polar-portal-button', PolarPortalButton);

export { PolarCheckoutButton, PolarOrderStatus, PolarPortalButton, PolarPricingTable };
export { ApiError, createApiClient, type WidgetErrorCode } from './api-client.js';
export { PolarEvent } from './events.js';
export type * from './events.js';
export { formatMoney } from './internal/format-price.js';
export { DEFAULT_STRINGS, type WidgetStrings } from './strings.js';
export type { CheckoutDialogOptions, PolarCheckoutDialog } from './checkout-dialog.js';
