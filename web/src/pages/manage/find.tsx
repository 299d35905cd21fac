/**
 * Find a booking: the booking reference (six letters and digits, any case) and the last name of any traveler on it.
 * The API answers one 404 for an unknown reference and for a wrong name, and 429 after too many tries: the page
 * says so, and when to try again.
 */
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { anonymous, unwrap } from '../../api';
import { Field, FormError, toValue, Submit } from '../../components/form';
import { useAction } from '../../load';
import { saveOrderToken } from './token';

export function FindBooking() {
  const navigate = useNavigate();
  const [reference, setReference] = useState('');
  const [lastName, setLastName] = useState('');
  const { busy, error, onSubmit } = useAction();
  const find = onSubmit(async () => {
    const found = await unwrap(
      await anonymous().v1.orders.lookup.$post({ json: { booking_reference: reference.trim(), last_name: lastName } }),
    );
    saveOrderToken(found.order_id, found.token, found.expires_at);
    void navigate(`/manage/${found.order_id}`);
  });

  const message =
    error?.status === 404
      ? 'We found no booking with this reference and last name. Check both against your confirmation.'
      : error?.status === 429
        ? `Too many tries. Try again in ${Math.ceil((error.retryAfterSeconds ?? 3600) / 60)} minutes.`
        : undefined;
  return (
    <section className="card narrow" aria-labelledby="find-heading">
      <h1 id="find-heading">Manage your booking</h1>
      <p>Enter the booking reference from your confirmation and the last name of a traveler on the booking.</p>
      <form onSubmit={find} noValidate>
        {message ? (
          <p className="form-error" role="alert">
            {message}
          </p>
        ) : (
          <FormError error={error} shown={['booking_reference', 'last_name']} />
        )}
        <Field
          label="Booking reference"
          name="booking_reference"
          hint="six letters and digits, e.g. K7QX2M"
          error={error?.issueAt('booking_reference')}
        >
          <input
            type="text"
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            maxLength={6}
            value={reference}
            onChange={toValue(setReference)}
          />
        </Field>
        <Field label="Last name" name="last_name" error={error?.issueAt('last_name')}>
          <input
            type="text"
            autoComplete="family-name"
            maxLength={35}
            value={lastName}
            onChange={toValue(setLastName)}
          />
        </Field>
        <Submit busy={busy} busyLabel="Finding…">
          Find my booking
        </Submit>
      </form>
    </section>
  );
}
