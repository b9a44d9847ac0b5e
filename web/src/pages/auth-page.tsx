import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { asApiError, type ApiError } from '../api/api-error';
import { useApi } from '../app-context';
import { ErrorMessage } from '../components/error-message';
import { Field } from '../components/field';

/** Log in, or register and then log in: one form, the API's messages beside the fields. */
export const AuthPage = ({ mode }: { mode: 'login' | 'register' }) => {
  const api = useApi();
  const { route, query } = useLocation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const fields = error?.fieldMessages() ?? {};
  const registering = mode === 'register';

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      if (registering) await api.register(username, password);
      await api.login(username, password);
      const next = query.next;
      route(next?.startsWith('/app/') ? next : '/app/', true);
    } catch (failure) {
      setError(asApiError(failure));
      setBusy(false);
    }
  };

  return (
    <section class="card narrow">
      <h1>{registering ? 'Create an account' : 'Log in'}</h1>
      {query.ended === '1' && !registering && (
        <p class="alert" role="status">
          Your session ended. Log in again.
        </p>
      )}
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Field
          id="username"
          label="Username"
          error={fields.username}
          hint={registering ? '3–64 of a–z, 0–9, . _ -' : undefined}
        >
          {(props) => (
            <input
              {...props}
              name="username"
              autocomplete="username"
              value={username}
              onInput={(e) => setUsername(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field
          id="password"
          label="Password"
          error={fields.password}
          hint={registering ? '8–256 characters' : undefined}
        >
          {(props) => (
            <input
              {...props}
              type="password"
              name="password"
              autocomplete={registering ? 'new-password' : 'current-password'}
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          )}
        </Field>
        <ErrorMessage error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Please wait…' : registering ? 'Register' : 'Log in'}
        </button>
      </form>
      <p>
        {registering ? (
          <>
            Have an account? <a href="/app/login">Log in</a>
          </>
        ) : (
          <>
            New here? <a href="/app/register">Create an account</a>
          </>
        )}
      </p>
    </section>
  );
};
