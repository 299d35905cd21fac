/**
 * Sign-in for agents and admins (POST /v1/auth/login, then /v1/auth/me for the role). The portal and the dashboard
 * send here with ?next=<their path>; a customer's account signs in the same way.
 */
import { useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { anonymous, saveSession, unwrap } from '../api';
import { createAltisClient } from '../../../api/client';
import { Field, FormError, toValue, Submit } from '../components/form';
import { useAction } from '../load';

export function SignIn() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, onSubmit } = useAction();
  const signIn = onSubmit(async () => {
    const login = await unwrap(await anonymous().v1.auth.login.$post({ json: { email, password }, header: {} }));
    const me = await unwrap(await createAltisClient(window.location.origin, login.token).v1.auth.me.$get());
    saveSession({ token: login.token, kind: 'USER', role: me.role, email: me.email ?? email });
    const next = params.get('next');
    void navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/');
  });

  return (
    <section className="narrow">
      <h1>Sign in</h1>
      <form onSubmit={signIn} noValidate>
        <FormError error={error} />
        <Field label="Email" name="email" error={error?.issueAt('email')}>
          <input type="email" autoComplete="username" value={email} onChange={toValue(setEmail)} />
        </Field>
        <Field label="Password" name="password" error={error?.issueAt('password')}>
          <input type="password" autoComplete="current-password" value={password} onChange={toValue(setPassword)} />
        </Field>
        <Submit busy={busy} busyLabel="Signing in…">
          Sign in
        </Submit>
      </form>
    </section>
  );
}
