/** A Polar JSON object, read loosely. */
export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Calls the emulator's REST API (`/v1/...`, `/_emulator/...`) at `baseUrl` with a test access token; answers
 * the status and the parsed body (`{}` when empty), whatever the status.
 */
export async function emulatorRest(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: 'Bearer polar_oat_test', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Json) : {} };
}
