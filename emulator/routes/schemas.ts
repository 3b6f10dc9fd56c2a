/** Request body schemas shared by several routes (Polar's input limits, polar-reference.md section 2). */
import { z } from 'zod';

export const metadataInput = z
  .record(z.string().min(1).max(40), z.union([z.string().max(500), z.number(), z.boolean()]))
  .refine((m) => Object.keys(m).length <= 50, 'At most 50 metadata keys.');

export const addressInput = z.object({
  country: z.string().length(2),
  line1: z.string().nullable().optional(),
  line2: z.string().nullable().optional(),
  postal_code: z.string().nullable().optional(),
  city: z.string().nullable().optional(),
  state: z.string().nullable().optional(),
});

export const httpUrl = z.string().refine((v) => {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, "URL scheme should be 'http' or 'https'");

export const email = z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'value is not a valid email address');
