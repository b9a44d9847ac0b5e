import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { useApi } from '../lib/app-context';
import { ErrorMessage } from '../components/error-message';
import { Field } from '../components/field';
import { useAction, usePageTitle } from '../lib/hooks';

/** Log in, or register and then log in: one form, the API's messages beside the fields. */
export const AuthPage = ({ mode }: { mode: 'login' | 'register' }) => {
  const api = useApi();
  const { route, query } = useLocation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  // Once registered, a failed login (throttled, a dependency down) is retried as a login, not a second registration.
  const [registered, setRegistered] = useState(false);
  const action = useAction();
  const fields = action.error?.fieldMessages() ?? {};
  const registering = mode === 'register' && !registered;
  usePageTitle(mode === 'register' ? 'Create an account' : 'Log in');

  const submit = async (event: Event) => {
    event.preventDefault();
    const done = await action.run(async () => {
      if (registering) {
        await api.register(username, password);
        setRegistered(true);
      }
      await api.login(username, password);
    });
    if (done) route(query.next?.startsWith('/app/') ? query.next : '/app/', true);
  };

  return (
    <section class="card narrow">
      <h1>{mode === 'register' ? 'Create an account' : 'Log in'}</h1>
      {query.ended === '1' && mode === 'login' && (
        <p class="alert" role="status">
          Your session ended. Log in again.
        </p>
      )}
      {registered && (
        <p class="alert alert-success" role="status">
          Account created. Log in to continue.
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
        <ErrorMessage error={action.error} />
        <button type="submit" class="primary" disabled={action.busy}>
          {action.busy ? 'Please wait…' : registering ? 'Register' : 'Log in'}
        </button>
      </form>
      <p>
        {mode === 'register' ? (
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
