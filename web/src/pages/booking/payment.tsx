/**
 * Payment with the sandbox gateway's test tokens: POST /v1/orders/:id/pay. 200 paid; 402 declined (the message,
 * and the shopper may try again while the hold lasts); 202 pending: the page waits for the outcome (the order read
 * again until it leaves PAYMENT_PENDING).
 */
import { useState, type FormEvent } from 'react';
import { ApiError, client, idempotencyKey, unwrap } from '../../api';
import { FormError, Submit } from '../../components/form';
import { formatMoney } from '../../format';
import { TEST_CARDS, type Order } from '../../model';
import { asApiError } from '../../api';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function awaitOutcome(orderId: string): Promise<Order> {
  const api = await client();
  for (;;) {
    const order = await unwrap(await api.v1.orders[':id'].$get({ param: { id: orderId } }));
    if (order.status !== 'PAYMENT_PENDING') return order;
    await sleep(1000);
  }
}

export function PaymentForm({
  order,
  onPaid,
  onOrder,
}: {
  order: Order;
  onPaid: (o: Order) => void;
  onOrder: (o: Order) => void;
}) {
  const [token, setToken] = useState<string>(TEST_CARDS[0].token);
  const [error, setError] = useState<ApiError | undefined>();
  const [pending, setPending] = useState(false);
  const [busy, setBusy] = useState(false);

  async function pay(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const api = await client();
      const res = await api.v1.orders[':id'].pay.$post({
        param: { id: order.id },
        header: { 'idempotency-key': idempotencyKey() },
        json: { payment_token: token },
      });
      let paid = await unwrap(res);
      if (res.status === 202 || paid.status === 'PAYMENT_PENDING') {
        setPending(true);
        paid = await awaitOutcome(order.id);
        setPending(false);
      }
      if (paid.status === 'PROPOSED') {
        onOrder(paid);
        const decline = paid.payments.at(-1)?.decline_code;
        setError(
          new ApiError(
            402,
            'PAYMENT_DECLINED',
            `The payment was declined${decline ? ` (${decline})` : ''}. Try another card.`,
          ),
        );
      } else if (paid.status === 'EXPIRED' || paid.status === 'CANCELLED') {
        onOrder(paid);
      } else {
        onPaid(paid);
      }
    } catch (err) {
      setPending(false);
      const failure = asApiError(err);
      setError(
        failure.status === 402
          ? new ApiError(402, failure.code, `${failure.message}. Nothing was charged: try another card.`)
          : failure,
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={(e) => void pay(e)} noValidate aria-labelledby="pay-heading">
      <h2 id="pay-heading">Pay {formatMoney(order.total)}</h2>
      <FormError error={error} />
      <fieldset>
        <legend>Card (payments sandbox)</legend>
        {TEST_CARDS.map((c) => (
          <label key={c.token} className="inline-block">
            <input
              type="radio"
              name="payment_token"
              value={c.token}
              checked={token === c.token}
              onChange={() => setToken(c.token)}
            />{' '}
            {c.label} <code>{c.token}</code>
          </label>
        ))}
      </fieldset>
      {pending ? (
        <p role="status" className="status-warn">
          Waiting for your bank to confirm the payment…
        </p>
      ) : null}
      <Submit busy={busy} busyLabel="Paying…">
        Pay {formatMoney(order.total)}
      </Submit>
    </form>
  );
}
