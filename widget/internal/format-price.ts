/** Price formatting with `Intl.NumberFormat`, in the product's currency and the page's or element's locale. */
import type { Price, Product, RecurringInterval } from '../../contract/contract.js';
import { fill, type WidgetStrings } from '../strings.js';

/** What a card shows: the amount, then the period twice: short and visual, and spelled out for screen readers. */
export type PriceLabel = { amount: string; short: string; spoken: string };

/**
 * Formats integer minor units (`900` = $9.00, `1000` = ¥1,000) as money. Whole amounts drop the decimals.
 * An unknown locale falls back to the browser's; an unknown currency to `9.00 XYZ`.
 */
export function formatMoney(amountMinor: number, currency: string, locale?: string): string {
  const code = currency.toUpperCase();
  try {
    const exact = numberFormat(locale, { style: 'currency', currency: code });
    const major = amountMinor / 10 ** (exact.resolvedOptions().maximumFractionDigits ?? 2);
    return Number.isInteger(major)
      ? numberFormat(locale, {
          style: 'currency',
          currency: code,
          minimumFractionDigits: 0,
          maximumFractionDigits: 0,
        }).format(major)
      : exact.format(major);
  } catch {
    return `${(amountMinor / 100).toFixed(2)} ${code}`;
  }
}

/** The card label of a product's first price. */
export function priceLabel(product: Product, strings: WidgetStrings, locale?: string): PriceLabel {
  const price: Price | undefined = product.prices[0];
  const period = product.is_recurring ? product.recurring_interval : null;
  const short = period ? strings[`short${capital(period)}`] : '';
  const spoken = period ? strings[`per${capital(period)}`] : '';
  const currency = price?.price_currency ?? product.price_currency;
  if (price?.amount_type === 'custom') {
    const from =
      price.minimum_amount > 0
        ? ` ${fill(strings.from, { price: formatMoney(price.minimum_amount, currency, locale) })}`
        : '';
    return { amount: strings.payWhatYouWant + from, short, spoken };
  }
  const amount = price?.amount_type === 'fixed' ? price.price_amount : product.price_amount;
  if (amount === null || amount === undefined) return { amount: '', short: '', spoken: '' };
  if (amount === 0) return { amount: strings.free, short: '', spoken: '' };
  return { amount: formatMoney(amount, currency, locale), short, spoken };
}

/** The fixed amount of a recurring product in minor units, or `null` (free, custom or one-time). */
export function fixedAmount(product: Product): number | null {
  const price = product.prices[0];
  return price?.amount_type === 'fixed' && price.price_amount > 0 ? price.price_amount : null;
}

/**
 * The best yearly saving in whole percent, comparing plans that exist in both periods. Plans pair up by
 * `metadata.plan` or `metadata.tier`, or else by name once the words for the period are taken out ("Pro Monthly" / "Pro Yearly").
 */
export function yearlySaving(products: Product[]): number {
  const monthly = new Map<string, number>();
  const yearly = new Map<string, number>();
  for (const product of products) {
    const amount = fixedAmount(product);
    if (!product.is_recurring || amount === null) continue;
    const key = String(
      product.metadata.plan ??
        product.metadata.tier ??
        product.name.replace(/\b(month(ly)?|year(ly)?|annual(ly)?)\b/gi, ''),
    )
      .trim()
      .toLowerCase();
    if (product.recurring_interval === 'month') monthly.set(key, amount);
    if (product.recurring_interval === 'year') yearly.set(key, amount);
  }
  let best = 0;
  for (const [key, year] of yearly) {
    const month = monthly.get(key);
    if (month) best = Math.max(best, Math.floor((1 - year / (month * 12)) * 100));
  }
  return best;
}

/** A number format for `locale`, or for the browser's locale when `locale` is not a valid tag. */
function numberFormat(locale: string | undefined, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  try {
    return new Intl.NumberFormat(locale || undefined, options);
  } catch (error) {
    if (!locale) throw error;
    return new Intl.NumberFormat(undefined, options);
  }
}

function capital(interval: RecurringInterval): 'Day' | 'Week' | 'Month' | 'Year' {
  return (interval[0]!.toUpperCase() + interval.slice(1)) as 'Day' | 'Week' | 'Month' | 'Year';
}
