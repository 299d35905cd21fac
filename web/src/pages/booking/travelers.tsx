/**
 * The travelers of the chosen offer (one form per passenger of its party, in the offer's order) and the contact:
 * POST /v1/offers/:id/accept, each validation message next to its field (`travelers.N.first_name`, …).
 */
import { useState, type FormEvent } from 'react';
import { client, idempotencyKey, unwrap } from '../../api';
import { Field, FormError } from '../../components/form';
import { PTC_NAMES, type Offer, type Order } from './model';
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
            <Field
              label="First name"
              name={`travelers.${n}.first_name`}
              error={error?.issueAt(`travelers.${n}.first_name`)}
            >
              <input
                autoComplete="given-name"
                value={t.first_name}
                onChange={(e) => set(n, 'first_name', e.target.value)}
              />
            </Field>
            <Field
              label="Last name"
              name={`travelers.${n}.last_name`}
              error={error?.issueAt(`travelers.${n}.last_name`)}
            >
              <input
                autoComplete="family-name"
                value={t.last_name}
                onChange={(e) => set(n, 'last_name', e.target.value)}
              />
            </Field>
            <Field
              label="Date of birth"
              name={`travelers.${n}.date_of_birth`}
              error={error?.issueAt(`travelers.${n}.date_of_birth`)}
              hint={t.ptc === 'ADT' ? 'Optional for adults' : 'Required for children and infants'}
            >
              <input type="date" value={t.date_of_birth} onChange={(e) => set(n, 'date_of_birth', e.target.value)} />
            </Field>
          </div>
        </fieldset>
      ))}
      <Field label="Contact email" name="contact.email" error={error?.issueAt('contact.email')}>
        <input type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
      </Field>
      <button type="submit" disabled={busy}>
        {busy ? 'Holding your seats…' : 'Continue to seats'}
      </button>
    </form>
  );
}
