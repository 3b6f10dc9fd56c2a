/**
 * The emulator's product catalogue: the demo catalogue used by default, and the JSON format that
 * `--catalog FILE` and `POST /_emulator/catalog` accept (validated with zod).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const metadataSchema = z.record(z.string().max(40), z.union([z.string().max(500), z.number(), z.boolean()]));

const benefitSchema = z.discriminatedUnion('type', [
  z.object({
    id: z.uuid().optional(),
    type: z.literal('custom'),
    description: z.string().min(1).max(42),
    note: z.string().nullable().optional(),
    metadata: metadataSchema.optional(),
  }),
  z.object({
    id: z.uuid().optional(),
    type: z.literal('license_keys'),
    description: z.string().min(1).max(42),
    prefix: z.string().nullable().optional(),
    /** Maximum simultaneous activations of one key; null = activations not used. */
    activation_limit: z.number().int().min(1).max(50).nullable().optional(),
    limit_usage: z.number().int().min(1).nullable().optional(),
    expires: z
      .object({ ttl: z.number().int().min(1), timeframe: z.enum(['year', 'month', 'day']) })
      .nullable()
      .optional(),
    metadata: metadataSchema.optional(),
  }),
]);

const priceSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('fixed'), amount: z.number().int().min(0) }),
  z.object({
    type: z.literal('custom'),
    minimum_amount: z.number().int().min(0).default(50),
    maximum_amount: z.number().int().min(1).nullable().optional(),
    preset_amount: z.number().int().min(0).nullable().optional(),
  }),
]);

const productSchema = z.object({
  id: z.uuid().optional(),
  name: z.string().min(1),
  description: z.string().nullable().optional(),
  /** null or omitted = one-time product. */
  recurring_interval: z.enum(['day', 'week', 'month', 'year']).nullable().optional(),
  recurring_interval_count: z.number().int().min(1).optional(),
  price: priceSchema,
  currency: z
    .string()
    .regex(/^[a-z]{3}$/, 'a lowercase ISO 4217 code such as "usd"')
    .default('usd'),
  benefits: z.array(benefitSchema).default([]),
  metadata: metadataSchema.default({}),
  is_archived: z.boolean().default(false),
  visibility: z.enum(['public', 'private', 'draft']).default('public'),
});

const discountSchema = z.discriminatedUnion('type', [
  z.object({
    id: z.uuid().optional(),
    type: z.literal('percentage'),
    name: z.string().min(1),
    code: z.string().nullable().optional(),
    basis_points: z.number().int().min(1).max(10_000),
    duration: z.enum(['once', 'forever', 'repeating']).default('once'),
    duration_in_months: z.number().int().min(1).nullable().optional(),
  }),
  z.object({
    id: z.uuid().optional(),
    type: z.literal('fixed'),
    name: z.string().min(1),
    code: z.string().nullable().optional(),
    amount: z.number().int().min(1),
    currency: z.string().default('usd'),
    duration: z.enum(['once', 'forever', 'repeating']).default('once'),
    duration_in_months: z.number().int().min(1).nullable().optional(),
  }),
]);

/** The catalogue file format. */
export const catalogSchema = z.object({
  products: z.array(productSchema).min(1),
  discounts: z.array(discountSchema).default([]),
});

/** A catalogue as written by a user (defaults not yet applied). */
export type CatalogInput = z.input<typeof catalogSchema>;
/** A validated catalogue with defaults applied. */
export type Catalog = z.output<typeof catalogSchema>;
export type CatalogProduct = Catalog['products'][number];
export type CatalogBenefit = CatalogProduct['benefits'][number];
export type CatalogDiscount = Catalog['discounts'][number];

/** Thrown when a catalogue does not validate; the message lists every problem with its path. */
export class CatalogError extends Error {
  readonly issues: string[];
  constructor(source: string, issues: string[]) {
    super(`Invalid catalog ${source}:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'CatalogError';
    this.issues = issues;
  }
}

/** What both Pro plans (monthly and yearly) grant: the same two benefits, so switching plans keeps them. */
const PRO_BENEFITS: CatalogInput['products'][number]['benefits'] = [
  {
    id: '2c1d4f6a-7b8e-4c9d-8a1b-3e5f7a9c0b02',
    type: 'custom',
    description: 'Unlimited projects',
    note: null,
  },
  {
    id: '2c1d4f6a-7b8e-4c9d-8a1b-3e5f7a9c0b03',
    type: 'custom',
    description: 'Priority support',
    note: null,
  },
];

/** The demo catalogue: the plans the demo site and the tests use. Ids are fixed so links stay valid. */
export const DEFAULT_CATALOG: CatalogInput = {
  products: [
    {
      id: '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f01',
      name: 'Free Plan',
      description: 'Try it out: one project, community support.',
      recurring_interval: 'month',
      price: { type: 'fixed', amount: 0 },
      benefits: [
        {
          id: '2c1d4f6a-7b8e-4c9d-8a1b-3e5f7a9c0b01',
          type: 'custom',
          description: 'One project',
          note: null,
        },
      ],
      metadata: { tier: 'free' },
    },
    {
      id: '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f02',
      name: 'Monthly Plan',
      description: 'Everything in Pro, billed monthly.',
      recurring_interval: 'month',
      price: { type: 'fixed', amount: 1999 },
      benefits: PRO_BENEFITS,
      metadata: { tier: 'pro' },
    },
    {
      id: '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f03',
      name: 'Yearly Plan',
      description: 'Everything in Pro, billed yearly: two months free.',
      recurring_interval: 'year',
      price: { type: 'fixed', amount: 4999 },
      benefits: PRO_BENEFITS,
      metadata: { tier: 'pro' },
    },
    {
      id: '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f04',
      name: 'Lifetime License',
      description: 'Pay once, use forever on up to three devices.',
      price: { type: 'fixed', amount: 14900 },
      benefits: [
        {
          id: '2c1d4f6a-7b8e-4c9d-8a1b-3e5f7a9c0b04',
          type: 'license_keys',
          description: 'License key',
          prefix: 'POLARKIT',
          activation_limit: 3,
          limit_usage: null,
          expires: null,
        },
      ],
      metadata: { tier: 'lifetime' },
    },
    {
      id: '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f05',
      name: 'Tip Jar',
      description: 'Pay what you want to support the project.',
      price: { type: 'custom', minimum_amount: 100, maximum_amount: 100_000, preset_amount: 500 },
      benefits: [],
      metadata: { tier: 'tip' },
    },
  ],
  discounts: [
    {
      id: '9d3e5f7a-1b2c-4d3e-8f4a-5b6c7d8e9f01',
      type: 'percentage',
      name: 'Launch 25% off',
      code: 'LAUNCH25',
      basis_points: 2500,
      duration: 'once',
    },
  ],
};

/**
 * Validates a catalogue and applies its defaults.
 * @throws {CatalogError} listing every problem with its JSON path.
 */
export function parseCatalog(input: unknown, source = '(inline)'): Catalog {
  const result = catalogSchema.safeParse(input);
  if (!result.success) {
    throw new CatalogError(
      source,
      result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`),
    );
  }
  return result.data;
}

/**
 * Reads and validates a catalogue JSON file.
 * @throws {CatalogError} when the file is missing, is not JSON, or does not validate.
 */
export function loadCatalogFile(path: string): Catalog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CatalogError(path, [
      `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CatalogError(path, [`not valid JSON (${(err as Error).message})`]);
  }
  return parseCatalog(json, path);
}
