import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { useApi } from '../../lib/app-context';
import { ErrorMessage } from '../../components/error-message';
import { Field } from '../../components/field';
import { SaleWindowFields } from '../../components/sale-window-fields';
import { isoToLocal, localToIso, numberOrText } from '../../lib/format';
import { useAction, usePageTitle } from '../../lib/hooks';

type Form = Record<
  | 'couponType'
  | 'name'
  | 'description'
  | 'faceValueCents'
  | 'totalStock'
  | 'perUserLimit'
  | 'saleStartsAt'
  | 'saleEndsAt'
  | 'minSpendCents'
  | 'validDays'
  | 'minAccountAgeSeconds',
  string
>;

const inAMinute = () => isoToLocal(new Date(Date.now() + 60_000).toISOString());
const inADay = () => isoToLocal(new Date(Date.now() + 86_400_000).toISOString());

/** The create-coupon body: empty optional fields left out, so the API applies its defaults. */
const toBody = (form: Form): Record<string, unknown> => {
  const body: Record<string, unknown> = { couponType: form.couponType, name: form.name };
  if (form.description.trim() !== '') body.description = form.description;
  for (const key of [
    'faceValueCents',
    'totalStock',
    'perUserLimit',
    'minSpendCents',
    'validDays',
    'minAccountAgeSeconds',
  ] as const)
    if (form[key].trim() !== '') body[key] = numberOrText(form[key]);
  if (form.couponType === 'SECKILL')
    for (const key of ['saleStartsAt', 'saleEndsAt'] as const) {
      if (form[key] !== '') body[key] = localToIso(form[key]) ?? form[key];
    }
  return body;
};

/**
 * Creates a coupon. Validation is the API's: the form does not second-guess it (`noValidate`), and each of the
 * API's messages (`details.issues[].path`) is shown beside its field.
 */
export const NewCouponPage = () => {
  const api = useApi();
  const { route } = useLocation();
  const [form, setForm] = useState<Form>({
    couponType: 'SECKILL',
    name: '',
    description: '',
    faceValueCents: '',
    totalStock: '',
    perUserLimit: '1',
    saleStartsAt: inAMinute(),
    saleEndsAt: inADay(),
    minSpendCents: '',
    validDays: '',
    minAccountAgeSeconds: '',
  });
  const action = useAction();
  const fields = action.error?.fieldMessages() ?? {};
  usePageTitle('New coupon');
  const set = (key: keyof Form) => (e: { currentTarget: { value: string } }) =>
    setForm({ ...form, [key]: e.currentTarget.value });

  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const coupon = await api.createCoupon(toBody(form));
      route(`/app/admin/coupons/${coupon.couponId}`);
    });
  };

  const number = (key: keyof Form, label: string, hint?: string) => (
    <Field id={key} label={label} error={fields[key]} hint={hint}>
      {(props) => <input {...props} name={key} inputMode="numeric" value={form[key]} onInput={set(key)} />}
    </Field>
  );

  return (
    <section class="card">
      <h1>New coupon</h1>
      <form onSubmit={submit} noValidate class="grid-form">
        <Field id="couponType" label="Type" error={fields.couponType}>
          {(props) => (
            <select {...props} name="couponType" value={form.couponType} onChange={set('couponType')}>
              <option value="SECKILL">Flash sale (timed window)</option>
              <option value="REGULAR">Regular (claim any time)</option>
            </select>
          )}
        </Field>
        <Field id="name" label="Name" error={fields.name}>
          {(props) => <input {...props} name="name" value={form.name} onInput={set('name')} />}
        </Field>
        <Field id="description" label="Description" error={fields.description}>
          {(props) => (
            <textarea {...props} name="description" value={form.description} onInput={set('description')} />
          )}
        </Field>
        {number('faceValueCents', 'Face value (cents)')}
        {number('totalStock', 'Stock', 'units for sale')}
        {number('perUserLimit', 'Per-buyer limit')}
        {form.couponType === 'SECKILL' && (
          <>
            <SaleWindowFields
              idPrefix=""
              values={{ starts: form.saleStartsAt, ends: form.saleEndsAt }}
              errors={fields}
              onChange={({ starts, ends }) => setForm({ ...form, saleStartsAt: starts, saleEndsAt: ends })}
            />
          </>
        )}
        {number('minSpendCents', 'Minimum spend (cents)', 'optional')}
        {number('validDays', 'Usable for (days)', 'optional; empty: for ever')}
        {number('minAccountAgeSeconds', 'Minimum account age (seconds)', 'optional')}
        <ErrorMessage error={action.error} />
        <button type="submit" class="primary" disabled={action.busy}>
          {action.busy ? 'Creating…' : 'Create coupon'}
        </button>
      </form>
    </section>
  );
};
