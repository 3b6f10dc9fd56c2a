/**
 * `kit.close()` lets the host app's webhook callbacks that are still running finish before it closes the
 * database they may read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckoutResponse } from '../../contract/contract.js';
import { startTestKit, waitFor } from '../helpers/test-kit.js';
import type { TestKit } from '../helpers/test-kit.js';

const LIFETIME = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f04';

let t: TestKit | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('createKit().close()', () => {
  it('waits for a callback still running, which can still read the database', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    let outcome: unknown;
    const kit = await startTestKit({
      kit: {
        onOrderPaid: async (event) => {
          started = true;
          await gate;
          const email = (event as { data: { customer: { email: string } } }).data.customer.email;
          try {
            outcome = kit.kit.orders(email).map((o) => o.status);
          } catch (error) {
            outcome = error;
          }
        },
      },
    });
    t = kit;
    const created = await kit.admin('/api/checkout', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ product_id: LIFETIME, email: 'closing@example.com' }),
    });
    const { checkout_id } = (await created.json()) as CheckoutResponse;
    await kit.control(`/_emulator/checkouts/${checkout_id}/pay`);
    await waitFor(() => started, 'the order.paid callback to start');

    let closed = false;
    const closing = kit.kit.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(outcome).toEqual(['paid']);
  });
});
