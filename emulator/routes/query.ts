/**
 * Request helpers shared by the REST routes: Polar's pagination (`page`, `limit` ≤ 100, `sorting`), list
 * filters from the query string (repeated keys are arrays), and zod body validation that answers 422.
 */
import type { Request } from 'express';
import type { z } from 'zod';
import { fromZodError, invalid } from '../errors.js';

export type Page<T> = { items: T[]; pagination: { total_count: number; max_page: number } };

/** Sorts, then cuts one page of `records`, mapped to JSON by `toJson`. */
export function paginate<R extends object>(
  req: Request,
  records: R[],
  toJson: (r: R) => object,
  defaultSorting: string[] = ['-created_at'],
): Page<object> {
  const page = intParam(req, 'page', 1, 1, Number.MAX_SAFE_INTEGER);
  const limit = intParam(req, 'limit', 10, 1, 100);
  const sorting = list(req, 'sorting');
  const sorted = sortRecords(records, sorting.length ? sorting : defaultSorting);
  const start = (page - 1) * limit;
  return {
    items: sorted.slice(start, start + limit).map(toJson),
    pagination: { total_count: records.length, max_page: Math.ceil(records.length / limit) },
  };
}

function sortRecords<R extends object>(records: R[], sorting: string[]): R[] {
  const keys = sorting.map((s) =>
    s.startsWith('-') ? { field: s.slice(1), dir: -1 } : { field: s, dir: 1 },
  );
  return records
    .map((r, i) => ({ r, i }))
    .sort((a, b) => {
      for (const { field, dir } of keys) {
        const x = sortValue(a.r, field);
        const y = sortValue(b.r, field);
        if (x === y) continue;
        if (x === null) return 1;
        if (y === null) return -1;
        return (x < y ? -1 : 1) * dir;
      }
      return a.i - b.i;
    })
    .map(({ r }) => r);
}

function sortValue(record: object, field: string): string | number | null {
  const r = record as Record<string, unknown>;
  let v = r[field];
  if (v === undefined && field === 'price_amount' && Array.isArray(r.prices))
    v = (r.prices[0] as Record<string, unknown>)?.price_amount;
  if (v === undefined && field === 'started_at') v = r.created_at;
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return null;
}

/** A query parameter as a list (repeated keys, or one value). */
export function list(req: Request, name: string): string[] {
  const v = req.query[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String).filter((x) => x !== '');
}

/** A boolean query parameter (`true`/`false`), or undefined when absent. */
export function bool(req: Request, name: string): boolean | undefined {
  const v = req.query[name];
  if (v === undefined) return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw invalid(['query', name], 'Input should be a valid boolean', 'bool_parsing', v);
}

/** An ISO datetime query parameter, or undefined. */
export function date(req: Request, name: string): number | undefined {
  const v = req.query[name];
  if (v === undefined) return undefined;
  const t = Date.parse(String(v));
  if (Number.isNaN(t))
    throw invalid(['query', name], 'Input should be a valid datetime', 'datetime_parsing', v);
  return t;
}

function intParam(req: Request, name: string, fallback: number, min: number, max: number): number {
  const v = req.query[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw invalid(['query', name], `Input should be an integer between ${min} and ${max}`, 'value_error', v);
  return n;
}

/** Keeps records whose `field` is one of the listed values (no filter when the parameter is absent). */
export function byList<R>(
  req: Request,
  name: string,
  value: (r: R) => string | null | undefined,
): (r: R) => boolean {
  const wanted = list(req, name);
  return wanted.length === 0 ? () => true : (r) => wanted.includes(value(r) ?? '');
}

/** Validates `value` with `schema`; a failure is Polar's 422 with `loc` prefixed by `where`. */
export function parse<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'query' = 'body',
): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw fromZodError(result.error, where);
  return result.data;
}

/**
 * Polar's metadata filter: `metadata[key]=value` (repeat a key for "any of"); a record matches when every
 * named key has one of the given values.
 */
export function byMetadata<R extends { metadata: Record<string, unknown> }>(req: Request): (r: R) => boolean {
  const wanted = Object.entries(req.query).flatMap(([key, value]) => {
    const name = /^metadata\[(.+)\]$/.exec(key)?.[1];
    return name ? [[name, [value].flat().map(String)] as const] : [];
  });
  if (wanted.length === 0) return () => true;
  return (r) =>
    wanted.every(
      ([name, values]) => r.metadata[name] !== undefined && values.includes(String(r.metadata[name])),
    );
}
