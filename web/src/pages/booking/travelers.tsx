/**
 * The travelers of the chosen offer (one form per passenger of its party, in the offer's order) and the contact:
 * POST /v1/offers/:id/accept, each validation message next to its field (`travelers.N.first_name`, …).
 */
import { useState, type FormEvent, type InputHTMLAttributes } from 'react';
import { client, idempotencyKey, unwrap } from '../../api';
import { Field, FormError, toValue, Submit } from '../../components/form';
import { PTC_NAMES, type Offer, type Order } from '../../model';
import { useAction } from '../../load';

interface TravelerInput {
  ptc: 'ADT' | 'CHD' | 'INF';
  ref: string;
  first_name: string;
  last_name: string;
  date_of_birth: string;
}

/** The party of an offer: each passenger ref once, in the order its items name them. */
function partyOf(offer: Offer): TravelerInput[] {
  const seen = new Map<string, TravelerInput>();
  for (const i of offer.items) {
    if (!seen.has(i.passenger_ref)) {
      seen.set(i.passenger_ref, { ptc: i.ptc, ref: i.passenger_ref, first_name: '', last_name: '', date_of_birth: '' });
    }
  }
  return [...seen.values()];
}

export function TravelersForm({ offer, onAccepted }: { offer: Offer; onAccepted: (order: Order) => void }) {
  const [travelers, setTravelers] = useState(() => partyOf(offer));
  const [email, setEmail] = useState('');
  const { busy, error, run } = useAction();
  const [key] = useState(idempotencyKey);

  const set = (n: number, field: keyof TravelerInput, value: string) =>
    setTravelers((all) => all.map((t, i) => (i === n ? { ...t, [field]: value } : t)));
  /** One traveler's field, its validation message from the API's issue at `travelers.N.<field>`. */
  const travelerField = (
    n: number,
    field: 'first_name' | 'last_name' | 'date_of_birth',
    label: string,
    input: InputHTMLAttributes<HTMLInputElement>,
    hint?: string,
  ) => (
    <Field label={label} name={`travelers.${n}.${field}`} error={error?.issueAt(`travelers.${n}.${field}`)} hint={hint}>
      <input {...input} value={travelers[n]![field]} onChange={(e) => set(n, field, e.target.value)} />
    </Field>
  );

  async function submit(event: FormEvent) {
    event.preventDefault();
    await run(async () => {
      const api = await client();
      const res = await api.v1.offers[':id'].accept.$post({
        param: { id: offer.id },
        header: { 'idempotency-key': key },
        json: {
          travelers: travelers.map((t) => ({
            ptc: t.ptc,
            first_name: t.first_name.trim(),
            last_name: t.last_name.trim(),
            ...(t.date_of_birth ? { date_of_birth: t.date_of_birth } : {}),
          })),
          contact: { email: email.trim() },
        },
      });
      onAccepted(await unwrap(res));
    });
  }

  const fields = ['first_name', 'last_name', 'date_of_birth'] as const;
  const shown = ['contact.email', ...travelers.flatMap((_, n) => fields.map((f) => `travelers.${n}.${f}`))];
  return (
    <form className="card" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="travelers-heading">
      <h2 id="travelers-heading">Who is flying</h2>
      <FormError error={error} shown={shown} />
      {travelers.map((t, n) => (
        <fieldset key={t.ref} className="traveler">
          <legend>
            Traveler {n + 1}: {PTC_NAMES[t.ptc]} ({t.ref})
          </legend>
          <div className="grid">
            {travelerField(n, 'first_name', 'First name', { autoComplete: 'given-name' })}
            {travelerField(n, 'last_name', 'Last name', { autoComplete: 'family-name' })}
            {travelerField(
              n,
              'date_of_birth',
              'Date of birth',
              { type: 'date' },
              t.ptc === 'ADT' ? 'Optional for adults' : 'Required for children and infants',
            )}
          </div>
        </fieldset>
      ))}
      <Field label="Contact email" name="contact.email" error={error?.issueAt('contact.email')}>
        <input type="email" autoComplete="email" value={email} onChange={toValue(setEmail)} />
      </Field>
      <Submit busy={busy} busyLabel="Holding your seats…">
        Continue to seats
      </Submit>
    </form>
  );
}
