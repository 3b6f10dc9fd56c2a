/**
 * Each reliability test records what it measured (events sent, stored, lost, duplicated; cases tried; 5xx seen)
 * in `test-results/reliability/<name>.json`; `npm run bench` copies the latest figures into its report.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIGURES_DIR = fileURLToPath(new URL('../../test-results/reliability/', import.meta.url));

export function recordFigures(name: string, figures: Record<string, unknown>): void {
  mkdirSync(FIGURES_DIR, { recursive: true });
  writeFileSync(
    `${FIGURES_DIR}${name}.json`,
    `${JSON.stringify({ name, recordedAt: new Date().toISOString(), ...figures }, null, 2)}\n`,
  );
}
