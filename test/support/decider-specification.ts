import { DomainError, type DomainErrorCode } from '../../domain/shared/domain-error';
import { fold, type Decider } from '../../domain/shared/event';

/**
 * Given/when/then for deciders: `given` past events, `when` a command, `then` the new events (or the error, or the
 * state after both). Used by specs only.
 */
export const DeciderSpecification = {
  for: <Command, Event, State>(decider: Decider<Command, Event, State>) => ({
    given: (events: readonly Event[]) => ({
      when: (command: Command) => {
        const state = fold(decider, events);
        const run = () => decider.decide(command, state);
        return {
          then: (expected: readonly Event[]): void => {
            expect(run()).toEqual(expected);
          },
          thenThrows: (code: DomainErrorCode): void => {
            let thrown: unknown;
            try {
              run();
            } catch (error) {
              thrown = error;
            }
            expect(thrown).toBeInstanceOf(DomainError);
            expect((thrown as DomainError).code).toBe(code);
          },
          thenState: (expected: State): void => {
            expect(fold(decider, [...events, ...run()])).toEqual(expected);
          },
        };
      },
    }),
  }),
};
