/**
 * Starts an emulator on an ephemeral loopback port for one test (or one file) and returns it with its URL.
 * Remember to `await emulator.close()` in `afterEach`/`afterAll`.
 */
import { createEmulator, type Emulator, type EmulatorOptions } from '../../emulator/app.js';

export type StartedEmulator = Emulator & { url: string; port: number };

export async function startEmulator(options: EmulatorOptions = {}): Promise<StartedEmulator> {
  const emulator = createEmulator(options);
  const { url, port } = await emulator.listen(0, '127.0.0.1');
  return Object.assign(emulator, { url, port });
}
