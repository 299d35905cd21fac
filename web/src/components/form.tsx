/**
 * Form pieces every page shares: a labelled field whose API validation message sits next to it (aria-describedby,
 * aria-invalid), and the form-level error of an answer that names no field.
 */
import { cloneElement, useId, type ChangeEvent, type ReactElement, type ReactNode } from 'react';
import type { ApiError } from '../api';

/** A control's change as its new value: `onChange={toValue(setEmail)}`. */
export const toValue =
  (set: (value: string) => void) => (e: ChangeEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) =>
    set(e.target.value);

/** A form's submit button, disabled and saying what it does while the request runs. */
export function Submit({ busy, busyLabel, children }: { busy: boolean; busyLabel: string; children: ReactNode }) {
  return (
    <button type="submit" disabled={busy}>
      {busy ? busyLabel : children}
    </button>
  );
}

interface FieldProps {
  label: string;
  name: string;
  error?: string | undefined;
  hint?: string;
  children: ReactElement<Record<string, unknown>>;
}

export function Field({ label, name, error, hint, children }: FieldProps) {
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={error ? 'field field-invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {cloneElement(children, { id, name, 'aria-invalid': error ? true : undefined, 'aria-describedby': described })}
      {error ? (
        <p className="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** The error of a whole request: its message, and the issues no field on the form showed. */
export function FormError({ error, shown = [] }: { error?: ApiError | undefined; shown?: string[] }) {
  if (!error) return null;
  const rest = error.issues.filter((i) => !shown.includes(i.path));
  return (
    <div className="form-error" role="alert">
      <p>{error.message}</p>
      {rest.length > 0 ? (
        <ul>
          {rest.map((i) => (
            <li key={i.path}>
              {i.path ? `${i.path}: ` : ''}
              {i.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
