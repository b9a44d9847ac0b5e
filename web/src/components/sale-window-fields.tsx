import { Field } from './field';

export interface SaleWindowValues {
  /** `datetime-local` values, in the browser's zone. */
  readonly starts: string;
  readonly ends: string;
}

/**
 * The two ends of a sale window, to the second, in the browser's zone (the API takes them as UTC with an offset), with
 * the API's messages for `saleStartsAt` and `saleEndsAt` beside them. `idPrefix` keeps ids unique on the page.
 */
export const SaleWindowFields = ({
  idPrefix,
  values,
  errors,
  onChange,
}: {
  idPrefix: string;
  values: SaleWindowValues;
  errors: Readonly<Record<string, string>>;
  onChange: (values: SaleWindowValues) => void;
}) => (
  <>
    {(
      [
        ['starts', 'saleStartsAt', 'Sale opens'],
        ['ends', 'saleEndsAt', 'Sale ends'],
      ] as const
    ).map(([end, field, label]) => (
      <Field key={end} id={`${idPrefix}${field}`} label={label} error={errors[field]} hint="your local time">
        {(props) => (
          <input
            {...props}
            type="datetime-local"
            step={1}
            name={field}
            value={values[end]}
            onInput={(e) => onChange({ ...values, [end]: e.currentTarget.value })}
          />
        )}
      </Field>
    ))}
  </>
);
