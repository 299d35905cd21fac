/**
 * The search form: one way or return, origin and destination with an airport autocomplete (GET /v1/airports),
 * dates, and the party by passenger type; POST /v1/offers/search, its validation messages next to the fields.
 */
import { useEffect, useId, useState, type FormEvent } from 'react';
import { anonymous, client, unwrap } from '../../api';
import { Field, FormError, toValue, Submit } from '../../components/form';
import { type SearchAnswer } from '../../model';
import { useAction } from '../../load';

interface Airport {
  code: string;
  name: string;
  city: string;
}

/** A text input for an IATA code whose suggestions (a datalist) come from the API as the shopper types. */
function AirportInput(props: { value: string; onChange: (v: string) => void; id?: string; name?: string }) {
  const listId = useId();
  const [options, setOptions] = useState<Airport[]>([]);
  const { value } = props;
  useEffect(() => {
    const q = value.trim();
    if (q.length < 2 || options.some((o) => o.code === q.toUpperCase())) return;
    const timer = setTimeout(() => {
      void (async () => {
        try {
          const res = await anonymous().v1.airports.$get({ query: { q } });
          setOptions((await unwrap(res)).airports);
        } catch {
          setOptions([]); // no suggestions; the field still takes a code
        }
      })();
    }, 200);
    return () => clearTimeout(timer);
  }, [value, options]);
  const { onChange, ...rest } = props;
  return (
    <>
      <input
        {...rest}
        list={listId}
        autoComplete="off"
        autoCapitalize="characters"
        placeholder="City or airport code"
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
      <datalist id={listId}>
        {options.map((a) => (
          <option key={a.code} value={a.code}>
            {`${a.city} – ${a.name} (${a.code})`}
          </option>
        ))}
      </datalist>
    </>
  );
}

const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
const COUNTS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

/** The party's passenger types, each with the API issues its count shows (the party as a whole shows with adults). */
const PARTY = [
  { type: 'adults', label: 'Adults (ADT, 12+)', issues: ['passengers.adults', 'passengers'] },
  { type: 'children', label: 'Children (CHD, 2–11)', issues: ['passengers.children'] },
  { type: 'infants', label: 'Infants on a lap (INF, under 2)', issues: ['passengers.infants'] },
] as const;

export interface SearchRequest {
  origin: string;
  destination: string;
  departure_date: string;
  return_date?: string;
  passengers: { adults: number; children: number; infants: number };
}

export function SearchForm({ onResults }: { onResults: (answer: SearchAnswer, req: SearchRequest) => void }) {
  const [trip, setTrip] = useState<'ONE_WAY' | 'RETURN'>('ONE_WAY');
  const [origin, setOrigin] = useState('');
  const [destination, setDestination] = useState('');
  const [departure, setDeparture] = useState(tomorrow());
  const [ret, setRet] = useState('');
  const [party, setParty] = useState<SearchRequest['passengers']>({ adults: 1, children: 0, infants: 0 });
  const { busy, error, run } = useAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const req: SearchRequest = {
      origin: origin.trim(),
      destination: destination.trim(),
      departure_date: departure,
      ...(trip === 'RETURN' ? { return_date: ret } : {}),
      passengers: { ...party },
    };
    await run(async () => {
      const api = await client();
      onResults(await unwrap(await api.v1.offers.search.$post({ json: req })), req);
    });
  }

  const at = (...paths: string[]) => paths.map((p) => error?.issueAt(p)).find(Boolean);
  const shown = ['origin', 'destination', 'departure_date', 'return_date', 'passengers'].flatMap(
    (p) => error?.issues.filter((i) => i.path === p || i.path.startsWith(`${p}.`)).map((i) => i.path) ?? [],
  );
  return (
    <form className="card search-form" onSubmit={(e) => void submit(e)} noValidate aria-label="Search flights">
      <FormError error={error} shown={shown} />
      <fieldset className="trip-type">
        <legend>Trip</legend>
        <label>
          <input type="radio" name="trip" checked={trip === 'ONE_WAY'} onChange={() => setTrip('ONE_WAY')} /> One way
        </label>
        <label>
          <input type="radio" name="trip" checked={trip === 'RETURN'} onChange={() => setTrip('RETURN')} /> Return
        </label>
      </fieldset>
      <div className="grid">
        <Field label="From" name="origin" error={at('origin')}>
          <AirportInput value={origin} onChange={setOrigin} />
        </Field>
        <Field label="To" name="destination" error={at('destination')}>
          <AirportInput value={destination} onChange={setDestination} />
        </Field>
        <Field label="Departure date" name="departure_date" error={at('departure_date')}>
          <input type="date" value={departure} onChange={toValue(setDeparture)} />
        </Field>
        {trip === 'RETURN' ? (
          <Field label="Return date" name="return_date" error={at('return_date')}>
            <input type="date" value={ret} onChange={toValue(setRet)} />
          </Field>
        ) : null}
      </div>
      <fieldset className="party">
        <legend>Passengers</legend>
        <div className="grid">
          {PARTY.map((p) => (
            <CountField
              key={p.type}
              label={p.label}
              name={p.type}
              error={at(...p.issues)}
              value={party[p.type]}
              onChange={(n) => setParty((all) => ({ ...all, [p.type]: n }))}
            />
          ))}
        </div>
      </fieldset>
      <Submit busy={busy} busyLabel="Searching…">
        Search flights
      </Submit>
    </form>
  );
}

/** A passenger count of the party (0–9), one select per passenger type. */
function CountField(p: {
  label: string;
  name: string;
  error: string | undefined;
  value: number;
  onChange: (n: number) => void;
}) {
  return (
    <Field label={p.label} name={p.name} error={p.error}>
      <select value={p.value} onChange={(e) => p.onChange(Number(e.target.value))}>
        {COUNTS.map((n) => (
          <option key={n}>{n}</option>
        ))}
      </select>
    </Field>
  );
}
